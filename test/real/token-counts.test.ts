// The counts Claude Code reads, on the real llama-server as users start it (4 slots) with the
// Qwen3-Coder test model, through both kinds: count_tokens within 10% of what the server counts
// for the same request (it is asked: its /v1/chat/completions/input_tokens or
// /v1/messages/count_tokens), and every final usage the server's own report.
import type Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { BackendKind } from "../../src/config/config-schema";
import { claudeCodeSystem, claudeCodeTools } from "../support/claude-code-fixture";
import { daemonFor, timedStream, type RealStack } from "./real-stack";
import { describeReal, startLlamaServer, type RealServer } from "./real-servers";

const within = (value: number, expected: number) => Math.abs(value - expected) / expected;
const question = (text: string): Anthropic.MessageParam => ({ role: "user", content: [{ type: "text", text }] });
const REQUESTS = {
  "Claude Code's prompt": {
    system: claudeCodeSystem("real-0001"),
    tools: claudeCodeTools() as unknown as Anthropic.Tool[],
    messages: [question("Where is the config loaded?")],
  },
  "one tool": {
    system: [{ type: "text" as const, text: "You are terse." }],
    tools: claudeCodeTools().slice(0, 1) as unknown as Anthropic.Tool[],
    messages: [question("What is 6*7?")],
  },
};

describeReal("counts on llama-server with its default 4 slots", () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startLlamaServer("qwen3-coder", { ctx: 24_576 });
  }, 300_000);
  afterAll(() => server?.stop());

  for (const kind of ["openai", "anthropic"] as BackendKind[]) {
    test(`${kind} kind: count_tokens within 10% of the server's count, final usage the server's`, async () => {
      const stack: RealStack = await daemonFor(server, kind);
      try {
        for (const [name, body] of Object.entries(REQUESTS)) {
          const started = performance.now();
          const counted = await stack.client.messages.countTokens({ model: "claude-opus-5-5", ...body });
          const countMs = performance.now() - started;
          const streamed = await timedStream(stack.client, { model: "claude-opus-5-5", max_tokens: 8, ...body });
          const report = (await stack.lastUpstream()).usage!;
          const prompt = report.prompt_tokens!;
          const cached = report.prompt_tokens_details?.cached_tokens ?? 0;
          console.log(
            `[figures] ${kind} ${name}: count_tokens ${counted.input_tokens} in ${countMs.toFixed(0)} ms, server ${prompt} (${cached} cached); final usage ${JSON.stringify(streamed.message.usage)}`,
          );
          expect(within(counted.input_tokens, prompt)).toBeLessThan(0.1);
          expect(streamed.message.usage).toMatchObject({ input_tokens: prompt - cached, cache_read_input_tokens: cached });
          if (kind === "openai") expect(streamed.message.usage.output_tokens).toBe(report.completion_tokens!);
          // Whole, the same request again: its counts as the server reported them.
          const whole = await stack.client.messages.create({ model: "claude-opus-5-5", max_tokens: 8, ...body });
          const again = (await stack.lastUpstream()).usage!;
          expect(whole.usage).toMatchObject({
            input_tokens: again.prompt_tokens! - (again.prompt_tokens_details?.cached_tokens ?? 0),
            cache_read_input_tokens: again.prompt_tokens_details?.cached_tokens ?? 0,
            output_tokens: again.completion_tokens!,
          });
        }
      } finally {
        await stack.stop();
      }
    }, 900_000);
  }
});
