// The newest Claude Code running three Explore agents in parallel, through anyclaude to the real
// llama-server (its default 4 slots): the main thread's calls are scripted (steer-tool-calls.ts),
// the agents' requests go to the server as they are and are answered by the model. The agents
// start together with the same system prompt and tools: with coalescing, their shared prompt is
// computed once; without (coalescePrefills false), once per agent. Tokens from the server's own
// reports, per agent request.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeClaudeHome, newestClaudeCode, runClaude } from "../support/run-claude";
import { saveFigures } from "./figures";
import { daemonFor, type RealStack, type UpstreamRecord } from "./real-stack";
import { describeReal, startLlamaServer, type RealServer } from "./real-servers";
import { steerToolCalls, type Steering } from "./steer-tool-calls";

const explore = (topic: string) => ({
  name: "Agent",
  input: {
    description: `Find ${topic}`,
    prompt: `Find where ${topic} is handled in this project and report the files.`,
    subagent_type: "Explore",
    run_in_background: false,
  },
});
const SCRIPT = [{ calls: [explore("routing"), explore("logging"), explore("configuration")] }, { text: "The three searches are done." }];
const AGENTS = 3;

const isMainThread = (tools: string[]) => tools.includes("Agent");
const agentRequests = (records: UpstreamRecord[]) =>
  records.filter((record) => !isMainThread((record.body.tools ?? []).map((tool: any) => tool.function.name)) && (record.body.tools?.length ?? 0) > 0);

describeReal(`Claude Code ${newestClaudeCode().version}: parallel Explore agents on llama-server (4 slots)`, () => {
  let real: RealServer;
  let steering: Steering;
  const stacks: Record<string, RealStack> = {};
  beforeAll(async () => {
    // --parallel 4, as parallel-agents.test.ts says why: the agents join the slot of the first.
    real = await startLlamaServer("qwen3-coder", { slots: 4, ctx: 16_384 });
    steering = steerToolCalls(real.root, SCRIPT, isMainThread);
    const behind = { ...real, root: steering.url, url: `${steering.url}/v1` };
    stacks.separate = await daemonFor(behind, "openai", "real", { settings: { prewarm: false, coalescePrefills: false, pinSlots: false } });
    stacks.coalesced = await daemonFor(behind, "openai", "real", { settings: { prewarm: false } });
  }, 180_000);
  afterAll(async () => {
    for (const stack of Object.values(stacks)) await stack.stop();
    steering?.stop();
    await real?.stop();
  });

  test("the agents' shared prompt is computed once through anyclaude", async () => {
    const figures: Record<string, { perAgentRequest: number[]; firstRound: number[] }> = {};
    for (const way of ["separate", "coalesced"]) {
      const stack = stacks[way]!;
      // A project of its own per way: the agents' prompts (its path is in them) share nothing
      // with the other way's, so neither finds the other's in the cache.
      const { home, workdir } = makeClaudeHome();
      const run = await runClaude(["-p", "Explore this project: routing, logging and configuration, in parallel", "--allowedTools", "Agent"], {
        baseUrl: stack.url,
        home,
        workdir,
        timeoutMs: 900_000,
      });
      expect(run.exitCode).toBe(0);
      const agents = agentRequests(stack.upstream);
      await Promise.all(agents.map((record) => record.read));
      const evaluated = agents.map((record) => (record.usage?.prompt_tokens ?? 0) - (record.usage?.prompt_tokens_details?.cached_tokens ?? 0));
      figures[way] = { perAgentRequest: evaluated, firstRound: evaluated.slice(0, AGENTS) };
    }
    saveFigures("claude-code-agents-llama-server", { claudeCode: newestClaudeCode().version, ...figures });
    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
    // Each agent's first request carries the shared prompt: separately, each computes it; coalesced,
    // one does and the others compute their own part.
    expect(figures.separate!.firstRound).toHaveLength(AGENTS);
    expect(figures.coalesced!.firstRound).toHaveLength(AGENTS);
    expect(sum(figures.coalesced!.firstRound)).toBeLessThan(0.6 * sum(figures.separate!.firstRound));
  }, 1_800_000);
});
