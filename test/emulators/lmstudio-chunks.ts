// The chat.completion.chunk objects LM Studio streams for a reply: "role" only in the first
// delta; reasoning as `reasoning_content`; tool calls in fragments (the first with index, id,
// type and name and empty arguments, then argument pieces per index, each repeating
// `type: "function"` and an empty name, as LM Studio 0.3.16+ logs them); a last delta with the
// finish_reason; then, when asked for, a usage chunk with no choices.
import type { Completion, EmulatedToolCall } from "./emulate-completion";
import { streamPieces } from "./encode-tokens";

export type ChunkContext = { id: string; model: string; created: number; includeUsage: boolean; interleaveToolCalls: boolean; reportsCachedTokens: boolean };

export function lmStudioChunks(completion: Completion, context: ChunkContext): object[] {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: context.id,
    object: "chat.completion.chunk",
    created: context.created,
    model: context.model,
    system_fingerprint: context.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
  const deltas: Record<string, unknown>[] = [
    ...streamPieces(completion.reasoning).map((reasoning_content) => ({ reasoning_content })),
    ...streamPieces(completion.text).map((content) => ({ content })),
    ...toolCallDeltas(completion.toolCalls, context.interleaveToolCalls),
  ];
  const chunks: object[] = deltas.map((delta, index) => chunk(index === 0 ? { role: "assistant", ...delta } : delta));
  chunks.push(chunk(chunks.length === 0 ? { role: "assistant" } : {}, completion.finishReason));
  if (context.includeUsage) {
    chunks.push({
      id: context.id,
      object: "chat.completion.chunk",
      created: context.created,
      model: context.model,
      system_fingerprint: context.model,
      choices: [],
      usage: usageOf(completion, context.reportsCachedTokens),
    });
  }
  return chunks;
}

// The model writes one call after another, so that is how they stream. `interleave` sends the
// heads first and then the argument pieces round-robin, for testing a client's per-index state.
function toolCallDeltas(calls: EmulatedToolCall[], interleave: boolean): Record<string, unknown>[] {
  const head = (call: EmulatedToolCall, index: number) => ({
    tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
  });
  const piece = (index: number, text: string) => ({ tool_calls: [{ index, type: "function", function: { name: "", arguments: text } }] });
  const pieces = calls.map((call) => streamPieces(call.arguments, 2));
  if (!interleave) return calls.flatMap((call, index) => [head(call, index), ...pieces[index]!.map((text) => piece(index, text))]);
  const deltas: Record<string, unknown>[] = calls.map(head);
  for (let round = 0; round < Math.max(0, ...pieces.map((list) => list.length)); round++) {
    pieces.forEach((list, index) => {
      if (round < list.length) deltas.push(piece(index, list[round]!));
    });
  }
  return deltas;
}

export function completionBody(completion: Completion, context: { id: string; model: string; created: number; reportsCachedTokens: boolean }) {
  const message: Record<string, unknown> = { role: "assistant", content: completion.text };
  if (completion.reasoning) message.reasoning_content = completion.reasoning;
  if (completion.toolCalls.length)
    message.tool_calls = completion.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }));
  return {
    id: context.id,
    object: "chat.completion",
    created: context.created,
    model: context.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: completion.finishReason }],
    usage: usageOf(completion, context.reportsCachedTokens),
    stats: {},
    system_fingerprint: context.model,
  };
}

// LM Studio's usage has no prompt_tokens_details (no cached_tokens): see LmStudioOptions.reportsCachedTokens.
function usageOf(completion: Completion, reportsCachedTokens: boolean) {
  const usage = {
    prompt_tokens: completion.promptTokens,
    completion_tokens: completion.completionTokens,
    total_tokens: completion.promptTokens + completion.completionTokens,
  };
  return reportsCachedTokens ? { ...usage, prompt_tokens_details: { cached_tokens: completion.cachedTokens } } : usage;
}
