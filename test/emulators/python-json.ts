// Python's json.dumps(value, ensure_ascii=False): ", " and ": " separators, keys in order.
// mlx_lm.server formats tool-call arguments this way, and Jinja's tojson renders them so in
// chat templates: the spacing a model's own output uses.
export function pythonJsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${pythonJsonDumps(item)}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}
