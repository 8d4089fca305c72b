import type { StreamEvent } from "../protocol/anthropic";

// The first event of every stream, sent before the backend answers. Claude Code needs
// usage.input_tokens here, and sizes its context window from the model name: the one it asked for.
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
