// The seed's KV-cache test on real servers, through the daemon: Claude Code's 18,490-token prompt
// and five questions in a row. Per query, the time to the first token and the prompt and cached
// tokens the server reported. Times are reported, never asserted; cache reuse is asserted where the
// server reports it.
// (vLLM's run is in vllm.test.ts, which starts its slow server once for all its tests.)
import { afterAll, beforeAll, expect, test } from "bun:test";
import { daemonFor, type RealStack } from "./real-stack";
import { describeReal, startLlamaServer, startMlxLmServer, type RealServer } from "./real-servers";
import { runSeed } from "./run-seed";

const SERVERS = [
  { id: "llama-server", kind: "openai", reportsCache: true, start: () => startLlamaServer("qwen3-coder") },
  { id: "mlx-lm-0.32.2", kind: "mlx-lm", reportsCache: true, start: () => startMlxLmServer("qwen3-coder", "0.32.2") },
  { id: "mlx-lm-0.30.7", kind: "mlx-lm", reportsCache: false, start: () => startMlxLmServer("qwen3-coder", "0.30.7") },
] as const;

for (const server of SERVERS) {
  describeReal(`seed test on ${server.id}`, () => {
    let real: RealServer;
    let stack: RealStack;
    beforeAll(async () => {
      real = await server.start();
      stack = await daemonFor(real, server.kind);
    }, 180_000);
    afterAll(async () => {
      await stack?.stop();
      await real?.stop();
    });

    test("five questions: the follow-ups reuse the prompt the server computed", async () => {
      const queries = await runSeed(stack, server.id);
      expect(queries[0]!.promptTokens).toBeGreaterThan(17_000);
      expect(queries[0]!.cachedTokens).toBe(0);
      for (const query of queries.slice(1)) {
        if (server.reportsCache) expect(query.cachedTokens / query.promptTokens).toBeGreaterThanOrEqual(0.95);
        else expect(query.cachedTokens).toBe(0); // it reports none: mlx-lm before 0.31
      }
    }, 600_000);
  });
}
