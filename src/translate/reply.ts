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

// Anthropic's input_tokens excludes cache reads: input = prompt - cached, cache_read = cached.
export function toAnthropicUsage(usage: ChatUsage | null | undefined, estimates: { input: number; output: number }): Usage {
  const prompt = usage?.prompt_tokens ?? estimates.input;
  const cached = Math.min(usage?.prompt_tokens_details?.cached_tokens ?? 0, prompt);
  return {
    input_tokens: prompt - cached,
    output_tokens: usage?.completion_tokens ?? estimates.output,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: 0,
  };
}

// Claude Code replays thinking blocks with their signature; a hash of the text makes it stable.
export function signThinking(thinking: string): string {
  return new Bun.CryptoHasher("sha256").update(thinking).digest("base64url");
}
