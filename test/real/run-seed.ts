// The seed's KV-cache scenario on one stack: Claude Code's 18,490-token prompt and five questions
// in a row; per query, the time to the first token and the prompt and cached tokens the server
// reported, saved as figures (seed.test.ts and vllm.test.ts assert on them).
import type Anthropic from "@anthropic-ai/sdk";
import { median } from "../../src/median";
import { saveFigures } from "./figures";
import { timedStream, type RealStack } from "./real-stack";
import { SEED_QUESTIONS, seedPrompt } from "./seed-prompt";

export type SeedQuery = { n: number; ttftMs: number; totalMs: number; promptTokens: number; cachedTokens: number };

export async function runSeed(stack: RealStack, id: string): Promise<SeedQuery[]> {
  const { system, tools } = seedPrompt(`seed-${id}`);
  const messages: Anthropic.MessageParam[] = [];
  const queries: SeedQuery[] = [];
  for (const question of SEED_QUESTIONS) {
    messages.push({ role: "user", content: question });
    const timed = await timedStream(stack.client, { model: "claude-opus-4-8", max_tokens: 64, system, tools, messages });
    messages.push({ role: "assistant", content: timed.message.content });
    queries.push({
      n: queries.length + 1,
      ttftMs: Math.round(timed.ttftMs),
      totalMs: Math.round(timed.totalMs),
      promptTokens: timed.promptTokens,
      cachedTokens: timed.cachedTokens,
    });
  }
  const speedup = queries[0]!.ttftMs / median(queries.slice(1).map((query) => query.ttftMs));
  saveFigures(`seed-${id}`, { server: id, queries, speedup: Number(speedup.toFixed(1)) });
  return queries;
}
