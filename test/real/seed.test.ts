// The seed's KV-cache test on real servers, through the daemon: Claude Code's 18,490-token prompt
// and five questions in a row. Per query, the time to the first token and the prompt and cached
// tokens the server reported. Times are reported, never asserted; cache reuse is asserted where the
// server reports it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { median } from "../../src/median";
import { saveFigures } from "./figures";
import { daemonFor, timedStream, type RealStack } from "./real-stack";
import { describeReal, startLlamaServer, startMlxLmServer, type RealServer } from "./real-servers";
import { SEED_QUESTIONS, seedPrompt } from "./seed-prompt";

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
      const { system, tools } = seedPrompt(`seed-${server.id}`);
      const messages: Anthropic.MessageParam[] = [];
      const queries = [];
      for (const question of SEED_QUESTIONS) {
        messages.push({ role: "user", content: question });
        const timed = await timedStream(stack.client, { model: "claude-opus-4-8", max_tokens: 64, system, tools, messages });
        messages.push({ role: "assistant", content: timed.message.content });
        queries.push({ n: queries.length + 1, ttftMs: Math.round(timed.ttftMs), totalMs: Math.round(timed.totalMs), promptTokens: timed.promptTokens, cachedTokens: timed.cachedTokens });
      }
      const speedup = queries[0]!.ttftMs / median(queries.slice(1).map((query) => query.ttftMs));
      saveFigures(`seed-${server.id}`, { server: server.id, queries, speedup: Number(speedup.toFixed(1)) });

      expect(queries[0]!.promptTokens).toBeGreaterThan(17_000);
      expect(queries[0]!.cachedTokens).toBe(0);
      for (const query of queries.slice(1)) {
        if (server.reportsCache) expect(query.cachedTokens / query.promptTokens).toBeGreaterThanOrEqual(0.95);
        else expect(query.cachedTokens).toBe(0); // it reports none: mlx-lm before 0.31
      }
    }, 600_000);
  });
}
