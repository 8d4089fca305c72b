// The first question after a server restart, with the real Claude Code on the real servers:
// the daemon warms the server with the system prompt and tools Claude Code sent before, so the
// new session's first request computes only what is new. The time to first token next to a warm
// follow-up's is reported; the tokens the server computed are asserted.
import { afterAll, expect, test } from "bun:test";
import { freePort } from "../support/compiled-binary";
import { makeClaudeHome, runClaude } from "../support/run-claude";
import { saveFigures } from "./figures";
import { daemonFor, llamaCounts, upstreamCounts, type RealStack } from "./real-stack";
import { describeReal, startLlamaServer, startMlxLmServer, type RealServer } from "./real-servers";

const SERVERS = [
  { id: "llama-server", kind: "openai", start: (port: number) => startLlamaServer("qwen3-coder", { port }) },
  { id: "mlx-lm-0.32.2", kind: "mlx-lm", start: (port: number) => startMlxLmServer("qwen3-coder", "0.32.2", port) },
] as const;

for (const server of SERVERS)
  describeReal(`prewarm after a ${server.id} restart, with the real Claude Code`, () => {
    let real: RealServer | undefined;
    let stack: RealStack | undefined;
    afterAll(async () => {
      await stack?.stop();
      await real?.stop();
    });

    test("the first question after the restart finds the system prompt and tools computed", async () => {
      const port = await freePort();
      real = await server.start(port);
      stack = await daemonFor(real, server.kind);
      const { home, workdir } = makeClaudeHome();
      const claude = (args: string[]) => runClaude(args, { baseUrl: stack!.url, home, workdir, timeoutMs: 300_000 });

      expect((await claude(["-p", "Say hello"])).exitCode).toBe(0);
      expect((await claude(["-p", "--continue", "And again"])).exitCode).toBe(0);
      const warmFollowUp = (await lastReply(stack)).ttftMs;

      await real.stop();
      await until(async () => (await backendStatus(stack!)).healthy === false);
      real = await server.start(port);
      const prewarm = await until(async () => {
        const status = await backendStatus(stack!);
        return status.healthy && status.prewarm.warm && !status.prewarm.running ? status.prewarm : undefined;
      });

      const mark = { log: real.log.length, upstream: stack.upstream.length };
      expect((await claude(["-p", "What is 2+2?"])).exitCode).toBe(0);
      const evaluated = server.kind === "openai" ? await llamaCounts(real, mark.log) : await upstreamCounts(stack, mark.upstream);
      const firstAfterRestart = (await lastReply(stack)).ttftMs;
      saveFigures(`prewarm-${server.id}`, {
        warmFollowUpTtftMs: warmFollowUp,
        firstAfterRestartTtftMs: firstAfterRestart,
        ratio: Number((firstAfterRestart / warmFollowUp).toFixed(2)),
        evaluated,
        prewarm,
      });

      // The prewarm computed Claude Code's system prompt and tools (2.1.332, tool search on: ~11.7k
      // tokens with these templates; 2.1.197 sent ~19k).
      expect(prewarm.lastPromptTokens).toBeGreaterThan(10_000);
      // The new session computes its own turn, not the ~12k tokens of system prompt and tools.
      expect(evaluated.reduce((sum, tokens) => sum + tokens, 0)).toBeLessThan(500);
    }, 900_000);
  });

async function backendStatus(stack: RealStack): Promise<any> {
  const status: any = await (await fetch(`${stack.url}/anyclaude/status`)).json();
  return status.backends[0];
}

async function lastReply(stack: RealStack): Promise<{ ttftMs: number }> {
  const status: any = await (await fetch(`${stack.url}/anyclaude/status`)).json();
  return status.recent.at(-1);
}

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value) return value as T;
    await Bun.sleep(250);
  }
  throw new Error(`not reached within ${timeoutMs} ms`);
}
