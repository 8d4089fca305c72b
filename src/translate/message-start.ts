import type { StreamEvent } from "../protocol/anthropic";

// The first event of every stream, sent before the backend answers. Claude Code needs
// usage.input_tokens here. The model is the one that answers (see replyModelName).
export function messageStart(context: { messageId: string; model: string; inputTokens: number }): StreamEvent {
  return {
    type: "message_start",
    message: {
      id: context.messageId,
      type: "message",
      role: "assistant",
      model: context.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: context.inputTokens, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    },
  };
}

// The name replies carry: the model the backend served, never the Claude model the client asked
// for. Claude Code stores each reply's model in its transcript and resumes `--continue` with it:
// measured with 2.1.197, a reply named "claude-opus-4-8" turned the continued run's
// "claude-opus-4-8[1m]" (system prompt line "Opus 4.8 (1M context)", the context-1m beta) into
// "claude-opus-4-8", which changes the system prompt 5% in and costs the whole cached prompt; a
// name that is not a Claude model leaves the client's own choice, and its context sizing, as it was.
// A backend's placeholder name (mlx_lm.server's `default_model`, see backend-quirks.ts) says
// nothing: the backend's own name is used instead.
export function replyModelName(upstreamModel: string, backend: { name: string; placeholderModel?: string }): string {
  return upstreamModel === backend.placeholderModel ? backend.name : upstreamModel;
}
