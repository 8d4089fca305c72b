// `anyclaude bench` through a real daemon (the compiled binary) against an emulated mlx_lm.server
// with a real prefill delay: its figures are checked against what the server reports for each
// request, and the CSV history grows by one row per query.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startLmStudioServer, startMlxLmServer, type EmulatorHandle } from "../emulators";
import { compiledBinary, daemonSandboxes, freePort, runBinary, useConfigFile } from "../support/compiled-binary";

const PREFILL_TOKENS_PER_SECOND = 40_000;

beforeAll(() => void compiledBinary());
const daemonSandbox = daemonSandboxes();

async function benchSandbox(mlx: EmulatorHandle) {
  const box = daemonSandbox();
  useConfigFile(box, { port: await freePort(), backends: [{ name: "mlx-lm", kind: "mlx-lm", url: mlx.url, tools: true }] });
  return { ...box, benchDir: join(box.home, ".local/state/anyclaude/bench") };
}

describe("anyclaude bench", () => {
  let mlx: EmulatorHandle;
  beforeAll(async () => {
    mlx = await startMlxLmServer({ prefillTokensPerSecond: PREFILL_TOKENS_PER_SECOND, prefillStepSize: 1024 });
  });
  afterAll(() => mlx.stop());

  test("the seed's test: an 18,490-token prompt, cold then cached follow-ups, then the baseline; figures as the backend reported them", async () => {
    const { env, benchDir } = await benchSandbox(mlx);
    const before = mlx.requests.length;
    const run = await runBinary(["bench", "--json"], env);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout);
    const served = mlx.requests.slice(before);
    expect(served).toHaveLength(10);
    expect(result).toMatchObject({ backend: "mlx-lm", model: "default_model", verdict: expect.stringContaining("the KV cache works") });
    expect(result.queries.map((query: { n: number }) => query.n)).toEqual([1, 2, 3, 4, 5]);
    [...result.queries, ...result.baseline].forEach((query: { promptTokens: number; cachedTokens: number }, index: number) => {
      expect(query.promptTokens).toBe(served[index]!.promptTokens!);
      expect(query.cachedTokens).toBe(served[index]!.cachedTokens!);
    });
    const [cold, ...followUps] = result.queries;
    // bench sizes its prompt with a stand-in tokenizer scaled to what Qwen3's real one counts.
    expect(Math.abs(cold.promptTokens - 18_490) / 18_490).toBeLessThan(0.03);
    expect(cold.cachedTokens).toBe(0);
    expect(cold.ttftMs).toBeGreaterThanOrEqual((cold.promptTokens / PREFILL_TOKENS_PER_SECOND) * 1000 * 0.9);
    for (const query of followUps) expect(query.cachedTokens / query.promptTokens).toBeGreaterThan(0.95);
    expect(result.speedup).toBeGreaterThan(3);
    expect(result.systemPromptShare).toBeGreaterThan(0.5);
    // The first request of the run found nothing of its prefix: the nonce leads the system prompt.
    expect(served[0]!.body.messages[0].content).toStartWith("Bench run ");
    expect(result.baseline[0].cachedTokens).toBeLessThan(10); // the chat template's first tokens
    expect(result.baseline[0].promptTokens).toBeLessThan(100);

    expect(JSON.parse(readFileSync(result.file, "utf8"))).toMatchObject({ backend: "mlx-lm", speedup: result.speedup });
    const history = readFileSync(join(benchDir, "history.csv"), "utf8").trim().split("\n");
    expect(history[0]).toBe("date,backend,model,query,ttft_ms,total_ms,prompt_tokens,cached_tokens,cached,notes");
    expect(history.slice(1).map((line) => line.split(",").slice(1, 4).join(","))).toEqual([
      ...[1, 2, 3, 4, 5].map((n) => `mlx-lm,default_model,${n}`),
      ...[1, 2, 3, 4, 5].map((n) => `mlx-lm,default_model,b${n}`),
    ]);
    expect(history[1]).toContain(`,${cold.ttftMs},${cold.totalMs},${cold.promptTokens},0,no,`);
    expect(history[2]).toEndWith(",yes,follow-up");

    // Another run appends to the history and writes its own JSON, in the terminal's form.
    const human = await runBinary(["bench", "--queries", "2", "--tokens", "3000"], env);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(/^q1 cold +█+░* +\S+ +\(ttft /m);
    expect(human.stdout).toMatch(/^q2 follow-up /m);
    expect(human.stdout).toMatch(/^b1 no system /m);
    expect(human.stdout).toContain("verdict: ");
    expect(readFileSync(join(benchDir, "history.csv"), "utf8").trim().split("\n")).toHaveLength(1 + 10 + 4);
    expect(readdirSync(benchDir).filter((name) => name.endsWith(".json"))).toHaveLength(2);
  });

  test("a backend that keeps no prompt cache: 'not cached', with the likely causes", async () => {
    const uncached = await startMlxLmServer({ prefillTokensPerSecond: PREFILL_TOKENS_PER_SECOND, cacheSlots: 0 });
    try {
      const { env } = await benchSandbox(uncached);
      const result = JSON.parse((await runBinary(["bench", "--json", "--queries", "3", "--tokens", "12000"], env)).stdout);
      expect(result.verdict).toMatch(/^\S+, \S+, \S+: not cached$/);
      expect(result.causes.join("\n")).toContain("prompt cache is off");
      for (const query of result.queries) expect(query.cachedTokens).toBe(0);
    } finally {
      await uncached.stop();
    }
  });

  test("through LM Studio (its llama.cpp slots, fragments and all), chosen with --backend", async () => {
    // The figures are the backend's reported counts: this LM Studio reports cached_tokens (the real one does not).
    const lmstudio = await startLmStudioServer({ prefillTokensPerSecond: PREFILL_TOKENS_PER_SECOND, reportsCachedTokens: true });
    try {
      const box = daemonSandbox();
      useConfigFile(box, {
        port: await freePort(),
        backends: [
          { name: "lmstudio", kind: "lmstudio", url: lmstudio.url },
          { name: "mlx-lm", kind: "mlx-lm", url: mlx.url },
        ],
      });
      const result = JSON.parse((await runBinary(["bench", "--json", "--backend", "lmstudio", "--queries", "3"], box.env)).stdout);
      expect(result).toMatchObject({ backend: "lmstudio", model: "qwen/qwen3-coder-30b", verdict: expect.stringContaining("the KV cache works") });
      const served = lmstudio.requests;
      expect(
        [...result.queries, ...result.baseline].map((query: { promptTokens: number; cachedTokens: number }) => [query.promptTokens, query.cachedTokens]),
      ).toEqual(served.map((request) => [request.promptTokens!, request.cachedTokens!]));
      expect(result.queries[0].ttftMs).toBeGreaterThanOrEqual((result.queries[0].promptTokens / PREFILL_TOKENS_PER_SECOND) * 1000 * 0.9);
    } finally {
      await lmstudio.stop();
    }
  });

  test("an unknown backend or a bad count is a usage error", async () => {
    const { env } = await benchSandbox(mlx);
    const unknown = await runBinary(["bench", "--backend", "nope"], env);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('no backend named "nope"; the daemon has: mlx-lm');
    expect((await runBinary(["bench", "--queries", "1"], env)).stderr).toContain("--queries 1: use a whole number of at least 2");
    expect(existsSync(join(env.HOME!, ".local/state/anyclaude/bench/history.csv"))).toBe(false);
  });
});
