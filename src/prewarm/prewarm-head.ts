// The shared prefix of a Claude Code session as one backend receives it (system prompt and tool
// list, translated for that backend), and the minimal request that makes the backend compute it.
// Pure: the head is cut from the body the real request was sent with, so its tokens are the ones
// the next session's first request starts with.
//
// Why [system, short user turn] warms the real request: a chat template renders the system turn
// (tools included; templates that put tools in the first user turn put them before the user's
// text) the same whatever follows it, so the prewarm's prompt and a new session's first prompt
// agree up to the start of the user's text. llama-server reuses that part from the slot,
// mlx_lm.server from the nearest entry of its prompt cache.
import type { ChatMessage, ChatRequest } from "../protocol/openai";

export type PrewarmApi = "chat" | "messages";

// `fields`: the body's fields that belong to the prefix (system messages or `system`, `tools`,
// `tool_choice`, and any field a later translation adds, such as template arguments).
export type PrewarmHead = { api: PrewarmApi; fields: Record<string, unknown> };

export const PREWARM_USER_TEXT = "Hi";

// What belongs to one request only. Sampling settings change nothing in the prompt; the stream
// options are the prewarm's own.
const CHAT_REQUEST_ONLY = new Set([
  "model",
  "messages",
  "max_tokens",
  "max_completion_tokens",
  "stream",
  "stream_options",
  "return_progress",
  "stop",
  "temperature",
  "top_p",
  "top_k",
]);
// `thinking` is left out too: a budget larger than the prewarm's one token is an error on servers
// that check it, and it only changes how the assistant turn starts, after the shared part.
const MESSAGES_REQUEST_ONLY = new Set(["model", "messages", "max_tokens", "stream", "stop_sequences", "temperature", "top_p", "top_k", "thinking"]);

// A chat-completions body -> its head: the leading system messages, the session's context that
// the translation put after them (`contextMessages` of them: src/translate/system-prompt.ts), and
// the prefix fields.
export function chatHead(body: ChatRequest, contextMessages: number): PrewarmHead | undefined {
  let system = 0;
  while (body.messages[system]?.role === "system") system++;
  if (system === 0) return undefined;
  return { api: "chat", fields: { ...pick(body, CHAT_REQUEST_ONLY), messages: body.messages.slice(0, system + contextMessages) } };
}

// A Messages API body (a backend of kind "anthropic") -> its head: `system`, tools and the rest,
// and the session's context that leads its messages.
export function messagesHead(body: Record<string, unknown>, contextMessages: number): PrewarmHead | undefined {
  if (!body.system || (Array.isArray(body.system) && body.system.length === 0)) return undefined;
  const context = contextMessages > 0 ? { messages: (body.messages as unknown[]).slice(0, contextMessages) } : {};
  return { api: "messages", fields: { ...pick(body, MESSAGES_REQUEST_ONLY), ...context } };
}

// The prewarm request: the head, one short user turn, one token to generate. Chat requests are
// streamed (to anyclaude only): a server notices at its next write that the client went away,
// so a cancelled prewarm stops computing (mlx_lm.server writes keepalives while it prefills).
export function prewarmRequest(head: PrewarmHead, model: string): { path: string; body: Record<string, unknown> } {
  if (head.api === "chat") {
    const system = (head.fields.messages ?? []) as ChatMessage[];
    return {
      path: "/chat/completions",
      body: {
        ...head.fields,
        model,
        messages: [...system, { role: "user", content: PREWARM_USER_TEXT }],
        max_tokens: 1,
        stream: true,
        stream_options: { include_usage: true },
      },
    };
  }
  const context = (head.fields.messages ?? []) as unknown[];
  return {
    path: "/messages",
    body: { ...head.fields, model, messages: [...context, { role: "user", content: PREWARM_USER_TEXT }], max_tokens: 1, stream: false },
  };
}

function pick(body: object, excluded: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key, value]) => !excluded.has(key) && value !== undefined));
}
