// Every block the Messages API defines -> the few every backend path takes (text, images, tool
// calls and results, reasoning). Pure and deterministic: the same history gives the same blocks
// every turn, so the prompt stays a prefix of the next one. Nothing is refused: Claude Code resends
// the whole history every turn, so one refused block would fail every later turn. What cannot be
// carried over becomes a clear placeholder, and the caller logs one line per kind.
import type { ContentBlock, DocumentBlock, Message, RequestContentBlock, RequestMessage, TextBlock, Tool, ToolResultBlock } from "../protocol/anthropic";
import { deepFreeze, memoizeByIdentity, memoizeByPrefix } from "../memoize-by-identity";
import { functionsBlock } from "./deferred-tools";

export type ContentChanges = {
  messages: Message[];
  loadedTools: string[]; // tools loaded by tool_reference blocks, in the order they were loaded
  notes: ContentNote[];
};

// `lossy`: the model sees less than the client sent (a placeholder or nothing).
export type ContentNote = { kind: string; count: number; lossy: boolean };

type Context = { tools: ReadonlyMap<string, Tool>; loaded: Set<string>; notes: Map<string, ContentNote> };

// One message's share of ContentChanges.
type MessageChanges = { message: Message; loadedTools: readonly string[]; notes: readonly ContentNote[] };

// Message by message, then summed in order: the tools in the order first loaded, each kind of note
// once, where first seen, as one pass over all the blocks gives. `tools`: the same map for requests
// that send the same tool list (splitTools), so that a message sent before is normalized once for it.
export function normalizeContent(messages: RequestMessage[], tools: ReadonlyMap<string, Tool>): ContentChanges {
  const memos = memosWith(tools);
  const totals = memos.totals(messages).at(-1) ?? NOTHING_CHANGED;
  return { messages: memos.messages(messages), loadedTools: [...totals.loadedTools], notes: totals.notes.map((note) => ({ ...note })) };
}

// What the messages up to one changed, in all.
type Totals = Omit<MessageChanges, "message">;
const NOTHING_CHANGED: Totals = { loadedTools: [], notes: [] };

// The normalized messages, and the totals up to each, those of the messages the request before
// sent taken from it: no pass over the whole conversation.
const memosWith = memoizeByIdentity((tools: ReadonlyMap<string, Tool>) => ({
  messages: memoizeByPrefix((message: RequestMessage) => messageChangesOnce(message, tools).message),
  totals: memoizeByPrefix((message: RequestMessage, before: Totals | undefined) => summed(before ?? NOTHING_CHANGED, messageChangesOnce(message, tools))),
}));

function summed(before: Totals, changes: MessageChanges): Totals {
  if (changes.loadedTools.length === 0 && changes.notes.length === 0) return before;
  const notes = new Map(before.notes.map((note) => [note.kind, { ...note }]));
  for (const { kind, count, lossy } of changes.notes) addNote(notes, kind, lossy, count);
  return { loadedTools: [...new Set([...before.loadedTools, ...changes.loadedTools])], notes: [...notes.values()] };
}

// Each message normalized once for the tool map it comes with: the two memos above both ask, and
// a message a request of the session sent before is the same frozen object (conversation-cache.ts),
// so it is normalized into the same frozen object every request, and what is derived from it
// downstream (its prefix-chain segment, its translation) is reused as well. A message not frozen
// (a request without a session) is kept only as long as the request holds it. One entry per
// message, for its latest tool map (a session's map changes only with its tool list): not a map
// of maps, whose thousands of small WeakMaps every full collection walks.
const normalizedFor = new WeakMap<RequestMessage, { tools: ReadonlyMap<string, Tool>; changes: MessageChanges }>();
function messageChangesOnce(message: RequestMessage, tools: ReadonlyMap<string, Tool>): MessageChanges {
  const known = normalizedFor.get(message);
  if (known?.tools === tools) return known.changes;
  const changes = Object.isFrozen(message) ? frozenMessage(messageChanges(message, tools)) : messageChanges(message, tools);
  normalizedFor.set(message, { tools, changes });
  return changes;
}

// The message frozen, for what is derived from it downstream; not the record around it, which only
// this module reads, and whose properties JavaScriptCore reads slower once it is frozen.
function frozenMessage(changes: MessageChanges): MessageChanges {
  deepFreeze(changes.message);
  return changes;
}

function messageChanges(message: RequestMessage, tools: ReadonlyMap<string, Tool>): MessageChanges {
  const context: Context = { tools, loaded: new Set(), notes: new Map() };
  return { message: normalizeMessage(message, context), loadedTools: [...context.loaded], notes: [...context.notes.values()] };
}

function normalizeMessage(message: RequestMessage, context: Context): Message {
  if (typeof message.content === "string" || message.content.every(isLocal)) return message as Message;
  return { ...message, content: message.content.flatMap((block) => normalizeBlock(block, context)) };
}

// A block every path takes as it is (its content too, for a tool result).
function isLocal(block: RequestContentBlock): boolean {
  switch (block.type) {
    case "text":
    case "tool_use":
    case "thinking":
    case "redacted_thinking":
      return true;
    case "image":
      return block.source.type !== "file";
    case "tool_result":
      return typeof block.content !== "object" || block.content.every((part) => part.type === "text" || (part.type === "image" && part.source.type !== "file"));
    default:
      return false;
  }
}

