// A JSON schema the reply must follow -> chat completions' response_format, the schema cleaned as
// tool schemas are (the same grammar converters compile it).
import type { ResponseFormat } from "../protocol/openai";
import { cleanJsonSchema } from "./clean-json-schema";

export function jsonSchemaFormat(name: string, schema: Record<string, unknown>, cleanSchemas: boolean): ResponseFormat {
  const cleaned = cleanSchemas ? (cleanJsonSchema(schema) as Record<string, unknown>) : schema;
  return { type: "json_schema", json_schema: { name, schema: cleaned, strict: true } };
}
