// Several Claude Code sessions alive on one llama-server (4 slots), their turns interleaved: does
// each follow-up find its own conversation in the server's cache, or do the sessions evict each
// other? Started with --parallel 4, each slot keeps its prompt (its KV cache its own); as users
// start it (no --parallel: one unified KV cache) it clears idle slots into its RAM prompt cache
// instead, which anyclaude finds out and does not pin (src/backends/slot-pinning.ts): both ways. Left to itself, llama-server puts a request into the idle slot whose
// prompt shares the longest prefix (tools/server/server-context.cpp get_available_slot), so
// sessions that share a system prompt all land in one slot; through anyclaude each conversation
// keeps a slot of its own (`id_slot`, src/backends/slot-assignment.ts). 4 and 8 sessions sharing
// a Claude-Code-sized system prompt and tools, each with a task of its own, three rounds, three
// ways: llama-server's own choice, anyclaude's pinning, and a second llama-server started with
// `--slot-prompt-similarity 0` (its prompt cache used on every request; server-context.cpp,
// get_available_slot) with pinning off. Tokens from llama-server's own counts, per request.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { claudeCodePrompt } from "../support/claude-code-fixture";
import { saveFigures } from "./figures";
import { daemonFor, llamaCounts, timedStream, type RealStack } from "./real-stack";
import { describeReal, startLlamaServer, type RealServer } from "./real-servers";

const SYSTEM_TOKENS = 4_000;
const ROUNDS = 3;
const TOPICS = ["routing", "caching", "streaming", "configuration", "logging", "tests", "the CLI", "the service"];

describeReal("interleaved sessions on one llama-server (4 slots)", () => {
  let real: RealServer;
  let unsimilar: RealServer; // `--slot-prompt-similarity 0`: every request through its prompt cache
  let asUsersStartIt: RealServer; // no --parallel
  const stacks: Record<string, { stack: RealStack; server: () => RealServer }> = {};
  beforeAll(async () => {
    real = await startLlamaServer("qwen3-coder", { slots: 4, ctx: 16_384 });
    unsimilar = await startLlamaServer("qwen3-coder", { slots: 4, ctx: 16_384, promptSimilarity: 0 });
    asUsersStartIt = await startLlamaServer("qwen3-coder", { ctx: 4 * 16_384 });
    stacks["llama-server's own choice"] = {
      stack: await daemonFor(real, "openai", "real", { settings: { prewarm: false, pinSlots: false } }),
      server: () => real,
    };
    stacks["anyclaude (pinSlots)"] = { stack: await daemonFor(real, "openai", "real", { settings: { prewarm: false } }), server: () => real };
    stacks["-sps 0, pinSlots off"] = {
      stack: await daemonFor(unsimilar, "openai", "real", { settings: { prewarm: false, pinSlots: false } }),
      server: () => unsimilar,
    };
    stacks["default llama-server, anyclaude"] = {
      stack: await daemonFor(asUsersStartIt, "openai", "real", { settings: { prewarm: false } }),
      server: () => asUsersStartIt,
    };
  }, 180_000);
  afterAll(async () => {
    for (const { stack } of Object.values(stacks)) await stack.stop();
    await real?.stop();
    await unsimilar?.stop();
    await asUsersStartIt?.stop();
  });

  for (const sessions of [4, 8]) {
    test(`${sessions} sessions, ${ROUNDS} rounds: follow-ups, with each conversation on a slot of its own and with llama-server's own choice`, async () => {
      const ways: Record<string, { rounds: number[][]; followUpSum: number; followUpMax: number }> = {};
      for (const [way, { stack, server }] of Object.entries(stacks)) {
        const rounds = await interleave(stack, server(), sessions, `${sessions}-${way}`);
        const followUps = rounds.slice(1).flat();
        ways[way] = { rounds, followUpSum: followUps.reduce((sum, tokens) => sum + tokens, 0), followUpMax: Math.max(...followUps) };
      }
      saveFigures(`interleaved-sessions-llama-server-${sessions}`, { sessions, slots: 4, ways });
      const own = ways["llama-server's own choice"]!;
      const pinned = ways["anyclaude (pinSlots)"]!;
      // As many sessions as slots: each follow-up finds its conversation in its own slot.
      if (sessions <= 4) expect(pinned.followUpMax).toBeLessThan(200);
      // More sessions than slots: some evict each other either way; never more than the server alone.
      expect(pinned.followUpSum).toBeLessThanOrEqual(own.followUpSum);
      // With `-sps 0` llama-server saves the slot it takes to its prompt cache and restores the
      // request's best match from it every time: no session loses its conversation, however many.
      expect(ways["-sps 0, pinSlots off"]!.followUpMax).toBeLessThan(200);
      // As users start it, requests go unpinned (its idle slots are cleared into its RAM cache), and
      // it gives each the one idle slot left holding a prompt, the last one's: a session whose
      // own part is shorter than the shared one (here 630 of 4.6k tokens) keeps more than half of
      // it, so llama-server restores nothing and the task is computed again, as on its own.
      expect(ways["default llama-server, anyclaude"]!.followUpSum).toBeLessThanOrEqual(own.followUpSum);
    }, 1_800_000);
  }

  // Each session's rounds, one request at a time in turn; tokens llama-server computed per request.
  async function interleave(stack: RealStack, real: RealServer, sessions: number, project: string): Promise<number[][]> {
    const {
      system: [billing, ...rest],
      tools,
    } = claudeCodePrompt(SYSTEM_TOKENS, project);
    const system = [billing!, { type: "text" as const, text: `Project ${project}.` }, ...rest];
    const conversations: Anthropic.MessageParam[][] = Array.from({ length: sessions }, () => []);
    const rounds: number[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const costs: number[] = [];
      for (const [index, messages] of conversations.entries()) {
        messages.push({ role: "user", content: round === 0 ? task(index) : `And what else about ${TOPICS[index]}? (${round})` });
        const mark = real.log.length;
        const { message } = await timedStream(stack.client, {
          model: "claude-opus-5-5",
          max_tokens: 16,
          system,
          tools: tools as unknown as Anthropic.Tool[],
          messages,
        });
        messages.push({ role: "assistant", content: message.content.filter((block) => block.type === "text") });
        costs.push((await llamaCounts(real, mark)).reduce((sum, tokens) => sum + tokens, 0));
      }
      rounds.push(costs);
    }
    return rounds;
  }
});

// Each session's own first request: a task with a long description, as a pasted file would be.
function task(index: number): string {
  const detail = Array.from({ length: 40 }, (_, line) => `- ${TOPICS[index]} note ${line}: check how ${TOPICS[index]} handles case ${line}.`).join("\n");
  return `Session ${index}: review ${TOPICS[index]}.\n${detail}`;
}
