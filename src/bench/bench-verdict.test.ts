import { describe, expect, test } from "bun:test";
import { judge } from "./bench-verdict";

const query = (n: number, ttftMs: number, promptTokens: number, cachedTokens: number | null) => ({
  n,
  ttftMs,
  totalMs: ttftMs + 500,
  promptTokens,
  cachedTokens,
});

describe("the bench verdict, in the seed's terms", () => {
  test("30s, then well under a second: the KV cache works; the system prompt's share of the cold query", () => {
    const verdict = judge([query(1, 30_000, 18_490, 0), query(2, 400, 18_560, 18_500), query(3, 420, 18_630, 18_570)], [query(1, 300, 40, 0)]);
    expect(verdict).toEqual({ speedup: 73.2, systemPromptShare: 0.97, verdict: "30s, 0.40s, 0.42s: the KV cache works (follow-ups 73.2x faster)", causes: [] });
  });

  test("30s, 30s, 30s: not cached, with the likely causes", () => {
    const verdict = judge([query(1, 30_000, 18_490, 0), query(2, 29_500, 18_560, 0), query(3, 30_200, 18_630, 0)], []);
    expect(verdict.verdict).toBe("30s, 30s, 30s: not cached");
    expect(verdict.systemPromptShare).toBeNull();
    expect(verdict.causes.length).toBeGreaterThanOrEqual(3);
  });

  test("a backend that reports no cached tokens (LM Studio) is judged by its timings alone", () => {
    expect(judge([query(1, 30_000, 18_490, null), query(2, 500, 18_560, null)], []).verdict).toContain("the KV cache works");
    const slow = judge([query(1, 30_000, 18_490, null), query(2, 12_000, 18_560, null)], []);
    expect(slow.verdict).toBe("30s, 12s: partly cached");
    expect(slow.causes.at(-1)).toContain("reports no cached tokens");
  });
});
