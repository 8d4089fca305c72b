// Request bodies: a JSON object validated by the endpoint's schema, or an error that says what is
// wrong with it (a 400 naming the field). A body over the cap is refused, never held whole in
// memory.
import * as v from "valibot";
import { ApiError, invalidRequest } from "../api-error";
import { conversationIssues, RequestMessage, type Tool } from "../protocol/anthropic";
import { releaseBytes } from "../release-bytes";
import { validationError } from "../validation-error";
import { decodeUtf8, parseOrUndefined } from "./body-bytes";
import type { ConversationCache, PrefixMatch } from "./conversation-cache";
import { scanJson, type JsonScan, type Span } from "./scan-json";
import type { ToolListCache } from "./tool-list-cache";

// Claude Code's deepest value is a tool's JSON schema, a dozen levels; recursion in validation,
// hashing and translation is safe far beyond this.
export const MAX_NESTING = 512;
// No local model's context holds more messages than this: a chat template writes a few tokens
// around every message, so 20,000 are 100k tokens of markers alone. A body of more (issue 27's
// hostile client: 37,000 tool turns, 31 MB) is refused before it is parsed, which would take the
// daemon past 400 MB and stall every other stream for seconds.
export const MAX_MESSAGES = 20_000;

// conversations: the messages each session sent last (conversation-cache.ts); `session` names the
// session a request belongs to (its person's, see normalize-request.ts).
export type BodyLimits = { maxBytes: number; toolLists: ToolListCache; conversations?: ConversationCache };

type Body = { tools?: Tool[]; messages?: unknown[] };

export async function readRequestBody<T extends Body>(request: Request, schema: v.GenericSchema<unknown, T>, limits: BodyLimits, session?: string): Promise<T> {
  const body = await readCapped(request, limits.maxBytes);
  try {
    return readBytes(body, schema, limits, session);
  } finally {
    // Whatever is kept of it (a session's messages, a tool list) was copied out.
    releaseBytes(body);
  }
}

function readBytes<T extends Body>(body: Uint8Array, schema: v.GenericSchema<unknown, T>, limits: BodyLimits, session?: string): T {
  if (body.every(isAsciiSpace)) throw invalidRequest("the request body is empty; expected a JSON object");
  const conversations = session === undefined ? undefined : limits.conversations;
  let known: PrefixMatch | undefined;
  const knownTools = (key: string, start: number) => (key === "tools" ? limits.toolLists.knownEnd(body, start) : -1);
  const knownMessages = (key: string, start: number) =>
    key === "messages" && conversations ? ((known = conversations.match(session!, body, start))?.end ?? -1) : -1;
  const scan = scanJson(body, MAX_NESTING, knownTools, knownMessages, "messages");
  if (scan.tooDeep) throw invalidRequest(`the request body nests objects and arrays more than ${MAX_NESTING} levels deep`);
  const messages = (known?.ends.length ?? 0) + (scan.elementEnds?.length ?? 0); // as `ends` below counts them
  if (messages > MAX_MESSAGES)
    throw invalidRequest(`prompt is too long: the request holds ${messages} messages, more than the ${MAX_MESSAGES} a local model's context can take`);
  const output = (known && withKnownMessages(body, scan, schema, limits.toolLists, known)) ?? readWhole(body, scan, schema, limits.toolLists);
  const span = scan.members?.get("messages");
  if (conversations && span && output.messages) {
    const ends = [...(known?.ends ?? []), ...scan.elementEnds!.map((end) => end - span.start)];
    conversations.remember(
      session!,
      body,
      span.start,
      ends,
      output.messages as RequestMessage[],
      known && output.messages.length >= known.count ? known : undefined,
    );
  }
  return output;
}

function readWhole<T extends Body>(body: Uint8Array, scan: JsonScan, schema: v.GenericSchema<unknown, T>, toolLists: ToolListCache): T {
  const { fields, tools } = withKnownTools(body, scan, toolLists) ?? { fields: parseObject(decodeUtf8(body)) };
  const parsed = v.safeParse(schema, fields);
  if (!parsed.success) throw validationError(parsed.issues);
  return tools ? { ...parsed.output, tools } : parsed.output;
}

// The tool list from the cache, the rest of the body parsed without it. Undefined when anything
// is off: the whole body is then parsed as it is, and any error is the one it has.
function withKnownTools(body: Uint8Array, scan: JsonScan, toolLists: ToolListCache): { fields: unknown; tools: Tool[] } | undefined {
  const span = scan.members?.get("tools");
  const tools = span && toolLists.resolve(body, span);
  if (!span || !tools) return undefined;
  // An empty list where the tools were: valid wherever they were, and validated in no time.
  const fields = parseOrUndefined(withEmptyLists(body, [span]));
  return isObject(fields) ? { fields, tools } : undefined;
}

