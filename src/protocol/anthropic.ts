// The Anthropic Messages API as anyclaude accepts it from clients and sends it back.
// Requests are checked strictly on every field we read (errors name the field); keys we do not
// read (context_management, output_config, ...) pass untouched because the API keeps growing.
import * as v from "valibot";

const CacheControl = v.optional(v.looseObject({ type: v.string() }));

export const TextBlock = v.looseObject({
  type: v.literal("text"),
  text: v.string(),
  cache_control: CacheControl,
});

const Base64Source = v.looseObject({ type: v.literal("base64"), media_type: v.string(), data: v.string() });
const UrlSource = v.looseObject({ type: v.literal("url"), url: v.string() });
const PlainTextSource = v.looseObject({ type: v.literal("text"), media_type: v.optional(v.string()), data: v.string() });
const ContentSource = v.looseObject({
  type: v.literal("content"),
  content: v.union([v.string(), v.array(v.looseObject({ type: v.string(), text: v.optional(v.string()) }))]),
});

export const ImageBlock = v.looseObject({
  type: v.literal("image"),
  source: v.variant("type", [Base64Source, UrlSource]),
  cache_control: CacheControl,
});

export const ToolUseBlock = v.looseObject({
  type: v.literal("tool_use"),
  id: v.string(),
  name: v.string(),
  input: v.record(v.string(), v.unknown()),
  cache_control: CacheControl,
});

export const ToolResultBlock = v.looseObject({
  type: v.literal("tool_result"),
  tool_use_id: v.string(),
  content: v.optional(v.union([v.string(), v.array(v.variant("type", [TextBlock, ImageBlock]))])),
  is_error: v.optional(v.boolean()),
  cache_control: CacheControl,
});

export const ThinkingBlock = v.looseObject({
  type: v.literal("thinking"),
  thinking: v.string(),
  signature: v.optional(v.string()),
});

export const RedactedThinkingBlock = v.looseObject({ type: v.literal("redacted_thinking"), data: v.string() });

// The blocks every backend path takes: what a request holds once src/translate/normalize-content.ts
// has turned the rest of the Messages API's blocks into these.
export const ContentBlock = v.variant("type", [TextBlock, ImageBlock, ToolUseBlock, ToolResultBlock, ThinkingBlock, RedactedThinkingBlock]);

export const Message = v.looseObject({
  // Claude Code also sends role "system" messages mid-conversation (reminders, token counters).
  role: v.picklist(["user", "assistant", "system"]),
  content: v.union([v.string(), v.array(ContentBlock)]),
});

// What clients may send besides: every block the Messages API defines, and any block a newer API
// adds (a future type), which is dropped with a warning rather than refused: Claude Code resends
// the whole history every turn, so one refused block would fail every later turn.
const FileSource = v.looseObject({ type: v.literal("file"), file_id: v.string() });

const RequestImageBlock = v.looseObject({
  type: v.literal("image"),
  source: v.variant("type", [Base64Source, UrlSource, FileSource]),
  cache_control: CacheControl,
});

export const DocumentBlock = v.looseObject({
  type: v.literal("document"),
  source: v.variant("type", [Base64Source, UrlSource, PlainTextSource, ContentSource, FileSource]),
  title: v.optional(v.nullable(v.string())),
  context: v.optional(v.nullable(v.string())),
  cache_control: CacheControl,
});

export const SearchResultBlock = v.looseObject({
  type: v.literal("search_result"),
  source: v.string(),
  title: v.string(),
  content: v.array(TextBlock),
});

// Tool search (Claude Code 2.1.2xx+, beta advanced-tool-use-2025-11-20): a ToolSearch result names
// the deferred tools it loaded; the Anthropic API puts their definitions in its place.
export const ToolReferenceBlock = v.looseObject({ type: v.literal("tool_reference"), tool_name: v.string() });

// A tool Anthropic ran on its side (web search, code execution, an MCP connector), replayed.
export const ServerToolUseBlock = v.looseObject({
  type: v.picklist(["server_tool_use", "mcp_tool_use"]),
  id: v.string(),
  name: v.string(),
  input: v.optional(v.unknown()),
});

export const ContainerUploadBlock = v.looseObject({ type: v.literal("container_upload"), file_id: v.string() });

const KNOWN_BLOCK_TYPES = new Set([
  "text",
  "image",
  "document",
  "search_result",
  "tool_reference",
  "tool_use",
  "tool_result",
  "thinking",
  "redacted_thinking",
  "server_tool_use",
  "mcp_tool_use",
  "container_upload",
]);

