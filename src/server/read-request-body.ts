// Request bodies: a JSON object validated by the endpoint's schema, or an error that says what is
// wrong with it (a 400 naming the field). A body over the cap is refused as soon as it is known to
// be too large, never read whole into memory.
import * as v from "valibot";
import { ApiError, invalidRequest } from "../api-error";
import type { Tool } from "../protocol/anthropic";
import { validationError } from "../validation-error";
import { scanJson, type JsonScan } from "./scan-json";
import type { ToolListCache } from "./tool-list-cache";

// Claude Code's deepest value is a tool's JSON schema, a dozen levels; recursion in validation,
// hashing and translation is safe far beyond this.
export const MAX_NESTING = 512;

export type BodyLimits = { maxBytes: number; toolLists: ToolListCache };

export async function readRequestBody<T extends { tools?: Tool[] }>(request: Request, schema: v.GenericSchema<unknown, T>, limits: BodyLimits): Promise<T> {
  const text = await readCapped(request, limits.maxBytes);
  if (text.trim() === "") throw invalidRequest("the request body is empty; expected a JSON object");
  const scan = scanJson(text, MAX_NESTING, (key, start) => (key === "tools" ? limits.toolLists.knownEnd(text, start) : -1));
  if (scan.tooDeep) throw invalidRequest(`the request body nests objects and arrays more than ${MAX_NESTING} levels deep`);
  const { fields, tools } = withKnownTools(text, scan, limits.toolLists) ?? { fields: parseObject(text) };
  const parsed = v.safeParse(schema, fields);
  if (!parsed.success) throw validationError(parsed.issues);
  return tools ? { ...parsed.output, tools } : parsed.output;
}

// The tool list from the cache, the rest of the body parsed without it. Undefined when anything
// is off: the whole text is then parsed as it is, and any error is the one it has.
function withKnownTools(text: string, scan: JsonScan, toolLists: ToolListCache): { fields: unknown; tools: Tool[] } | undefined {
  const span = scan.members?.get("tools");
  const tools = span && toolLists.resolve(text, span);
  if (!span || !tools) return undefined;
  try {
    // An empty list where the tools were: valid wherever they were, and validated in no time.
    const fields: unknown = JSON.parse(`${text.slice(0, span.start)}[]${text.slice(span.end)}`);
    return isObject(fields) ? { fields, tools } : undefined;
  } catch {
    return undefined;
  }
}

function parseObject(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`the request body is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(json)) {
    throw invalidRequest(`body: the request body must be a JSON object ({"model", "messages", ...}), not ${Array.isArray(json) ? "an array" : json === null ? "null" : `a ${typeof json}`}`);
  }
  return json;
}

function isObject(json: unknown): json is Record<string, unknown> {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

async function readCapped(request: Request, maxBytes: number): Promise<string> {
  const announced = request.headers.get("content-length");
  if (Number(announced ?? 0) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return "";
  // A body of known length within the cap is read whole by Bun itself: one copy, not three.
  if (announced !== null) return request.text();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // A chunked body announces no length: count while reading.
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "request_too_large", `the request body is larger than ${maxBytes} bytes (the daemon's "maxBodyBytes")`);
}
