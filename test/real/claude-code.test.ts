// The real Claude Code (the newest release this build is tested with: `claude -p`, then
// `--continue`) on real servers: through the daemon to llama-server (both kinds) and to
// mlx_lm.server, and, side by side, straight to llama-server's own /v1/messages, the path a user
// could take instead. Per request, the tokens the server had to
// evaluate anew, from the server's own reports.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { saveFigures } from "./figures";
import { daemonFor, llamaCounts, upstreamCounts, type RealStack } from "./real-stack";
import { describeReal, startLlamaServer, startMlxLmServer, type RealServer } from "./real-servers";
import { makeClaudeHome, runClaude } from "../support/run-claude";
import { SESSION, sum } from "./claude-code-session";

const PATHS = [
  { id: "llama-server direct /v1/messages", server: () => startLlamaServer("qwen3-coder"), viaDaemon: undefined, llama: true },
  { id: "anyclaude -> llama-server", server: () => startLlamaServer("qwen3-coder"), viaDaemon: "openai", llama: true },
  // Its own /v1/messages as the "anthropic" kind: the session's system messages join the system
  // prompt, later ones go as user text (llama.cpp copies them, Qwen templates raise on them).
  { id: "anyclaude -> llama-server /v1/messages", server: () => startLlamaServer("qwen3-coder"), viaDaemon: "anthropic", llama: true },
  { id: "anyclaude -> mlx-lm-0.32.2", server: () => startMlxLmServer("qwen3-coder", "0.32.2"), viaDaemon: "mlx-lm", llama: false },
] as const;

// Per path, the tokens each run cost: the paths run in this order, so the direct path's figures
// are there when anyclaude's are compared with them.
const costs = new Map<string, number[]>();

for (const path of PATHS) {
  describeReal(`Claude Code, ${path.id}`, () => {
    let real: RealServer;
    let stack: RealStack | undefined;
    beforeAll(async () => {
      real = await path.server();
      stack = path.viaDaemon ? await daemonFor(real, path.viaDaemon) : undefined;
    }, 180_000);
    afterAll(async () => {
      await stack?.stop();
      await real?.stop();
    });

    test("a session of six runs: every run answers; tokens evaluated per request", async () => {
      const { home, workdir } = makeClaudeHome();
      const runs: { args: string; evaluated: number[] }[] = [];
      for (const args of SESSION) {
        const mark = { log: real.log.length, upstream: stack?.upstream.length ?? 0 };
        const run = await runClaude(args, { baseUrl: stack?.url ?? real.root, home, workdir, timeoutMs: 300_000 });
        runs.push({ args: args.join(" "), evaluated: path.llama ? await llamaCounts(real, mark.log) : await upstreamCounts(stack!, mark.upstream) });
        expect(run.stderr).toBe("");
        expect(run.exitCode).toBe(0);
        expect(run.stdout.trim().length).toBeGreaterThan(0);
      }
      saveFigures(`claude-code-${path.id.replace(/[^a-z0-9.]+/gi, "-")}`, { path: path.id, runs });
      costs.set(
        path.id,
        runs.map((run) => sum(run.evaluated)),
      );

      // A --continue run costs its new turn, not the conversation (Claude Code's reply names
      // once broke the first one's system prompt: ~1,600 tokens, once the whole 21k); through
      // anyclaude, so does a new session's first question (its system prompt, tools and agent
      // list are shared with the earlier session).
      for (const run of runs.slice(1)) {
        if (run.args.includes("--continue") || path.viaDaemon) expect(sum(run.evaluated)).toBeLessThan(200);
      }
      // Through anyclaude, every run costs at most what it costs straight to llama-server's own
      // /v1/messages (which keeps Claude Code's per-session billing line: a new session there
      // recomputes the whole prompt).
      // Without the direct path's figures (a -t filter that left it out) this fails: it never
      // passes without comparing.
      if (path.viaDaemon && path.llama) {
        const direct = costs.get(PATHS[0].id);
        if (!direct) throw new Error(`no figures from "${PATHS[0].id}" to compare with: run it in the same process (no -t filter that leaves it out)`);
        costs.get(path.id)!.forEach((cost, index) => expect(cost).toBeLessThanOrEqual(direct[index]! + 16));
      }
    }, 1_800_000);
  });
}