// The results of server tools: web_search_tool_result, web_fetch_tool_result,
// code_execution_tool_result, mcp_tool_result, ... (every "*_tool_result" but tool_result itself).
// Read as `server_tool_result` and any other type as `unknown`, each keeping its type as `name`:
// a type TypeScript can narrow by (an open string could be any of the known types).
export const ServerToolResultBlock = v.pipe(
  v.looseObject({
    type: v.pipe(
      v.string(),
      v.check((type) => type.endsWith("_tool_result") && !KNOWN_BLOCK_TYPES.has(type)),
    ),
    content: v.optional(v.unknown()),
  }),
  v.transform((block) => ({ type: "server_tool_result" as const, name: block.type, content: block.content })),
);

export const UnknownBlock = v.pipe(
  v.looseObject({
    type: v.pipe(
      v.string(),
      v.check((type) => !KNOWN_BLOCK_TYPES.has(type) && !type.endsWith("_tool_result")),
    ),
  }),
  v.transform((block) => ({ type: "unknown" as const, name: block.type })),
);

const RequestToolResultBlock = v.looseObject({
  ...ToolResultBlock.entries,
  content: v.optional(
    v.union([
      v.string(),
      v.array(v.variant("type", [TextBlock, RequestImageBlock, DocumentBlock, SearchResultBlock, ToolReferenceBlock, ServerToolResultBlock, UnknownBlock])),
    ]),
  ),
});

export const RequestContentBlock = v.variant("type", [
  TextBlock,
  RequestImageBlock,
  DocumentBlock,
  SearchResultBlock,
  ToolReferenceBlock,
  ToolUseBlock,
  RequestToolResultBlock,
  ThinkingBlock,
  RedactedThinkingBlock,
  ServerToolUseBlock,
  ServerToolResultBlock,
  ContainerUploadBlock,
  UnknownBlock,
]);

export const RequestMessage = v.looseObject({
  role: Message.entries.role,
  content: v.union([v.string(), v.array(RequestContentBlock)]),
});

export const Tool = v.looseObject({
  name: v.pipe(v.string(), v.minLength(1)),
  description: v.optional(v.string()),
  // Server tools (web_search_...) carry a `type` and no schema; they cannot run locally.
  type: v.optional(v.string()),
  input_schema: v.optional(v.record(v.string(), v.unknown())),
  // Tool search: declared for the API, loaded into the conversation by a tool_reference.
  defer_loading: v.optional(v.boolean()),
});

export const ToolList = v.array(Tool);

export const ToolChoice = v.variant("type", [
  v.looseObject({ type: v.literal("auto"), disable_parallel_tool_use: v.optional(v.boolean()) }),
  v.looseObject({ type: v.literal("any"), disable_parallel_tool_use: v.optional(v.boolean()) }),
  v.looseObject({ type: v.literal("tool"), name: v.string(), disable_parallel_tool_use: v.optional(v.boolean()) }),
  v.looseObject({ type: v.literal("none") }),
]);

const System = v.union([v.string(), v.array(TextBlock)]);

// Anthropic's rules across messages, each reported on the field that breaks it: at least one
// message; no empty content (but a final assistant turn, which the model continues); every
// tool_result answers a tool_use sent before it.
const Conversation = v.pipe(
  v.array(RequestMessage),
  v.minLength(1, "must hold at least one message"),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const messages = dataset.value;
    const at = (index: number, keys: (string | number)[]): [v.IssuePathItem, ...v.IssuePathItem[]] => [
      { type: "array", origin: "value", input: messages, key: index, value: messages[index] },
      ...keys.map(
        (key): v.IssuePathItem =>
          typeof key === "number"
            ? { type: "array", origin: "value", input: [], key, value: undefined }
            : { type: "object", origin: "value", input: {}, key, value: undefined },
      ),
    ];
    for (const issue of conversationIssues(messages)) addIssue({ message: issue.message, path: at(issue.index, issue.keys) });
  }),
);

export type ConversationIssue = { index: number; keys: (string | number)[]; message: string };

// The rules above over the messages from `from` on; `heldBefore(id)`: whether a message before
// `from` holds that tool_use (a conversation whose earlier messages were checked before, see
// src/server/conversation-cache.ts).
export function conversationIssues(messages: readonly RequestMessage[], from = 0, heldBefore: (id: string) => boolean = () => false): ConversationIssue[] {
  const issues: ConversationIssue[] = [];
  const toolUses = new Set<string>();
  for (let index = from; index < messages.length; index++) {
    const message = messages[index]!;
    const finalAssistant = index === messages.length - 1 && message.role === "assistant";
    if (message.content.length === 0 && !finalAssistant) issues.push({ index, keys: ["content"], message: "must not be empty" });
    if (typeof message.content === "string") continue;
    for (const [position, block] of message.content.entries()) {
      if (block.type === "tool_use") toolUses.add(block.id);
      if (block.type === "tool_result" && !toolUses.has(block.tool_use_id) && !heldBefore(block.tool_use_id)) {
        issues.push({
          index,
          keys: ["content", position, "tool_use_id"],
          message: `answers tool_use id "${block.tool_use_id}", which no earlier message holds`,
        });
      }
    }
  }
  return issues;
}

