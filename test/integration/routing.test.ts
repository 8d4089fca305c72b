// Routing through the daemon, against both emulated servers, with the route each response reports.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { claudeCodeSystem, claudeCodeTools } from "../support/claude-code-fixture";
import { startStack, type Stack } from "../support/start-stack";

const system = claudeCodeSystem("routing");
const tools = claudeCodeTools();

describe("routing with both backends able to call tools", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: ({ mlx, lmstudio }) => ({
        backends: [
          { name: "lmstudio", kind: "lmstudio", url: lmstudio },
          { name: "mlx-lm", kind: "mlx-lm", url: mlx, tools: true },
        ],
        routing: { toolsWhen: "used" },
      }),
    });
  });
  afterAll(() => stack.stop());

  async function send(session: string, messages: Anthropic.MessageParam[], model = "claude-opus-5-5") {
    const { data, response } = await stack.client.messages
      .create({ model, max_tokens: 2048, system, tools: tools as unknown as Anthropic.Tool[], messages }, { headers: { "x-claude-code-session-id": session } })
      .withResponse();
    return { message: data, backend: response.headers.get("x-anyclaude-backend"), route: response.headers.get("x-anyclaude-route") };
  }

  test("interleaved sessions keep their affinity: tool turns stay where the conversation is warm", async () => {
    const sessions = ["a", "b", "c"].map((name) => ({ name, messages: [] as Anthropic.MessageParam[], routes: [] as string[], backends: [] as string[] }));
    // Turn 1, interleaved: a plain question each (no tool blocks yet: the default backend).
    for (const session of sessions) {
      session.messages.push({ role: "user", content: `Session ${session.name}: create a new file called ${session.name}.txt with 'hi'` });
      const { message, route, backend } = await send(session.name, session.messages);
      session.messages.push({ role: "assistant", content: message.content });
      session.routes.push(route!);
      session.backends.push(backend!);
    }
    // Turn 2, interleaved: the tool results. They need tools, whose backend is LM Studio, but
    // each conversation is warm on mlx-lm.
    for (const session of sessions) {
      const call = session.messages.at(-1)!.content as Anthropic.ContentBlock[];
      const toolUse = call.find((block) => block.type === "tool_use")!;
      session.messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "File created" }] });
      const { route, backend } = await send(session.name, session.messages);
      session.routes.push(route!);
      session.backends.push(backend!);
    }
    for (const session of sessions) {
      expect(session.routes).toEqual(["no-tools", "affinity"]);
      expect(session.backends).toEqual(["mlx-lm", "mlx-lm"]);
    }
    const followUps = stack.mlx.requests.slice(-3);
    for (const request of followUps) expect(request.cachedTokens! / request.promptTokens!).toBeGreaterThan(0.9);
  });

  test("a model named after a backend forces it", async () => {
    const { backend, route } = await send("d", [{ role: "user", content: "hello" }], "lmstudio");
    expect([backend, route]).toEqual(["lmstudio", "forced"]);
  });

  test("a down backend is skipped for one that can serve the request", async () => {
    await stack.mlx.stop();
    const { backend, route } = await send("e", [{ role: "user", content: "What is 2+2?" }]);
    expect([backend, route]).toEqual(["lmstudio", "fallback"]);
    const status = await stack.status();
    expect(status.backends.find((entry: { name: string }) => entry.name === "mlx-lm").healthy).toBe(false);
  });
});
