// The newest Claude Code with tool search on (its default), on real servers: one run loads an MCP
// server's tool and a deferred built-in tool (CronList) with ToolSearch and calls both, a
// --continue run follows. Through anyclaude to llama-server (chat completions, and its own
// /v1/messages as the "anthropic" kind) and to mlx_lm.server, side by side with Claude Code sent
// straight to llama-server's /v1/messages. Per request, the tokens the server evaluated anew, from
// its own reports. The test models cannot choose to call tools, so a steering proxy
// (steer-tool-calls.ts) answers with the script's calls once the real server has done the work.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BackendKind } from "../../src/config/config-schema";
import { makeClaudeHome, newestClaudeCode, runClaude } from "../support/run-claude";
import { saveFigures } from "./figures";
import { daemonFor, llamaCounts, upstreamCounts, type RealStack } from "./real-stack";
import { describeReal, startLlamaServer, startMlxLmServer, type RealServer } from "./real-servers";
import { steerToolCalls, type ScriptStep, type Steering } from "./steer-tool-calls";

const MCP_SERVER = resolve(import.meta.dir, "../support/notes-mcp-server.mjs");
const LOOKUP = "mcp__notes__lookup_note";

const SCRIPT: ScriptStep[] = [
  { name: "ToolSearch", input: { query: `select:${LOOKUP},CronList` } },
  { name: LOOKUP, input: { title: "shopping" } },
  { name: "CronList", input: {} },
  { text: "Your shopping note says: buy milk. You have no cron jobs." },
];

const RUNS = [
  ["-p", "Look up my shopping note, then list my cron jobs", "--mcp-config", "MCP_CONFIG", "--allowedTools", `${LOOKUP},CronList`],
  ["-p", "--continue", "Thanks", "--mcp-config", "MCP_CONFIG"],
];

type Path = { id: string; server: () => Promise<RealServer>; kind?: BackendKind; llama: boolean };
const PATHS: Path[] = [
  { id: "llama-server direct /v1/messages", server: () => startLlamaServer("qwen3-coder"), llama: true },
  { id: "anyclaude -> llama-server", server: () => startLlamaServer("qwen3-coder"), kind: "openai", llama: true },
  { id: "anyclaude -> llama-server /v1/messages", server: () => startLlamaServer("qwen3-coder"), kind: "anthropic", llama: true },
  { id: "anyclaude -> mlx-lm-0.32.2", server: () => startMlxLmServer("qwen3-coder", "0.32.2"), kind: "mlx-lm", llama: false },
];

const costs = new Map<string, number[][]>();
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

