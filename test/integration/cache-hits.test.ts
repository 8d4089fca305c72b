// The seed scenario: Claude Code's prompt of 18,490 tokens, five questions in a row. Every
// follow-up must find >= 95% of its prompt in the backend's cache, and a new session (another
// billing line) must find the system prompt and tools cached. Cached counts are what the
// emulated servers report, not what anyclaude predicts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { encodeTokens } from "../emulators/encode-tokens";
import { claudeCodePrompt } from "../support/claude-code-fixture";
import { startStack, type Stack } from "../support/start-stack";

const SEED_PROMPT_TOKENS = 18_490;
const QUESTIONS = ["What does this project do?", "Where is the config loaded?", "How are errors reported?", "What is 6*7?", "Summarize our conversation."];

function seedPrompt(nonce: string) {
  const { system, tools } = claudeCodePrompt(SEED_PROMPT_TOKENS, nonce);
  return { system, tools: tools as unknown as Anthropic.Tool[] };
}

for (const backend of ["lmstudio", "mlx-lm"] as const) {
  describe(`prompt cache hits through ${backend}`, () => {
    let stack: Stack;
    beforeAll(async () => {
      // LM Studio reports no cached_tokens: the hit rates below are the emulator's own records;
      // the status test is about what anyclaude does with reported counts, so it reports them.
      stack = await startStack({
        lmstudio: { reportsCachedTokens: true },
        config: ({ mlx, lmstudio }) => ({
          backends:
            backend === "lmstudio" ? [{ name: "lmstudio", kind: "lmstudio", url: lmstudio }] : [{ name: "mlx-lm", kind: "mlx-lm", url: mlx, tools: true }],
        }),
      });
    });
    afterAll(() => stack.stop());
    const emulator = () => (backend === "lmstudio" ? stack.lmstudio : stack.mlx);

    async function converse(nonce: string, questions: string[]) {
      const { system, tools } = seedPrompt(nonce);
      const messages: Anthropic.MessageParam[] = [];
      const reports: { prompt: number; cached: number; head: number }[] = [];
      for (const question of questions) {
        // As Claude Code does: a reminder block, then the question.
        messages.push({
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>\ncontext\n</system-reminder>" },
            { type: "text", text: question },
          ],
        });
        const reply = await stack.client.messages.stream({ model: "claude-opus-5-5", max_tokens: 32000, system, tools, messages }).finalMessage();
        messages.push({ role: "assistant", content: reply.content });
        const recorded = emulator().requests.at(-1)!;
        // The system prompt and tools: everything before the first user turn, as the server rendered it.
        const head = encodeTokens(recorded.promptText!.slice(0, recorded.promptText!.indexOf("<|im_start|>user"))).length;
        reports.push({ prompt: recorded.promptTokens!, cached: recorded.cachedTokens!, head });
      }
      return reports;
    }

    test("five questions: every follow-up is >= 95% cached", async () => {
      const reports = await converse("s1-0001", QUESTIONS);
      // Sized for the schemas as Claude Code sends them; for LM Studio anyclaude strips the
      // keywords grammars reject, and Qwen3-Coder's template renders every key: ~3% fewer tokens.
      expect(Math.abs(reports[0]!.prompt - SEED_PROMPT_TOKENS) / SEED_PROMPT_TOKENS).toBeLessThan(backend === "lmstudio" ? 0.04 : 0.02);
      expect(reports[0]!.cached).toBe(0);
      for (const report of reports.slice(1)) expect(report.cached / report.prompt).toBeGreaterThanOrEqual(0.95);
    });

    test("a new session's first prompt finds the system prompt and tools cached", async () => {
      const [first] = await converse("s2-ffff", ["A different first question entirely"]);
      expect(first!.head).toBeGreaterThan(15_000);
      expect(first!.cached).toBeGreaterThanOrEqual(first!.head);
    });

    test("status reports the cached share the backend reported", async () => {
      const status = await stack.status();
      const reported = status.backends.find((entry: { name: string }) => entry.name === backend);
      const requests = emulator().requests;
      expect(reported.promptTokens).toBe(requests.reduce((sum, request) => sum + (request.promptTokens ?? 0), 0));
      expect(reported.cachedTokens).toBe(requests.reduce((sum, request) => sum + (request.cachedTokens ?? 0), 0));
      expect(reported.cachedTokens / reported.promptTokens).toBeGreaterThan(0.7);
    });
  });
}
