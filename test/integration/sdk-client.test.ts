// The official Anthropic SDK as the client: it checks event order and shapes for us.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startStack, type Stack } from "../support/start-stack";

const WRITE_TOOL: Anthropic.Tool = {
  name: "Write",
  description: "Write a file",
  input_schema: { type: "object", properties: { file_path: { type: "string" }, content: { type: "string" } }, required: ["file_path", "content"] },
};
const SYSTEM = "You are a coding agent.\nWorking directory: /tmp/sdk-test";

describe("the daemon through the Anthropic SDK", () => {
  let stack: Stack;
  // LM Studio reports no cached_tokens by default; these tests are about what anyclaude does with
  // reported counts (cache_read_input_tokens, status), so the emulated one reports them.
  beforeAll(async () => (stack = await startStack({ mlx: { keepalives: 3 }, lmstudio: { reportsCachedTokens: true } })));
  afterAll(() => stack.stop());

  test("messages.create: a plain question is answered by mlx-lm, under the served model's name (never the Claude model asked for)", async () => {
    const { data, response } = await stack.client.messages
      .create({ model: "claude-opus-5-5", max_tokens: 1024, messages: [{ role: "user", content: "What is 2+2?" }] })
      .withResponse();
    expect(response.headers.get("x-anyclaude-backend")).toBe("mlx-lm");
    expect(data.model).toBe("mlx-lm"); // mlx_lm.server's "default_model" names nothing: the backend does
    expect(data.content).toMatchObject([{ type: "text", text: "4" }]);
    expect(data.stop_reason).toBe("end_turn");
    expect(stack.mlx.requests.at(-1)!.body.model).toBe("default_model");
  });

  test("messages.stream: text streams through keepalive comments and ends with usage", async () => {
    const message = await stack.client.messages
      .stream({ model: "claude-sonnet-5", max_tokens: 1024, messages: [{ role: "user", content: "Why is the sky blue?" }] })
      .finalMessage();
    expect(message.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("Why is the sky blue?") });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  test("tool use through LM Studio's fragmented stream, then the tool result, answered from a warm cache", async () => {
    const first: Anthropic.MessageParam[] = [{ role: "user", content: "Create a new file called test.txt with 'Hello World'" }];
    const turn1 = await stack.client.messages
      .stream({ model: "claude-opus-5-5", max_tokens: 4096, system: SYSTEM, tools: [WRITE_TOOL], messages: first })
      .finalMessage();
    expect(turn1.stop_reason).toBe("tool_use");
    const toolUse = turn1.content.find((block) => block.type === "tool_use")!;
    expect(toolUse).toMatchObject({ name: "Write", input: { file_path: "/tmp/sdk-test/test.txt", content: "Hello World" } });

    const second: Anthropic.MessageParam[] = [
      ...first,
      { role: "assistant", content: turn1.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "File created successfully" }] },
    ];
    const turn2 = await stack.client.messages
      .stream({ model: "claude-opus-5-5", max_tokens: 4096, system: SYSTEM, tools: [WRITE_TOOL], messages: second })
      .finalMessage();
    expect(turn2.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/^Done\./) });
    expect(turn2.usage.cache_read_input_tokens).toBeGreaterThan(0);
    // The arguments went back exactly as LM Studio generated them, not re-serialized.
    const replayed = stack.lmstudio.requests.at(-1)!.body.messages.find((message: any) => message.tool_calls);
    expect(replayed.tool_calls[0].function.arguments).toBe('{"file_path": "/tmp/sdk-test/test.txt", "content": "Hello World"}');
  });

  test("reasoning arrives as a signed thinking block", async () => {
    const thinking = await startStack({ mlx: { respond: () => ({ reasoning: "Two plus two is four.", text: "4" }) } });
    const message = await thinking.client.messages
      .stream({ model: "claude-opus-5-5", max_tokens: 512, messages: [{ role: "user", content: "2+2?" }] })
      .finalMessage();
    expect(message.content[0]).toMatchObject({ type: "thinking", thinking: "Two plus two is four.", signature: expect.any(String) });
    expect(message.content[1]).toMatchObject({ type: "text", text: "4" });
    await thinking.stop();
  });

  test("whole tool calls from mlx-lm (with tools enabled) become tool_use blocks", async () => {
    const withTools = await startStack({ config: ({ mlx }) => ({ backends: [{ name: "mlx-lm", kind: "mlx-lm", url: mlx, tools: true }] }) });
    const message = await withTools.client.messages
      .stream({
        model: "claude-opus-5-5",
        max_tokens: 512,
        system: SYSTEM,
        tools: [WRITE_TOOL],
        messages: [{ role: "user", content: "Create a new file called x.md with 'hi'" }],
      })
      .finalMessage();
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content[0]).toMatchObject({ type: "tool_use", name: "Write", input: { file_path: "/tmp/sdk-test/x.md", content: "hi" } });
    await withTools.stop();
  });

  test("a stream that breaks off mid-reply surfaces as an error naming the backend", async () => {
    stack.mlx.setFault({ kind: "break-stream", afterChunks: 2 });
    const stream = stack.client.messages.stream({
      model: "claude-opus-5-5",
      max_tokens: 1024,
      messages: [{ role: "user", content: "Tell me about the history of computing in detail" }],
    });
    await expect(stream.finalMessage()).rejects.toThrow(/mlx-lm.{0,4} closed the stream before the reply was finished/);
  });

  test("a backend error before the stream starts is an HTTP error the SDK raises", async () => {
    stack.lmstudio.setFault({ kind: "error-status", status: 500, message: "The model has crashed" });
    const attempt = stack.client.messages
      .stream({ model: "claude-opus-5-5", max_tokens: 1024, tools: [WRITE_TOOL], messages: [{ role: "user", content: "hi" }] })
      .finalMessage();
    await expect(attempt).rejects.toMatchObject({
      status: 502,
      error: { error: { type: "api_error", message: expect.stringContaining('backend "lmstudio"') } },
    });
  });

  test("an image goes to the backend that takes images", async () => {
    const { response } = await stack.client.messages
      .create({
        model: "claude-opus-5-5",
        max_tokens: 256,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            ],
          },
        ],
      })
      .withResponse();
    expect(response.headers.get("x-anyclaude-backend")).toBe("lmstudio");
    expect(stack.lmstudio.requests.at(-1)!.body.messages[0].content[1]).toEqual({
      type: "image_url",
      image_url: { url: "data:image/png;base64,iVBORw0KGgo=" },
    });
  });

  test("count_tokens and models through the SDK", async () => {
    const count = await stack.client.messages.countTokens({ model: "claude-opus-5-5", messages: [{ role: "user", content: "Hello there" }] });
    expect(count.input_tokens).toBeGreaterThan(0);
    const models = await stack.client.models.list();
    expect(models.data.map((model) => model.id)).toContain("qwen/qwen3-coder-30b");
  });

  test("status reports per-backend requests and the cached tokens the backends reported", async () => {
    const status = await stack.status();
    const lmstudio = status.backends.find((backend: any) => backend.name === "lmstudio");
    expect(lmstudio.requests).toBeGreaterThan(0);
    expect(lmstudio.cachedTokens).toBe(stack.lmstudio.requests.reduce((sum, request) => sum + (request.cachedTokens ?? 0), 0));
    expect(status.routes.tools).toBeGreaterThan(0);
  });
});