// The messages a request of the session sent before, the new ones after them parsed and validated
// one by one, the rest of the body without them; the rules across messages checked from the last
// known message on (the ones before were checked with the request before). Exactly what reading
// the whole body gives, or undefined (the whole body is then read, and any error is the one it has).
function withKnownMessages<T extends Body>(
  body: Uint8Array,
  scan: JsonScan,
  schema: v.GenericSchema<unknown, T>,
  toolLists: ToolListCache,
  known: PrefixMatch,
): T | undefined {
  const span = scan.members?.get("messages");
  const checked = span && schemaWithMessages(schema);
  if (!span || !checked) return undefined;
  const added = newMessages(body, known.end, span.end);
  if (!added) return undefined;
  const messages = [...known.messages];
  for (const raw of added) {
    const message = v.safeParse(RequestMessage, raw);
    if (!message.success) return undefined;
    messages.push(message.output);
  }
  const from = known.count - 1;
  if (conversationIssues(messages, from, (id) => known.heldBefore(id, from)).length > 0) return undefined;
  const toolSpan = scan.members!.get("tools");
  const tools = toolSpan && toolLists.resolve(body, toolSpan);
  if (toolSpan && !tools) return undefined;
  const fields = parseOrUndefined(withEmptyLists(body, toolSpan ? [toolSpan, span] : [span]));
  if (!isObject(fields)) return undefined;
  const parsed = v.safeParse(checked, { ...(fields as Record<string, unknown>), messages });
  if (!parsed.success) return undefined;
  const output = { ...(parsed.output as object), messages } as T;
  return tools ? { ...output, tools } : output;
}

// The messages after the known ones: the bytes from the end of the last known message to the end
// of the array hold nothing (`]`), or a comma and more messages.
function newMessages(body: Uint8Array, from: number, to: number): unknown[] | undefined {
  const at = skipJsonSpace(body, from);
  if (body[at] === CLOSE_BRACKET) return skipJsonSpace(body, at + 1) === to ? [] : undefined;
  if (body[at] !== COMMA || at >= to) return undefined;
  const added = parseOrUndefined(`[${decodeUtf8(body.subarray(at + 1, to))}`);
  return Array.isArray(added) && added.length > 0 ? added : undefined;
}

const COMMA = 44;
const CLOSE_BRACKET = 93;

// JSON's own whitespace: space, tab, line feed, carriage return.
function isJsonSpace(code: number | undefined): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function skipJsonSpace(body: Uint8Array, from: number): number {
  let index = from;
  while (isJsonSpace(body[index])) index++;
  return index;
}

// What trim() took as blank before the body was read as bytes: control characters and spaces.
function isAsciiSpace(code: number): boolean {
  return code <= 32;
}

// The endpoint's schema with its messages taken as they are: each already validated, and the
// rules across them checked above (conversationIssues; the array's one other rule, at least one
// message, holds with one known).
const withMessagesChecked = new WeakMap<object, v.GenericSchema | undefined>();
function schemaWithMessages<T>(schema: v.GenericSchema<unknown, T>): v.GenericSchema | undefined {
  if (!withMessagesChecked.has(schema)) withMessagesChecked.set(schema, buildSchemaWithMessages(schema));
  return withMessagesChecked.get(schema);
}

function buildSchemaWithMessages(schema: v.GenericSchema): v.GenericSchema | undefined {
  if (schema.type !== "loose_object" || !("entries" in schema)) return undefined;
  const entries = schema.entries as Record<string, v.GenericSchema>;
  return entries.messages ? v.looseObject({ ...entries, messages: v.any() }) : undefined;
}

// The body as text with these members' values (in order) each an empty list: only the pieces
// around them are decoded.
function withEmptyLists(body: Uint8Array, spans: Span[]): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const span of sorted) {
    out += `${decodeUtf8(body.subarray(at, span.start))}[]`;
    at = span.end;
  }
  return out + decodeUtf8(body.subarray(at));
}

function parseObject(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`the request body is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(json)) {
    throw invalidRequest(
      `body: the request body must be a JSON object ({"model", "messages", ...}), not ${Array.isArray(json) ? "an array" : json === null ? "null" : `a ${typeof json}`}`,
    );
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

async function readCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  const announced = request.headers.get("content-length");
  const readLimit = Math.max(4 * maxBytes, DISCARD_FLOOR_BYTES);
  if (Number(announced ?? 0) > readLimit) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array(0);
  // A body of known length within the cap is read whole by Bun itself: one copy, not two.
  if (announced !== null && Number(announced) <= maxBytes) return request.bytes();
  const { chunks, total } = await readCounting(request.body, maxBytes, readLimit);
  if (total > maxBytes) throw tooLarge(maxBytes);
  return Buffer.concat(chunks);
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
