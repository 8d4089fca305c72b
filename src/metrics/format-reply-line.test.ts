import { describe, expect, test } from "bun:test";
import { formatReplyLine, formatTimestamp } from "./format-reply-line";

const startedAt = new Date(2026, 4, 1, 14, 3, 7).getTime();

describe("the log line of a reply", () => {
  test("timestamp, backend, route, tokens and cached share, then the timings", () => {
    const line = formatReplyLine({
      startedAt,
      backend: "mlx-lm",
      route: "affinity",
      state: "done",
      promptTokens: 18_502,
      cachedTokens: 18_300,
      completionTokens: 41,
      stopReason: "end_turn",
      ttftMs: 412,
      prefillTokensPerSecond: 490.3,
      decodeTokensPerSecond: 48.2,
      totalMs: 1_260,
    });
    expect(line).toBe(
      "2026-05-01 14:03:07 mlx-lm [affinity] 18502 prompt tokens, 99% cached, 41 generated (end_turn); ttft 0.41 s, prefill 490 tok/s, decode 48.2 tok/s, total 1.26 s",
    );
  });

  test("a backend that reports no cached tokens (LM Studio) shows '?', not 0%", () => {
    const line = formatReplyLine({
      startedAt,
      backend: "lmstudio",
      route: "tools",
      state: "done",
      promptTokens: 18_490,
      completionTokens: 12,
      stopReason: "tool_use",
      ttftMs: 31_400,
      totalMs: 32_000,
    });
    expect(line).toBe("2026-05-01 14:03:07 lmstudio [tools] 18490 prompt tokens, ? cached, 12 generated (tool_use); ttft 31.4 s, total 32.0 s");
  });

  test("a failed request says after how long and why", () => {
    expect(formatReplyLine({ startedAt, backend: "lmstudio", route: "tools", state: "failed", error: "backend closed the stream", totalMs: 2_500 })).toBe(
      "2026-05-01 14:03:07 lmstudio [tools] failed after 2.50 s: backend closed the stream",
    );
    expect(formatTimestamp(startedAt)).toBe("2026-05-01 14:03:07");
  });
});
