// Request bodies: a JSON object validated by the endpoint's schema, or an error that says what is
// wrong with it (a 400 naming the field). A body over the cap is refused, never held whole in
// memory.
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

// A client that sends the whole body before it reads the answer (Python's urllib, which asks for
// `Connection: close`) sees a broken pipe instead of the 413 when the answer closes the connection
// under its body. So the rest of an oversized body is read and dropped first, but only so much:
// 4x the cap answers a body that outgrew it (a pasted log, a few images), 64 MB one over a small
// configured cap; past that, reading costs more than the answer is worth, and a client that never
// stops sending must not hold the daemon.
const DISCARD_FLOOR_BYTES = 64 * 1024 * 1024;

async function readCapped(request: Request, maxBytes: number): Promise<string> {
  const announced = request.headers.get("content-length");
  const readLimit = Math.max(4 * maxBytes, DISCARD_FLOOR_BYTES);
  if (Number(announced ?? 0) > readLimit) throw tooLarge(maxBytes);
  if (!request.body) return "";
  // A body of known length within the cap is read whole by Bun itself: one copy, not three.
  if (announced !== null && Number(announced) <= maxBytes) return request.text();
  const { chunks, total } = await readCounting(request.body, maxBytes, readLimit);
  if (total > maxBytes) throw tooLarge(maxBytes);
  return Buffer.concat(chunks).toString("utf8");
}

// A chunked body announces no length, an oversized one is dropped: count while reading, keep
// what fits the cap, stop past the read limit.
async function readCounting(body: ReadableStream<Uint8Array>, maxBytes: number, readLimit: number): Promise<{ chunks: Uint8Array[]; total: number }> {
  let chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > readLimit) break;
    if (total <= maxBytes) chunks.push(chunk);
    else chunks = [];
  }
  return { chunks, total };
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "request_too_large", `the request body is larger than ${maxBytes} bytes (the daemon's "maxBodyBytes")`);
}
