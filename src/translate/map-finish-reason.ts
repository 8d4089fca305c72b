import type { StopReason } from "../protocol/anthropic";

// OpenAI finish_reason -> Anthropic stop_reason. A reply that holds tool calls is `tool_use`
// whatever the server said: some llama.cpp builds finish tool calls with "stop".
export function mapFinishReason(finishReason: string | null | undefined, hasToolCalls: boolean): StopReason {
  if (hasToolCalls) return "tool_use";
  switch (finishReason) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "stop":
      return "end_turn";
    default:
      // null (mlx_lm.server on a dropped generation), "content_filter", "eos" (some llama.cpp forks)
      return "end_turn";
  }
}
