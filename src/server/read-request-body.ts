// Request bodies: a JSON object validated by the endpoint's schema, or an error that says what is
// wrong with it (a 400 naming the field). A body over the cap is refused, never held whole in
// memory.
import * as v from "valibot";
import { ApiError, invalidRequest } from "../api-error";
import { RequestMessage, type Tool } from "../protocol/anthropic";
import { validationError } from "../validation-error";
import type { ConversationCache, PrefixMatch } from "./conversation-cache";
import { scanJson, type JsonScan, type Span } from "./scan-json";
import type { ToolListCache } from "./tool-list-cache";

// Claude Code's deepest value is a tool's JSON schema, a dozen levels; recursion in validation,
// hashing and translation is safe far beyond this.
export const MAX_NESTING = 512;

// conversations: the messages each session sent last (conversation-cache.ts); `session` names the
// session a request belongs to (its person's, see normalize-request.ts).
export type BodyLimits = { maxBytes: number; toolLists: ToolListCache; conversations?: ConversationCache };

type Body = { tools?: Tool[]; messages?: unknown[] };

export async function readRequestBody<T extends Body>(request: Request, schema: v.GenericSchema<unknown, T>, limits: BodyLimits, session?: string): Promise<T> {
  const text = await readCapped(request, limits.maxBytes);
  if (text.trim() === "") throw invalidRequest("the request body is empty; expected a JSON object");
  const conversations = session === undefined ? undefined : limits.conversations;
  let known: PrefixMatch | undefined;
  const knownTools = (key: string, start: number) => (key === "tools" ? limits.toolLists.knownEnd(text, start) : -1);
  const knownMessages = (key: string, start: number) => (key === "messages" && conversations ? ((known = conversations.match(session!, text, start))?.end ?? -1) : -1);
  const scan = scanJson(text, MAX_NESTING, knownTools, knownMessages, "messages");
  if (scan.tooDeep) throw invalidRequest(`the request body nests objects and arrays more than ${MAX_NESTING} levels deep`);
  const output = (known && withKnownMessages(text, scan, schema, limits.toolLists, known)) ?? readWhole(text, scan, schema, limits.toolLists);
  const span = scan.members?.get("messages");
  if (conversations && span && output.messages) {
    const ends = [...(known?.ends ?? []), ...scan.elementEnds!.map((end) => end - span.start)];
    conversations.remember(session!, text, span.start, ends, output.messages, known && output.messages.length >= known.count ? known : undefined);
  }
  return output;
}

function readWhole<T extends Body>(text: string, scan: JsonScan, schema: v.GenericSchema<unknown, T>, toolLists: ToolListCache): T {
  const { fields, tools } = withKnownTools(text, scan, toolLists) ?? { fields: parseObject(text) };
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
  // An empty list where the tools were: valid wherever they were, and validated in no time.
  const fields = parseOrUndefined(withEmptyLists(text, [span]));
  return isObject(fields) ? { fields, tools } : undefined;
}

// The messages a request of the session sent before, the new ones after them parsed and validated
// one by one, the rest of the body without them; the rules across messages checked over them
// all. Exactly what reading the whole text gives, or undefined (the whole text is then read, and
// any error is the one it has).
function withKnownMessages<T extends Body>(text: string, scan: JsonScan, schema: v.GenericSchema<unknown, T>, toolLists: ToolListCache, known: PrefixMatch): T | undefined {
  const span = scan.members?.get("messages");
  const checked = span && schemaWithMessages(schema);
  if (!span || !checked) return undefined;
  const added = newMessages(text, known.end, span.end);
  if (!added) return undefined;
  const messages = [...known.messages];
  for (const raw of added) {
    const message = v.safeParse(RequestMessage, raw);
    if (!message.success) return undefined;
    messages.push(message.output);
  }
  const toolSpan = scan.members!.get("tools");
  const tools = toolSpan && toolLists.resolve(text, toolSpan);
  if (toolSpan && !tools) return undefined;
  const fields = parseOrUndefined(withEmptyLists(text, toolSpan ? [toolSpan, span] : [span]));
  if (!isObject(fields)) return undefined;
  const parsed = v.safeParse(checked, { ...(fields as Record<string, unknown>), messages });
  if (!parsed.success) return undefined;
  const output = parsed.output as T;
  return tools ? { ...output, tools } : output;
}

// The messages after the known ones: the text from the end of the last known message to the end
// of the array holds nothing (`]`), or a comma and more messages.
function newMessages(text: string, from: number, to: number): unknown[] | undefined {
  const at = skipJsonSpace(text, from);
  const code = text.charCodeAt(at);
  if (code === CLOSE_BRACKET) return skipJsonSpace(text, at + 1) === to ? [] : undefined;
  if (code !== COMMA || at >= to) return undefined;
  const added = parseOrUndefined(`[${text.slice(at + 1, to)}`);
  return Array.isArray(added) && added.length > 0 ? added : undefined;
}

const COMMA = 44;
const CLOSE_BRACKET = 93;

// JSON's own whitespace: space, tab, line feed, carriage return (trimStart takes more).
function skipJsonSpace(text: string, from: number): number {
  let index = from;
  for (let code = text.charCodeAt(index); code === 32 || code === 9 || code === 10 || code === 13; code = text.charCodeAt(++index));
  return index;
}

// The endpoint's schema with its messages taken as they are (each already validated) and only
// the rules across them checked: the pipe's actions after its array (Conversation in anthropic.ts).
const withMessagesChecked = new WeakMap<object, v.GenericSchema | undefined>();
function schemaWithMessages<T>(schema: v.GenericSchema<unknown, T>): v.GenericSchema | undefined {
  if (!withMessagesChecked.has(schema)) withMessagesChecked.set(schema, buildSchemaWithMessages(schema));
  return withMessagesChecked.get(schema);
}

function buildSchemaWithMessages(schema: v.GenericSchema): v.GenericSchema | undefined {
  if (schema.type !== "loose_object" || !("entries" in schema)) return undefined;
  const entries = schema.entries as Record<string, v.GenericSchema & { pipe?: unknown[] }>;
  const pipe = entries.messages?.pipe;
  if (!pipe || (pipe[0] as v.GenericSchema).type !== "array") return undefined;
  return v.looseObject({ ...entries, messages: v.pipe(v.array(v.any()), ...(pipe.slice(1) as [])) });
}

// The text with these members' values (in order) each an empty list.
function withEmptyLists(text: string, spans: Span[]): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const span of sorted) {
    out += `${text.slice(at, span.start)}[]`;
    at = span.end;
  }
  return out + text.slice(at);
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
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