function normalizeBlock(block: RequestContentBlock, context: Context): ContentBlock[] {
  if (isLocal(block)) return [block as ContentBlock];
  switch (block.type) {
    case "tool_result":
      return [{ ...block, content: toolResultContent(block.content ?? [], context) } as ToolResultBlock];
    case "server_tool_use":
    case "mcp_tool_use":
      return [note(context, block.type, true, `[${block.name} ran on Anthropic's servers with ${JSON.stringify(block.input ?? {})}]`)];
    case "container_upload":
      return [note(context, block.type, true, `[file ${block.file_id}, uploaded to Anthropic's code-execution container: not available here]`)];
    default:
      return readablePart(block, context);
  }
}

// Parts of a tool result, or top-level blocks that are read the same way.
function toolResultContent(content: string | RequestContentBlock[], context: Context): (TextBlock | Extract<ContentBlock, { type: "image" }>)[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return mergeFunctions(content.flatMap((part) => readablePart(part, context)));
}

function readablePart(block: RequestContentBlock, context: Context): (TextBlock | Extract<ContentBlock, { type: "image" }>)[] {
  switch (block.type) {
    case "text":
      return [block];
    case "image":
      if (block.source.type !== "file") return [block as Extract<ContentBlock, { type: "image" }>];
      return [note(context, "image (file id)", true, `[image ${block.source.file_id}: a file id of Anthropic's Files API, not available here]`)];
    case "document":
      return [documentText(block, context)];
    case "search_result":
      noteOnly(context, block.type, false);
      return [{ type: "text", text: [`${block.title} (${block.source})`, ...block.content.map((part) => part.text)].join("\n") }];
    case "tool_reference":
      return [toolReference(block.tool_name, context)];
    case "server_tool_result":
      return [note(context, block.name, true, serverToolResultText(block))];
    case "unknown":
      noteOnly(context, `${block.name} (unknown)`, true);
      return [];
    default:
      noteOnly(context, `${block.type} (misplaced)`, true);
      return [];
  }
}

// The Anthropic API puts a loaded tool's definition where the tool_reference stands; so do we,
// in the line format ToolSearch's description promises the model.
function toolReference(name: string, context: Context): TextBlock {
  const tool = context.tools.get(name);
  if (!tool) return note(context, "tool_reference (unknown tool)", true, `[tool ${name}: its definition is not in this request's tool list]`);
  noteOnly(context, "tool_reference", false);
  if (tool.defer_loading) context.loaded.add(name);
  return { type: "text", text: functionsBlock([tool]) };
}

// Adjacent definitions (one ToolSearch loading several tools) share one <functions> block.
function mergeFunctions<T extends { type: string; text?: string }>(parts: T[]): T[] {
  const out: T[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (last?.text?.startsWith("<functions>") && part.text?.startsWith("<functions>")) {
      out[out.length - 1] = { ...last, text: `${last.text.slice(0, -"</functions>".length)}${part.text.slice("<functions>\n".length)}` };
    } else {
      out.push(part);
    }
  }
  return out;
}

function documentText(block: DocumentBlock, context: Context): TextBlock {
  const { source } = block;
  const title = block.title ? `${block.title}\n\n` : "";
  const named = block.title ? ` "${block.title}"` : "";
  switch (source.type) {
    case "text":
      return note(context, "document (text)", false, title + source.data);
    case "content":
      return note(
        context,
        "document (content)",
        false,
        title + (typeof source.content === "string" ? source.content : source.content.map((part) => part.text ?? "").join("\n\n")),
      );
    case "base64":
      if (source.media_type.startsWith("text/")) return note(context, "document (text)", false, title + Buffer.from(source.data, "base64").toString("utf8"));
      return note(
        context,
        `document (${source.media_type})`,
        true,
        `[${source.media_type} document${named}, ${Math.round((source.data.length * 3) / 4 / 1024)} KB: local models read only text; send its text instead]`,
      );
    case "url":
      return note(context, "document (url)", true, `[document${named} at ${source.url}: not fetched; send its text instead]`);
    case "file":
      return note(context, "document (file id)", true, `[document${named} ${source.file_id}: a file id of Anthropic's Files API, not available here]`);
  }
}

// web_search_tool_result, web_fetch_tool_result, code_execution_tool_result, mcp_tool_result, ...:
// whatever of it a reader could use (titles, URLs, text, output, error codes).
function serverToolResultText(block: { name: string; content?: unknown }): string {
  const lines: string[] = [];
  collectReadable(block.content, lines, 0);
  return `[${block.name}]${lines.length > 0 ? `\n${lines.join("\n")}` : ""}`;
}

const READABLE_KEYS = ["title", "url", "text", "data", "stdout", "stderr", "error_code", "return_code"];

function collectReadable(value: unknown, lines: string[], depth: number): void {
  if (depth > 6 || value === null || value === undefined) return;
  if (typeof value === "string") return void lines.push(value);
  if (Array.isArray(value)) return value.forEach((item) => collectReadable(item, lines, depth + 1));
  if (typeof value !== "object") return;
  const record = value as Record<string, unknown>;
  if (record.type === "base64") return; // bytes (a PDF, an image): nothing a reader could use
  for (const key of READABLE_KEYS) {
    const field = record[key];
    if (typeof field === "string" || typeof field === "number") lines.push(`${key}: ${field}`);
  }
  for (const key of ["content", "source"]) collectReadable(record[key], lines, depth + 1);
}

function note(context: Context, kind: string, lossy: boolean, text: string): TextBlock {
  noteOnly(context, kind, lossy);
  return { type: "text", text };
}

function noteOnly(context: Context, kind: string, lossy: boolean): void {
  addNote(context.notes, kind, lossy, 1);
}

function addNote(notes: Map<string, ContentNote>, kind: string, lossy: boolean, count: number): void {
  const seen = notes.get(kind);
  if (seen) seen.count += count;
  else notes.set(kind, { kind, count, lossy });
}
