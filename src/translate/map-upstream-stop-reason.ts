// A Messages-API backend's stop_reason and stop_sequence -> the ones relayed to the client.
import type { StopReason } from "../protocol/anthropic";

export function mapUpstreamStopReason(
  stopReason: string | null | undefined,
  stopSequence: string | null | undefined,
): { stopReason: StopReason; stopSequence: string | null } {
  const sequence = stopSequence ?? null;
  switch (stopReason) {
    case "end_turn":
      // llama-server answers a reply ended by a stop word with end_turn and the word as stop_sequence
      // (tools/server/server-task.cpp, to_json_anthropic): that is a stop_sequence stop.
      return sequence === null ? { stopReason: "end_turn", stopSequence: null } : { stopReason: "stop_sequence", stopSequence: sequence };
    case "stop_sequence":
      return { stopReason, stopSequence: sequence };
    case "max_tokens":
    case "tool_use":
    case "refusal":
    case "pause_turn":
      return { stopReason, stopSequence: null };
    case null:
    case undefined:
      return { stopReason: "end_turn", stopSequence: null };
    default:
      // A value the Messages API added after this was written (or a server's own): the reply ended.
      return { stopReason: "end_turn", stopSequence: null };
  }
}
