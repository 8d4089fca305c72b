// `anyclaude status` as a person reads it: per backend errors, median time to first token and
// decode speed; the last error; the last few replies with their timings.
import { describe, expect, test } from "bun:test";
import { formatStatus } from "../../src/cli/status";
import type { StatusReport } from "../../src/server/status-report";

const at = new Date(2026, 4, 1, 14, 3, 7);
const backend = {
  kind: "mlx-lm",
  url: "http://127.0.0.1:8081/v1",
  healthy: true,
  error: undefined,
  model: "default_model",
  tools: false,
  images: false,
  cachedPrompts: 1,
  reportsCachedTokens: true,
};
const report = {
  version: "0.1.0",
  uptimeSeconds: 75,
  pid: 42,
  listen: "http://127.0.0.1:18082",
  routing: { mode: "auto", toolsBackend: "lmstudio", defaultBackend: "mlx-lm", affinity: true, toolsWhen: "defined" },
  backends: [
    {
      ...backend,
      name: "mlx-lm",
      contextLength: 32768,
      requests: 2,
      errors: 1,
      lastError: { message: "backend closed the stream", at: at.toISOString() },
      promptTokens: 37_000,
      cachedTokens: 18_400,
      ttftP50Ms: 412,
      decodeTokensPerSecond: 48.2,
    },
    {
      ...backend,
      name: "lmstudio",
      kind: "lmstudio",
      contextLength: null,
      requests: 0,
      errors: 0,
      lastError: null,
      promptTokens: 0,
      cachedTokens: 0,
      ttftP50Ms: null,
      decodeTokensPerSecond: null,
    },
  ],
  routes: { "no-tools": 2 },
  sessions: 1,
  recent: [
    {
      startedAt: at.toISOString(),
      backend: "mlx-lm",
      route: "no-tools",
      state: "done",
      promptTokens: 18_500,
      cachedTokens: 18_400,
      completionTokens: 40,
      stopReason: "end_turn",
      ttftMs: 412,
      decodeTokensPerSecond: 48.2,
      totalMs: 1_250,
      elapsedMs: 1_250,
    },
  ],
} as unknown as StatusReport;

describe("status, formatted", () => {
  test("errors, median TTFT and decode speed per backend; the last error; recent replies", () => {
    const text = formatStatus(report);
    expect(text).toMatch(/^mlx-lm +mlx-lm +up +default_model +no +32768 +2 +1 +50% of 37000 +0\.41 s +48\.2 tok\/s$/m);
    expect(text).toMatch(/^lmstudio +lmstudio +up +default_model +no +- +0 +0 +- +- +-$/m);
    expect(text).toContain(`mlx-lm last error (${at.toISOString()}): backend closed the stream`);
    expect(text).toContain(
      "recent:\n  2026-05-01 14:03:07 mlx-lm [no-tools] 18500 prompt tokens, 99% cached, 40 generated (end_turn); ttft 0.41 s, decode 48.2 tok/s, total 1.25 s\n",
    );
  });
});

describe("status, formatted: prewarm", () => {
  const prewarm = {
    enabled: true,
    warm: true,
    running: false,
    prefixes: 2,
    prefixTokens: 20_000,
    lastWarmedAt: at.toISOString(),
    lastDurationMs: 12_345,
    lastPromptTokens: 20_010,
    lastCachedTokens: 0,
    runs: 2,
    cancelled: 1,
    lastError: null,
  };
  test("per backend: warm or not, when it was last warmed and how long it took", () => {
    const text = formatStatus({
      ...report,
      backends: [
        { ...report.backends[0]!, prewarm },
        { ...report.backends[1]!, prewarm: { ...prewarm, enabled: false } },
      ],
    } as StatusReport);
    expect(text).toContain(`mlx-lm prewarm: warm (2 prefixes, last warmed ${at.toISOString()} in 12.3 s, 1 cancelled by requests)\n`);
    expect(text).toContain("lmstudio prewarm: off\n");
  });
});
