// A whole (non-streamed) answer from llama-server's own /v1/messages (llama.cpp 0.3.36,
// server-task.cpp to_json_anthropic): its tool ids are its own random strings and a thinking block
// may come without a signature. The client gets toolu_ ids and a signature, as the stream relay gives.
import { expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";

test("anthropic kind, not streamed: toolu_ ids and a signed thinking block", async () => {
  const fetcher = (async (input: string | URL | Request) => {
    const url = String(input);
    if (url.endsWith("/v1/models")) return Response.json({ data: [{ id: "qwen3.gguf" }] });
    if (!url.endsWith("/v1/messages")) return new Response("not found", { status: 404 });
    const content = [
      { type: "thinking", thinking: "Weather, then." },
      { type: "tool_use", id: "ZtYvJ5n2kQm8Rr0bXcW1aL9sPe3uHf6d", name: "get_weather", input: { city: "Paris" } },
    ];
    return Response.json({
      id: "chatcmpl-1",
      type: "message",
      role: "assistant",
      model: "qwen3.gguf",
      content,
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 9 },
    });
  }) as typeof fetch;
  const config = resolveConfig({ backends: [{ name: "llama", kind: "anthropic", url: "http://127.0.0.1:9", tools: true }] }, {});
  const { app } = createApp({ config, fetch: fetcher, version: "test" });
  const body = {
    model: "claude-sonnet-4-5",
    max_tokens: 64,
    tools: [{ name: "get_weather", input_schema: { type: "object" } }],
    messages: [{ role: "user", content: "Paris?" }],
  };
  const message: any = await (
    await app.handle(
      new Request("http://localhost/v1/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    )
  ).json();
  expect(message.content[0]).toEqual({ type: "thinking", thinking: "Weather, then.", signature: expect.stringMatching(/.{20,}/) });
  expect(message.content[1]).toEqual({ type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "get_weather", input: { city: "Paris" } });
});
