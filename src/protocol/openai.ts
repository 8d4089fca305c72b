// The OpenAI chat-completions API as the local backends speak it. We build requests ourselves
// (plain types); responses are checked loosely, only for the fields we read, because every
// server adds its own (mlx-lm's `reasoning`, LM Studio's `reasoning_content`, llama.cpp's `timings`).
import * as v from "valibot";

export type ContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export type ToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | ContentPart[] }
  | { role: "assistant"; content: string | null; reasoning_content?: string; tool_calls?: ToolCall[] }
  | { role: "tool"; tool_call_id: string; content: string };

export type FunctionTool = {
  type: "function";
  function: { name: string; description?: string; parameters: Record<string, unknown> };
};

export type ToolChoice = "auto" | "none" | "required" | { type: "function"; function: { name: string } };

// Output constrained to a JSON schema (llama-server, vLLM, LM Studio; mlx_lm.server ignores it).
export type ResponseFormat = { type: "json_schema"; json_schema: { name: string; schema: Record<string, unknown>; strict: true } };

export type ChatRequest = {
  model: string;
  messages: ChatMessage[];
  max_tokens: number;
  stream: boolean;
  stream_options?: { include_usage: boolean };
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  stop?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  return_progress?: boolean; // llama-server: prompt_progress chunks while it prefills
  id_slot?: number; // llama-server: the slot to run in
  verbose?: boolean; // llama-server: its final chunk carries `__verbose` (stop_type, stopping_word)
  chat_template_kwargs?: Record<string, unknown>; // llama-server, mlx-lm, vLLM: passed to the chat template
};

const Count = v.optional(v.nullable(v.number()));

export const ChatUsage = v.looseObject({
  prompt_tokens: Count,
  completion_tokens: Count,
  prompt_tokens_details: v.optional(v.nullable(v.looseObject({ cached_tokens: Count }))),
});

const Text = v.optional(v.nullable(v.string()));

// vLLM: the stop string (or token id) a choice stopped on, next to finish_reason "stop".
const StopReason = v.optional(v.nullable(v.union([v.string(), v.number()])));

const ToolCallDelta = v.object({
  index: v.optional(v.number()),
  id: Text,
  function: v.optional(v.nullable(v.object({ name: Text, arguments: Text }))),
});

const Delta = v.object({
  content: Text,
  reasoning: Text,
  reasoning_content: Text,
  tool_calls: v.optional(v.nullable(v.array(ToolCallDelta))),
});

// llama-server's own measurements, in the last chunk (tools/server/server-common.cpp, server_slot_stats).
export const ServerTimings = v.looseObject({
  cache_n: Count,
  prompt_n: Count,
  prompt_ms: Count,
  predicted_n: Count,
  predicted_ms: Count,
  predicted_per_second: Count,
});

// llama-server with `return_progress`: how far the prefill is (result_prompt_progress). `processed`
// counts the cached tokens too.
export const PromptProgress = v.looseObject({ total: v.number(), cache: v.number(), processed: v.number(), time_ms: Count });

// llama-server with `verbose: true`: its final answer's own fields (server-task.cpp,
// to_json_non_oaicompat), of which only how it stopped is read; stop_type "word" with the
// stop string, "eos" for the end token.
const LlamaVerbose = v.optional(v.nullable(v.object({ stop_type: Text, stopping_word: Text })));

// Checked per streamed chunk: plain objects keep only the fields read (a loose object would copy
// every other key of every chunk: id, model, created, system_fingerprint, ...).
export const ChatChunk = v.object({
  choices: v.optional(v.nullable(v.array(v.object({ delta: v.optional(v.nullable(Delta)), finish_reason: Text, stop_reason: StopReason })))),
  usage: v.optional(v.nullable(ChatUsage)),
  timings: v.optional(v.nullable(ServerTimings)),
  prompt_progress: v.optional(v.nullable(PromptProgress)),
  __verbose: LlamaVerbose,
});

export const ChatCompletion = v.looseObject({
  choices: v.pipe(v.array(v.looseObject({ message: Delta, finish_reason: Text, stop_reason: StopReason })), v.minLength(1, "the completion has no choices")),
  usage: v.optional(v.nullable(ChatUsage)),
  timings: v.optional(v.nullable(ServerTimings)),
  __verbose: LlamaVerbose,
});

// mlx_lm.server answers {"error": "text"}; LM Studio, llama.cpp and vLLM {"error": {"message", ...}}.
export const ErrorBody = v.looseObject({
  error: v.union([v.string(), v.looseObject({ message: v.optional(v.string()), type: v.optional(v.unknown()) })]),
});

export const ModelList = v.looseObject({
  // vLLM lists each served model with its max_model_len (and refuses a max_tokens above it).
  data: v.array(v.looseObject({ id: v.string(), max_model_len: v.optional(v.number()) })),
});

export type ChatUsage = v.InferOutput<typeof ChatUsage>;
export type ServerTimings = v.InferOutput<typeof ServerTimings>;
export type PromptProgress = v.InferOutput<typeof PromptProgress>;
export type ChatChunk = v.InferOutput<typeof ChatChunk>;
export type ToolCallDelta = v.InferOutput<typeof ToolCallDelta>;
export type ChatCompletion = v.InferOutput<typeof ChatCompletion>;