// The tool_use ids a message holds.
export function toolUseIds(message: RequestMessage): string[] {
  return typeof message.content === "string" ? [] : message.content.flatMap((block) => (block.type === "tool_use" ? [block.id] : []));
}

const countTokensEntries = {
  model: v.string(),
  messages: Conversation,
  system: v.optional(System),
  tools: v.optional(ToolList),
  tool_choice: v.optional(ToolChoice),
  thinking: v.optional(v.looseObject({ type: v.string(), budget_tokens: v.optional(v.number()) })),
};

export const CountTokensRequest = v.looseObject(countTokensEntries);

// Structured output: the reply's text is JSON following the schema (output_config.format; the
// structured-outputs beta's output_format, which @anthropic-ai/sdk 1.12 still types on beta calls).
const JsonOutputFormat = v.object({ type: v.literal("json_schema"), schema: v.record(v.string(), v.unknown()) });

export const MessagesRequest = v.looseObject({
  ...countTokensEntries,
  max_tokens: v.pipe(v.number(), v.integer(), v.minValue(1)),
  stop_sequences: v.optional(v.array(v.string())),
  temperature: v.optional(v.number()),
  top_p: v.optional(v.number()),
  top_k: v.optional(v.number()),
  stream: v.optional(v.boolean()),
  metadata: v.optional(v.looseObject({ user_id: v.optional(v.nullable(v.string())) })),
  output_config: v.optional(v.looseObject({ format: v.optional(v.nullable(JsonOutputFormat)) })),
  output_format: v.optional(v.nullable(JsonOutputFormat)),
});

// A request once normalized (src/routing/normalize-request.ts): only the blocks every backend
// takes. The type of what normalization makes; nothing is validated against it.
const LocalRequest = v.looseObject({ ...MessagesRequest.entries, messages: v.array(Message) });

export type TextBlock = v.InferOutput<typeof TextBlock>;
export type ImageBlock = v.InferOutput<typeof ImageBlock>;
export type DocumentBlock = v.InferOutput<typeof DocumentBlock>;
export type RequestContentBlock = v.InferOutput<typeof RequestContentBlock>;
export type RequestMessage = v.InferOutput<typeof RequestMessage>;
export type ToolUseBlock = v.InferOutput<typeof ToolUseBlock>;
export type ToolResultBlock = v.InferOutput<typeof ToolResultBlock>;
export type ThinkingBlock = v.InferOutput<typeof ThinkingBlock>;
export type ContentBlock = v.InferOutput<typeof ContentBlock>;
export type Message = v.InferOutput<typeof Message>;
export type Tool = v.InferOutput<typeof Tool>;
export type ToolChoice = v.InferOutput<typeof ToolChoice>;
export type MessagesRequest = v.InferOutput<typeof MessagesRequest>;
export type LocalRequest = v.InferOutput<typeof LocalRequest>;
export type CountTokensRequest = v.InferOutput<typeof CountTokensRequest>;

// What we send back. We build these ourselves, so plain types suffice.
// "refusal": the model declined (an OpenAI server's "content_filter"); "pause_turn" only comes from
// a Messages-API backend and is relayed as it is.
export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal" | "pause_turn";

export type Usage = {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
};

export type ResponseBlock =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

export type MessagesResponse = {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ResponseBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: Usage;
};

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

export type StreamEvent =
  | { type: "message_start"; message: MessagesResponse }
  | { type: "content_block_start"; index: number; content_block: StreamBlockStart }
  | { type: "content_block_delta"; index: number; delta: StreamDelta }
  | { type: "content_block_stop"; index: number }
  | { type: "message_delta"; delta: { stop_reason: StopReason | null; stop_sequence: string | null }; usage: Usage }
  | { type: "message_stop" }
  | { type: "ping" }
  | { type: "error"; error: { type: ErrorType; message: string } };

export type StreamBlockStart =
  | { type: "text"; text: "" }
  | { type: "thinking"; thinking: ""; signature: "" }
  | { type: "tool_use"; id: string; name: string; input: Record<string, never> };

export type StreamDelta =
  | { type: "text_delta"; text: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string }
  | { type: "input_json_delta"; partial_json: string };