for (const path of PATHS) {
  describeReal(`Claude Code ${newestClaudeCode().version} with tool search, ${path.id}`, () => {
    let real: RealServer;
    let steering: Steering;
    let stack: RealStack | undefined;
    beforeAll(async () => {
      real = await path.server();
      steering = steerToolCalls(real.root, SCRIPT);
      stack = path.kind ? await daemonFor({ ...real, root: steering.url, url: `${steering.url}/v1` }, path.kind) : undefined;
    }, 180_000);
    afterAll(async () => {
      await stack?.stop();
      steering?.stop();
      await real?.stop();
    });

    test("a deferred tool and an MCP server's tool loaded and called; nothing refused; tokens evaluated per request", async () => {
      const { home, workdir } = makeClaudeHome();
      const mcpConfig = join(home, "mcp.json");
      writeFileSync(mcpConfig, JSON.stringify({ mcpServers: { notes: { command: "node", args: [MCP_SERVER] } } }));
      const runs: { args: string; evaluated: number[] }[] = [];
      for (const args of RUNS.map((run) => run.map((arg) => (arg === "MCP_CONFIG" ? mcpConfig : arg)))) {
        const mark = { log: real.log.length, upstream: stack?.upstream.length ?? 0 };
        const run = await runClaude(args, { baseUrl: stack?.url ?? steering.url, home, workdir, timeoutMs: 600_000 });
        expect(run.stderr).toBe("");
        expect(run.exitCode).toBe(0);
        const evaluated = path.llama ? await llamaCounts(real, mark.log) : await upstreamCounts(stack!, mark.upstream);
        runs.push({ args: args.filter((arg) => arg !== mcpConfig).join(" "), evaluated });
      }
      saveFigures(`tool-search-${path.id.replace(/[^a-z0-9.]+/gi, "-")}`, { path: path.id, claudeCode: newestClaudeCode().version, runs });
      costs.set(
        path.id,
        runs.map((run) => run.evaluated),
      );

      // The first run: ToolSearch, the MCP tool, CronList, the answer; no request refused (Claude
      // Code would have re-sent without deferred tools: one more request, ToolSearch gone).
      expect(runs[0]!.evaluated).toHaveLength(4);
      if (!path.kind) return;
      const mainRequests = stack!.upstream.filter((record) => (record.body.tools?.length ?? 0) > 0 && record.body.max_tokens > 1);
      for (const record of mainRequests) {
        const names = record.body.tools.map((tool: any) => tool.function?.name ?? tool.name);
        expect(names).toContain("ToolSearch");
        expect(names).not.toContain("DeferredToolPlaceholder");
      }
      // After the tools are loaded, no request recomputes the system prompt or the tool list: each
      // costs its new tokens. The first request after ToolSearch costs, on a server that parses only
      // declared tools, the prompt after the tool list, where the loaded tools are declared.
      const afterLoad = [...runs[0]!.evaluated.slice(2), ...runs[1]!.evaluated];
      for (const tokens of afterLoad) expect(tokens).toBeLessThan(500);
      if (path.kind === "mlx-lm") expect(runs[0]!.evaluated[1]!).toBeLessThan(500);
      const direct = costs.get(PATHS[0]!.id);
      if (!direct) throw new Error(`no figures from "${PATHS[0]!.id}" to compare with: run it in the same process (no -t filter that leaves it out)`);
      if (path.llama) expect(sum(runs.flatMap((run) => run.evaluated))).toBeLessThanOrEqual(sum(direct.flat()));
    }, 1_800_000);
  });
}

// What Claude Code's own setting costs: with ENABLE_TOOL_SEARCH=false every deferred tool is
// declared in full from the start. The first request's prompt, as llama-server counted it.
describeReal(`Claude Code ${newestClaudeCode().version}: the prompt with tool search on and off`, () => {
  let real: RealServer;
  let stack: RealStack;
  beforeAll(async () => {
    real = await startLlamaServer("qwen3-coder");
    stack = await daemonFor(real, "openai");
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    await real?.stop();
  });

  test("ENABLE_TOOL_SEARCH=false declares every tool: a larger prompt", async () => {
    const settings: { setting: string; promptTokens: number; tools: number }[] = [];
    for (const setting of ["default (tool search on)", "ENABLE_TOOL_SEARCH=false"]) {
      const { home, workdir } = makeClaudeHome();
      const mark = stack.upstream.length;
      const env: Record<string, string> = setting.startsWith("ENABLE") ? { ENABLE_TOOL_SEARCH: "false" } : {};
      const run = await runClaude(["-p", "Say hello"], { baseUrl: stack.url, home, workdir, env, timeoutMs: 600_000 });
      expect(run.exitCode).toBe(0);
      const first = stack.upstream.slice(mark).find((record) => (record.body.tools?.length ?? 0) > 0)!;
      await first.read;
      settings.push({ setting, promptTokens: first.usage!.prompt_tokens!, tools: first.body.tools.length });
    }
    saveFigures("tool-search-setting", { path: "anyclaude -> llama-server", claudeCode: newestClaudeCode().version, settings });
    expect(settings[1]!.tools).toBeGreaterThan(settings[0]!.tools);
    expect(settings[1]!.promptTokens).toBeGreaterThan(settings[0]!.promptTokens);
  }, 1_200_000);
});
