// Arguments typed by the tool's schema, for calls to tools the server was not told of. mlx_lm's
// qwen3_coder parser reads every <parameter> as text and types it only from the declared schema
// (mlx_lm/tool_parsers/qwen3_coder.py, `_convert_param_value`; a tool it was not told of gets none),
// so a loaded deferred tool's `max_results: 5` arrives as "5", and Claude Code would refuse the
// call for its type. A string becomes the JSON value it spells only where the schema wants that
// type and not a string; everything else is left as the model wrote it.
import type { Tool } from "../protocol/anthropic";

type Schema = { type?: unknown; properties?: Record<string, Schema> };

export function coerceToSchema(input: Record<string, unknown>, tool: Tool | undefined): Record<string, unknown> {
  const properties = (tool?.input_schema as Schema | undefined)?.properties;
  if (!properties) return input;
  let out = input;
  for (const [name, value] of Object.entries(input)) {
    const typed = typeof value === "string" ? typedValue(value, properties[name]) : value;
    if (typed !== value) out = { ...out, [name]: typed };
  }
  return out;
}

function typedValue(text: string, schema: Schema | undefined): unknown {
  const types = schemaTypes(schema);
  if (types.length === 0 || types.includes("string")) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  return types.includes(jsonType(parsed)) || (types.includes("number") && jsonType(parsed) === "integer") ? parsed : text;
}

function schemaTypes(schema: Schema | undefined): string[] {
  if (!schema) return [];
  if (typeof schema.type === "string") return [schema.type];
  return Array.isArray(schema.type) ? schema.type.filter((type): type is string => typeof type === "string") : [];
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}
