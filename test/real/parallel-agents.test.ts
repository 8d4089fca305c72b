// Claude Code's parallel subagents on the real servers: N requests sent together, sharing a
// Claude-Code-sized prefix (system prompt and tools, ~8.4k tokens) and differing only in the last
// user message. The tokens each server evaluated (its own reports) and the time until all were
// answered, three ways, each with a prefix of its own so that none finds another's in the cache:
// - direct: sent together through a daemon with coalescing off (what the server does alone);
// - coalesced: sent together through anyclaude (src/prefix/shared-prefill.ts);
// - lower bound: one sent first, the others one after another once it answered (one prefix and
//   the tails).
// Tokens are asserted (coalesced within 1.1x of the lower bound); times are reported, not asserted.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import type { BackendKind } from "../../src/config/config-schema";
import { claudeCodePrompt } from "../support/claude-code-fixture";
import { saveFigures } from "./figures";
import { daemonFor, llamaCounts, timedStream, upstreamCounts, type RealStack } from "./real-stack";
import { describeReal, startLlamaServer, startMlxLmServer, type RealServer } from "./real-servers";

const PREFIX_TOKENS = 8_400;
const COUNTS = [3, 6];

const SERVERS: { id: string; kind: BackendKind; start: () => Promise<RealServer> }[] = [
  // --parallel 4: slots that keep their prompts, so that the requests that waited for the first
  // one's prefill can join the slot that holds it (id_slot). As users start llama-server (a unified
  // KV cache), idle slots are cleared into its RAM cache and anyclaude pins nothing.
  { id: "llama-server", kind: "openai", start: () => startLlamaServer("qwen3-coder", { slots: 4, ctx: 16_384 }) },
  { id: "mlx-lm-0.32.2", kind: "mlx-lm", start: () => startMlxLmServer("qwen3-coder", "0.32.2") },
];

type Way = { tokens: number; perRequest: number[]; allAnsweredMs: number };

for (const server of SERVERS) {
  describeReal(`parallel agents sharing a prefix on ${server.id}`, () => {
    let real: RealServer;
    let direct: RealStack;
    let coalesced: RealStack;
    beforeAll(async () => {
      real = await server.start();
      // Prewarm off: nothing but the measured requests reaches the server.
      direct = await daemonFor(real, server.kind, "real", { settings: { prewarm: false, coalescePrefills: false, pinSlots: false } });
      coalesced = await daemonFor(real, server.kind, "real", { settings: { prewarm: false } });
    }, 180_000);
    afterAll(async () => {
      await direct?.stop();
      await coalesced?.stop();
      await real?.stop();
    });

    for (const count of COUNTS) {
      test(`${count} requests together cost one prefix and the tails through anyclaude`, async () => {
        const run = `${server.id}-${count}-${Date.now().toString(36)}`;
        const together = async (stack: RealStack, id: string) =>
          measure(real, stack, server.kind, () => Promise.all(requests(`${run}-${id}`, count).map((params) => timedStream(stack.client, params))));
        const directWay = await together(direct, "direct");
        const prefillRate = (await status(coalesced)).backends[0].prefillTokensPerSecond;
        const coalescedWay = await together(coalesced, "coalesced");
        const held = (await status(coalesced)).recent
          .slice(-count)
          .map((record: any) => ({ waitedMs: record.waitedMs, ttftMs: record.ttftMs, promptTokens: record.promptTokens, cachedTokens: record.cachedTokens }));
        const lowerBound = await measure(real, direct, server.kind, async () => {
          for (const params of requests(`${run}-bound`, count)) await timedStream(direct.client, params);
        });
        const figures = {
          server: server.id,
          requests: count,
          direct: directWay,
          coalesced: coalescedWay,
          lowerBound,
          coalescedToLowerBound: Number((coalescedWay.tokens / lowerBound.tokens).toFixed(3)),
          directToLowerBound: Number((directWay.tokens / lowerBound.tokens).toFixed(3)),
          timeDirectToCoalesced: Number((directWay.allAnsweredMs / coalescedWay.allAnsweredMs).toFixed(2)),
          coalescedReplies: held,
          prefillRateBefore: prefillRate,
          heldBy: (await status(coalesced)).sharedPrefills,
        };
        saveFigures(`parallel-agents-${server.id}-${count}`, figures);

        expect(directWay.perRequest).toHaveLength(count);
        expect(coalescedWay.perRequest).toHaveLength(count);
        // Sent together straight, the prefix is computed again and again (llama-server with 4 slots
        // defers requests 5 and 6 until a slot is free, and those find it).
        expect(directWay.tokens).toBeGreaterThan(lowerBound.tokens * 2);
        // Through anyclaude: one prefix and the tails.
        expect(coalescedWay.tokens).toBeLessThanOrEqual(lowerBound.tokens * 1.1);
      }, 900_000);
    }
  });
}

// N subagent requests: one prefix of their own (the project line comes first, so the whole prompt
// differs from any other run's), the same tools, a different last user message each.
function requests(prefixId: string, count: number): Anthropic.MessageCreateParamsNonStreaming[] {
  const { system, tools } = claudeCodePrompt(PREFIX_TOKENS, prefixId);
  const [billing, ...rest] = system;
  const ownSystem = [billing!, { type: "text" as const, text: `Project ${prefixId}.` }, ...rest];
  return Array.from({ length: count }, (_, index) => ({
    model: "claude-opus-5-5",
    max_tokens: 16,
    system: ownSystem,
    tools: tools as unknown as Anthropic.Tool[],
    messages: [
      {
        role: "user" as const,
        content: `Explore the codebase, part ${index + 1} of ${count}: find where ${["routing", "caching", "streaming", "config", "logging", "tests"][index % 6]} is handled and report the files.`,
      },
    ],
  }));
}

async function measure(real: RealServer, stack: RealStack, kind: BackendKind, send: () => Promise<unknown>): Promise<Way> {
  const mark = { log: real.log.length, upstream: stack.upstream.length };
  const started = performance.now();
  await send();
  const allAnsweredMs = Math.round(performance.now() - started);
  const perRequest = kind === "openai" ? await llamaCounts(real, mark.log) : await upstreamCounts(stack, mark.upstream);
  return { tokens: perRequest.reduce((sum, tokens) => sum + tokens, 0), perRequest, allAnsweredMs };
}

async function status(stack: RealStack): Promise<any> {
  return (await fetch(`${stack.url}/anyclaude/status`)).json();
}
