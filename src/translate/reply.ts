// What one backend reply amounted to, streamed or not: the exact bytes the model generated
// (for replaying the turn byte-for-byte) and the counts the backend reported.
import type { ChatUsage, ServerTimings } from "../protocol/openai";
import type { StopReason, Usage } from "../protocol/anthropic";

// `clientJson`: the input as the client was handed it, when not `arguments` (settle-tool-calls.ts).
export type GeneratedToolCall = { id: string; name: string; arguments: string; clientJson?: string };

export type Reply = {
  text: string;
  thinking: string;
  toolCalls: GeneratedToolCall[];
  stopReason: StopReason;
  promptTokens?: number;
  cachedTokens?: number;
  completionTokens?: number;
  serverTimings?: ServerTimings; // llama-server measures prefill and decode itself
  warnings?: string[]; // what the translation mended or dropped, for the caller to log
};

// A count as a backend reported it, made one: a non-negative safe integer (a fraction rounded).
// Anything else (negative, NaN, 1e308, a string: what a broken server sends) is no count at all,
// and the caller falls back to its estimate. Every token count read from a backend passes here.
export function tokenCount(value: unknown): number | undefined {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return undefined;
  const count = Math.round(value);
  return Number.isSafeInteger(count) ? count : undefined;
}

// The counts of an OpenAI usage object, each one checked (tokenCount).
export function readChatUsage(usage: ChatUsage | null | undefined): { promptTokens?: number; cachedTokens?: number; completionTokens?: number } {
  return {
    promptTokens: tokenCount(usage?.prompt_tokens),
    cachedTokens: tokenCount(usage?.prompt_tokens_details?.cached_tokens),
    completionTokens: tokenCount(usage?.completion_tokens),
  };
}

// Anthropic's input_tokens excludes cache reads: input = prompt - cached, cache_read = cached.
export function toAnthropicUsage(usage: ChatUsage | null | undefined, estimates: { input: number; output: number }): Usage {
  const counts = readChatUsage(usage);
  const prompt = counts.promptTokens ?? estimates.input;
  const cached = Math.min(counts.cachedTokens ?? 0, prompt);
  return {
    input_tokens: prompt - cached,
    output_tokens: counts.completionTokens ?? estimates.output,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: 0,
  };
}

// An Anthropic usage object a Messages-API backend sent, as the client gets it: each count
// checked, a bad one replaced by the estimate (input, output) or 0 (cache counts).
export function checkAnthropicUsage<U extends Record<string, unknown>>(usage: U, estimates: { input: number; output: number }): U {
  const checked: Record<string, unknown> = { ...usage };
  const fallback: Record<string, number> = {
    input_tokens: estimates.input,
    output_tokens: estimates.output,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  };
  for (const [key, estimate] of Object.entries(fallback)) if (key in usage) checked[key] = tokenCount(usage[key]) ?? estimate;
  return checked as U;
}

// Claude Code replays thinking blocks with their signature; a hash of the text makes it stable.
export function signThinking(thinking: string): string {
  return new Bun.CryptoHasher("sha256").update(thinking).digest("base64url");
}
