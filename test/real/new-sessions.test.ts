// New sessions, one after another, on llama-server as users start it: four one-shot `claude -p`
// runs of the newest Claude Code in one project, straight to llama-server's own /v1/messages and
// through anyclaude, each on a llama-server of its own. Measured before anyclaude learned which
// llama-server it has (src/backends/slot-pinning.ts): direct [12151, 2156, 2156, 2156] tokens,
// through anyclaude [11793, 11793, 11793, 11793], each new session pinned to a slot the server had
// cleared into its RAM cache. Also with `--cache-ram 0` (no RAM cache: slots keep their prompts)
// and `-sps 0` (no slot picked by similarity: every request through the RAM cache). Tokens from
// llama-server's own log.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { saveFigures } from "./figures";
import { daemonFor, llamaCounts, type RealStack } from "./real-stack";
import { describeReal, startLlamaServer, type RealServer } from "./real-servers";
import { makeClaudeHome, newestClaudeCode, runClaude } from "../support/run-claude";
import { sum } from "./claude-code-session";

const RUNS = ["What is 2+2?", "What is 3+3?", "What is 4+4?", "What is 5+5?"];
// `each`: every run costs at most what it costs direct; else the runs together. With -sps 0 the
// server itself alternates (measured, 2.1.337: direct [12166, 12166, 2160, 2160], through anyclaude
// [11809, 10, 11809, 9]): a request restored from its RAM cache takes the entry with it, and a
// finished slot is saved there only once the next task has taken its own.
const SETTINGS = [
  { id: "default", options: {}, each: true },
  { id: "--cache-ram 0", options: { cacheRamMib: 0 }, each: true },
  { id: "-sps 0", options: { promptSimilarity: 0 }, each: false },
] as const;

for (const setting of SETTINGS) {
  describeReal(`new sessions on llama-server (${setting.id}), Claude Code ${newestClaudeCode().version}`, () => {
    const servers: RealServer[] = [];
    let stack: RealStack;
    beforeAll(async () => {
      servers.push(await startLlamaServer("qwen3-coder", setting.options), await startLlamaServer("qwen3-coder", setting.options));
      stack = await daemonFor(servers[1]!, "openai", "real", { settings: { prewarm: false } });
    }, 180_000);
    afterAll(async () => {
      await stack?.stop();
      for (const server of servers) await server.stop();
    });

    test("four one-shot sessions in one project: each new one through anyclaude costs what it costs direct, or less", async () => {
      const costs: Record<string, number[]> = {};
      for (const [path, server, baseUrl] of [
        ["direct /v1/messages", servers[0]!, servers[0]!.root],
        ["anyclaude", servers[1]!, stack.url],
      ] as const) {
        const { home, workdir } = makeClaudeHome();
        costs[path] = [];
        for (const question of RUNS) {
          const mark = server.log.length;
          const run = await runClaude(["-p", question], { baseUrl, home, workdir, timeoutMs: 300_000 });
          expect(run.exitCode).toBe(0);
          expect(run.stderr).toBe("");
          costs[path]!.push(sum(await llamaCounts(server, mark)));
        }
      }
      saveFigures(`new-sessions-llama-server-${setting.id.replace(/[^a-z0-9]+/gi, "-")}`, { setting: setting.id, costs });
      const [direct, anyclaude] = [costs["direct /v1/messages"]!, costs.anyclaude!];
      if (!setting.each) return expect(sum(anyclaude)).toBeLessThanOrEqual(sum(direct));
      // After the first, a new session computes its own question and what Claude Code sends
      // with it, not the system prompt and tools again.
      for (const cost of anyclaude.slice(1)) expect(cost).toBeLessThan(1_000);
      anyclaude.forEach((cost, index) => expect(cost).toBeLessThanOrEqual(direct[index]! + 16));
    }, 1_200_000);
  });
}
