// Local servers turn tool schemas into grammars, and those converters reject keywords Claude
// Code's schemas use: llama.cpp (LM Studio's engine) fails on `format: "uri"`, unanchored
// `pattern` and huge `maxLength`; vLLM's xgrammar fails on `format: "uri"`. The keywords only
// constrain values, so dropping them keeps the schema's meaning for the model.
const REJECTED_KEYWORDS = new Set(["$schema", "$id", "$comment", "format", "pattern", "propertyNames", "contentEncoding", "contentMediaType"]);
const MAX_LENGTH_LIMIT = 10_000;

// Keys whose values are maps from property names (not keywords) to schemas: a property may well
// be named "pattern" or "format" (Claude Code's Grep tool has one).
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);

export function cleanJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(cleanJsonSchema);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (REJECTED_KEYWORDS.has(key) && typeof value !== "object") continue;
    if ((key === "maxLength" || key === "maxItems") && typeof value === "number" && value > MAX_LENGTH_LIMIT) continue;
    out[key] = SCHEMA_MAPS.has(key) && isObject(value) ? cleanSchemaMap(value) : cleanJsonSchema(value);
  }
  return out;
}

function cleanSchemaMap(map: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([name, schema]) => [name, cleanJsonSchema(schema)]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
