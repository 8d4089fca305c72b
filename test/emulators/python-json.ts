// Python's json.dumps: ", " and ": " separators, keys in insertion order. mlx_lm.server formats
// tool-call arguments with ensure_ascii=False, and Jinja's tojson renders them the same way in chat
// templates: the spacing a model's own output uses. Its response bodies are plain json.dumps, whose
// ensure_ascii=True writes every non-ASCII character as a \uXXXX escape.
export function pythonJsonDumps(value: unknown, options: { ensureAscii?: boolean } = {}): string {
  const dumps = (item: unknown): string => {
    if (Array.isArray(item)) return `[${item.map(dumps).join(", ")}]`;
    if (item !== null && typeof item === "object") {
      return `{${Object.entries(item)
        .filter(([, entry]) => entry !== undefined)
        .map(([key, entry]) => `${quote(key)}: ${dumps(entry)}`)
        .join(", ")}}`;
    }
    return typeof item === "string" ? quote(item) : JSON.stringify(item);
  };
  const quote = (text: string) => (options.ensureAscii ? escapeNonAscii(JSON.stringify(text)) : JSON.stringify(text));
  return dumps(value);
}

// UTF-16 code units above 0x7f, surrogate halves included, as Python writes them.
function escapeNonAscii(quoted: string): string {
  return quoted.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
