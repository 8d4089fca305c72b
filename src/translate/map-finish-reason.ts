import type { StopReason } from "../protocol/anthropic";

export type FinishFacts = {
  toolCalls: number; // tool calls that go to the client (dropped ones excluded)
  cutOff: boolean; // the token limit struck inside a tool call
  stopSequence?: string; // the request's stop sequence the server says it stopped on
};

// OpenAI finish_reason -> Anthropic stop_reason.
export function mapFinishReason(finishReason: string | null | undefined, facts: FinishFacts): StopReason {
  if (facts.cutOff) return "max_tokens";
  // A reply that holds tool calls is `tool_use` whatever the server said: some llama.cpp builds
  // finish tool calls with "stop".
  if (facts.toolCalls > 0) return "tool_use";
  switch (finishReason) {
    case "length":
      return "max_tokens";
    case "stop":
      return facts.stopSequence === undefined ? "end_turn" : "stop_sequence";
    case "content_filter":
      return "refusal";
    case "tool_calls":
    case "function_call":
      // The server said tool calls, but none could be run (each became a note): the turn is over.
      return "end_turn";
    case null:
    case undefined:
      // mlx_lm.server on a dropped generation
      return "end_turn";
    default:
      // Values outside OpenAI's list: "eos" (some llama.cpp forks), "abort" (vLLM). The reply ended.
      return "end_turn";
  }
}

// The stop sequence a server reports it stopped on, when it is one the request asked for (not one
// the chat template added). vLLM sends it as `stop_reason` next to finish_reason "stop" (a token
// id there is not a sequence); llama-server as `__verbose.stopping_word` when the request asks
// with `verbose` (see backend-quirks.ts). mlx_lm.server and LM Studio do not say which.
export function matchedStopSequence(reported: unknown, requested: readonly string[] | undefined): string | undefined {
  return typeof reported === "string" && requested?.includes(reported) ? reported : undefined;
}

// What a chunk or completion says it stopped on, in whichever server's words.
export function reportedStop(said: { stop_reason?: unknown; __verbose?: { stop_type?: string | null; stopping_word?: string | null } | null }): unknown {
  if (said.stop_reason != null) return said.stop_reason;
  return said.__verbose?.stop_type === "word" ? said.__verbose.stopping_word : undefined;
}
