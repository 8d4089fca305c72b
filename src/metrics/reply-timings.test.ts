import { describe, expect, test } from "bun:test";
import type { Reply } from "../translate/reply";
import { replyTimings } from "./reply-timings";

const reply = (fields: Partial<Reply>): Reply => ({ text: "", thinking: "", toolCalls: [], stopReason: "end_turn", ...fields });

describe("reply timings", () => {
  test("from the clock: prefill is the computed tokens until the first token, decode the tokens after it", () => {
    const timings = replyTimings(
      { startedAt: 1_000, firstTokenAt: 31_000, endedAt: 33_000 },
      reply({ promptTokens: 18_490, cachedTokens: 490, completionTokens: 101 }),
    );
    expect(timings).toEqual({ ttftMs: 30_000, prefillTokensPerSecond: 600, decodeTokensPerSecond: 50, totalMs: 32_000 });
  });

  test("llama-server's own timings win over the clock", () => {
    const serverTimings = { prompt_n: 18_000, prompt_ms: 15_000, predicted_per_second: 49.75, cache_n: 490 };
    const timings = replyTimings(
      { startedAt: 0, firstTokenAt: 16_000, endedAt: 17_000 },
      reply({ promptTokens: 18_490, cachedTokens: 490, completionTokens: 40, serverTimings }),
    );
    expect(timings).toMatchObject({ ttftMs: 16_000, prefillTokensPerSecond: 1200, decodeTokensPerSecond: 49.8 });
  });

  test("a non-streamed reply has no time to first token; one generated token has no decode rate", () => {
    expect(replyTimings({ startedAt: 0, endedAt: 500 }, reply({ promptTokens: 100, completionTokens: 1 }))).toEqual({
      ttftMs: undefined,
      prefillTokensPerSecond: undefined,
      decodeTokensPerSecond: undefined,
      totalMs: 500,
    });
  });
});
