// Per follow-up, how much of what a real server computed for the previous turn (its prompt plus
// the reply it generated) it reuses for the next, read from the server's own report. Plain
// conversations and tool loops, per chat template, on llama-server and mlx_lm.server.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { saveFigures } from "./figures";
import { daemonFor, timedStream, type RealStack, type UpstreamRecord } from "./real-stack";
import { describeReal, startLlamaServer, startMlxLmServer, type RealServer, type Variant } from "./real-servers";

const SYSTEM = `You are a coding agent working in /tmp/project.\n${Array.from({ length: 120 }, (_, index) => `- guideline ${index}: prefer small, well-named functions.`).join("\n")}`;
const TOOLS: Anthropic.Tool[] = [
  {
    name: "Write",
    description: "Write a file",
    input_schema: { type: "object", properties: { file_path: { type: "string" }, content: { type: "string" } }, required: ["file_path", "content"] },
  },
  { name: "Read", description: "Read a file", input_schema: { type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"] } },
];
const QUESTIONS = ["What does this project do?", "Where is the config loaded?", "How are errors reported?", "Summarize our conversation."];

// previousComputed: the previous request's prompt plus the reply it generated, all of which the
// server holds afterwards; lostTokens: what of that it had to compute again.
type Turn = {
  turn: number;
  kind: string;
  promptTokens: number;
  cachedTokens: number;
  previousPrompt: number;
  previousComputed: number;
  lostTokens: number;
  reuse: number;
};

const SERVERS = [
  { id: "llama-server", kind: "openai", forcesTools: true, start: (variant: Variant) => startLlamaServer(variant) },
  { id: "mlx-lm-0.32.2", kind: "mlx-lm", forcesTools: false, start: (variant: Variant) => startMlxLmServer(variant, "0.32.2") },
] as const;

for (const server of SERVERS) {
  // Qwen3.5 is a hybrid model (linear attention): mlx-lm cannot trim its cache, so a turn that
  // differs inside a cached reply falls back to an older entry.
  for (const variant of ["qwen3-coder", "qwen3-thinking", "qwen3.5"] as const) {
    describeReal(`cache reuse per turn: ${variant} on ${server.id}`, () => {
      let real: RealServer;
      let stack: RealStack;
      const turns: Turn[] = [];
      let previous: UpstreamRecord | undefined;

      beforeAll(async () => {
        real = await server.start(variant);
        stack = await daemonFor(real, server.kind);
      }, 180_000);
      afterAll(async () => {
        saveFigures(`reuse-${variant}-${server.id}`, { server: server.id, template: variant, turns });
        await stack?.stop();
        await real?.stop();
      });

      // One request, and what the server reused of the previous one.
      async function ask(kind: string, messages: Anthropic.MessageParam[], extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) {
        const timed = await timedStream(stack.client, { model: "claude-opus-4-8", max_tokens: 48, system: SYSTEM, tools: TOOLS, messages, ...extra });
        const record = await stack.lastUpstream();
        const usage = record.usage ?? {};
        if (previous?.usage) {
          const previousPrompt = previous.usage.prompt_tokens ?? 0;
          const previousComputed = previousPrompt + (previous.usage.completion_tokens ?? 0);
          const cachedTokens = usage.prompt_tokens_details?.cached_tokens ?? 0;
          const reuse = Number((cachedTokens / previousComputed).toFixed(4));
          turns.push({
            turn: turns.length + 1,
            kind,
            promptTokens: usage.prompt_tokens ?? 0,
            cachedTokens,
            previousPrompt,
            previousComputed,
            lostTokens: previousComputed - cachedTokens,
            reuse,
          });
        }
        previous = record;
        return timed.message;
      }

      test("a plain conversation", async () => {
        const messages: Anthropic.MessageParam[] = [];
        for (const question of QUESTIONS) {
          messages.push({ role: "user", content: question });
          const reply = await ask("plain", messages);
          expect(reply.stop_reason).toBe("end_turn");
          messages.push({ role: "assistant", content: reply.content });
        }
        expect(turns.length).toBe(QUESTIONS.length - 1);
        for (const turn of turns) expect(turn.reuse).toBeGreaterThanOrEqual(0.98);
      }, 600_000);

      // mlx_lm.server serves its placeholder `default_model` (backend-quirks.ts): this real one
      // answers requests that name it, and the reply is named after the backend instead; other
      // servers' replies carry the model they serve.
      test("the reply's model: the served one, or the backend's name for mlx-lm's default_model", async () => {
        // Not through ask(): a new conversation is no turn of the reuse figures.
        const { message: reply } = await timedStream(stack.client, {
          model: "claude-opus-4-8",
          max_tokens: 48,
          system: SYSTEM,
          messages: [{ role: "user", content: QUESTIONS[0]! }],
        });
        const sent = (await stack.lastUpstream()).body.model;
        expect([sent, reply.model]).toEqual(server.kind === "mlx-lm" ? ["default_model", stack.backend] : [sent, sent]);
        expect(reply.model).not.toMatch(/^claude/);
      }, 600_000);

      // llama-server forces a call by grammar (tool_choice); mlx-lm has no grammar, and of the
      // test models only Qwen3's calls a tool on its own: when the question ends in <tool_call>.
      // The tool loop is in the matrix only where the model can be made to call (no skipped tests).
      const canCallTools = server.forcesTools || variant === "qwen3-thinking";
      const toolTurn = (question: string) =>
        server.forcesTools ? { question, extra: { tool_choice: { type: "any" } } as const } : { question: `${question} <tool_call>`, extra: {} };

      if (canCallTools)
        test("a tool loop: a call, its result, the answer, the next question", async () => {
          previous = undefined;
          const first = toolTurn("Create notes.txt saying hello");
          const messages: Anthropic.MessageParam[] = [{ role: "user", content: first.question }];
          const call = await ask("tool call", messages, first.extra);
          const loopStart = (await stack.lastUpstream()).usage?.prompt_tokens ?? 0;
          expect(call.stop_reason).toBe("tool_use");
          const toolUse = call.content.find((block) => block.type === "tool_use")!;
          messages.push(
            { role: "assistant", content: call.content },
            { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "File created successfully" }] },
          );
          const answer = await ask("after tool result", messages);
          const second = toolTurn("Now read it back");
          messages.push({ role: "assistant", content: answer.content }, { role: "user", content: second.question });
          const next = await ask("next question", messages, second.extra);
          expect(next.stop_reason).toBe("tool_use");
          // At worst a step recomputes the loop's own turns, where the template renders them
          // otherwise than the model wrote them (Qwen3-Coder's newline before <tool_call>; Qwen3 and
          // Qwen3.5 drop the loop's reasoning once a new question comes; Qwen3.5's generation
          // prompt opens the <think> the reply closes), never the conversation before the loop.
          for (const turn of turns.filter((turn) => turn.kind !== "plain")) expect(turn.cachedTokens).toBeGreaterThanOrEqual(loopStart - 8);
        }, 600_000);
    });
  }
}
