import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { startLmStudioServer, startMlxLmServer, type EmulatorHandle } from "./index";
import { PromptCache } from "./prompt-cache";
import { tokenize } from "./tokenize";

const WRITE_TOOL = { type: "function", function: { name: "Write", description: "write a file", parameters: { type: "object" } } };
const SYSTEM = { role: "system", content: "You are a coding agent.\nWorking directory: /tmp/project" };

async function post(emulator: EmulatorHandle, body: object): Promise<Response> {
  return fetch(`${emulator.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

function dataLines(text: string): any[] {
  return text.split("\n\n").filter((frame) => frame.startsWith("data: ") && !frame.includes("[DONE]")).map((frame) => JSON.parse(frame.slice(6)));
}

describe("mlx_lm.server emulator", () => {
  let mlx: EmulatorHandle;
  beforeAll(async () => (mlx = await startMlxLmServer({ keepalives: 2 })));
  afterAll(() => mlx.stop());

  test("answers HTTP/1.0 and ends a stream by closing the connection (no length, no chunking)", async () => {
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(mlx.port, "127.0.0.1");
      const body = JSON.stringify({ model: "default_model", stream: true, messages: [{ role: "user", content: "What is 2+2?" }] });
      let received = "";
      socket.on("data", (data) => (received += data.toString()));
      socket.on("close", () => resolve(received));
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    expect(raw).toStartWith("HTTP/1.0 200 OK");
    expect(raw.toLowerCase()).not.toContain("content-length");
    expect(raw.toLowerCase()).not.toContain("transfer-encoding");
    expect(raw).toContain(": keepalive ");
    expect(raw.trimEnd()).toEndWith("data: [DONE]");
  });

  test("repeats role in every delta and sends a whole tool call with the finish_reason", async () => {
    const response = await post(mlx, { stream: true, tools: [WRITE_TOOL], messages: [SYSTEM, { role: "user", content: "Create a new file called test.txt with 'Hello World'" }] });
    const chunks = dataLines(await response.text());
    expect(chunks.every((chunk) => chunk.choices.length === 0 || chunk.choices[0].delta.role === "assistant")).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices[0].finish_reason).toBe("tool_calls");
    expect(last.choices[0].delta.tool_calls[0].function).toEqual({ name: "Write", arguments: '{"file_path": "/tmp/project/test.txt", "content": "Hello World"}' });
    expect(chunks.some((chunk) => chunk.usage)).toBe(false); // no include_usage, no usage
  });

  test("a Claude model name, a non-text part or a late system message is a 404 {error}", async () => {
    const wrongModel = await post(mlx, { model: "claude-opus-5-5", messages: [{ role: "user", content: "hi" }] });
    expect(wrongModel.status).toBe(404);
    expect(typeof ((await wrongModel.json()) as any).error).toBe("string");
    const image = await post(mlx, { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:," } }] }] });
    expect(await image.json()).toEqual({ error: "Only 'text' content type is supported." });
    const lateSystem = await post(mlx, { messages: [{ role: "user", content: "a" }, { role: "system", content: "b" }] });
    expect(await lateSystem.json()).toEqual({ error: "System message must be at the beginning." });
  });

  test("reports cached tokens: a follow-up that replays the turn exactly hits all of the previous prompt", async () => {
    const emulator = await startMlxLmServer();
    const question = [SYSTEM, { role: "user", content: "Explain closures in one paragraph please" }];
    const first = (await (await post(emulator, { messages: question, stream_options: { include_usage: true } })).json()) as any;
    const followUp = [...question, { role: "assistant", content: first.choices[0].message.content }, { role: "user", content: "And generators?" }];
    await post(emulator, { messages: followUp });
    const [turn1, turn2] = emulator.requests;
    expect(turn1!.cachedTokens).toBe(0);
    expect(turn2!.cachedTokens! / turn1!.promptTokens!).toBeGreaterThan(1);
    await emulator.stop();
  });

  test("faults: an error status, a dropped connection, a stream that breaks off", async () => {
    const emulator = await startMlxLmServer();
    emulator.setFault({ kind: "error-status", message: "boom" });
    expect(await (await post(emulator, { messages: [{ role: "user", content: "hi" }] })).json()).toEqual({ error: "boom" });
    emulator.setFault({ kind: "drop-connection" });
    await expect(post(emulator, { messages: [{ role: "user", content: "hi" }] })).rejects.toThrow();
    emulator.setFault({ kind: "break-stream", afterChunks: 1 });
    const text = await (await post(emulator, { stream: true, messages: [{ role: "user", content: "tell me a long story" }] })).text();
    expect(text).not.toContain("[DONE]");
    await emulator.stop();
  });
});

describe("LM Studio emulator", () => {
  let lmstudio: EmulatorHandle;
  beforeAll(async () => (lmstudio = await startLmStudioServer({ contextLength: 400 })));
  afterAll(() => lmstudio.stop());

  test("streams a tool call in fragments: name first with empty arguments, then pieces", async () => {
    const response = await post(lmstudio, { stream: true, stream_options: { include_usage: true }, tools: [WRITE_TOOL], messages: [SYSTEM, { role: "user", content: "Create a new file called a.txt with 'x'" }] });
    const chunks = dataLines(await response.text());
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, type: "function", function: { name: "Write", arguments: "" } });
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.map((call: any) => call.function.arguments).join("")).toBe('{"file_path": "/tmp/project/a.txt", "content": "x"}');
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks[1].choices[0].delta.role).toBeUndefined();
    expect(chunks.at(-1).usage.prompt_tokens_details).toBeDefined();
  });

  test("lists the loaded model through its REST API; errors are OpenAI-shaped", async () => {
    const models = (await (await fetch(lmstudio.url.replace("/v1", "/api/v0/models"))).json()) as any;
    expect(models.data.find((model: any) => model.state === "loaded").id).toBe("qwen/qwen3-coder-30b");
    const unknown = await post(lmstudio, { model: "claude-opus-5-5", messages: [{ role: "user", content: "hi" }] });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error).toMatchObject({ type: "invalid_request_error", param: "model" });
  });

  test("a prompt over the context length gets llama.cpp's overflow message", async () => {
    const response = await post(lmstudio, { messages: [{ role: "user", content: "word ".repeat(2000) }] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toContain("when context the overflows");
  });

  test("a tool-call replay that re-serializes the arguments misses the cache where the exact bytes hit", async () => {
    const emulator = await startLmStudioServer();
    const turn1 = [SYSTEM, { role: "user", content: "Create a new file called b.txt with 'y'" }];
    const reply = (await (await post(emulator, { tools: [WRITE_TOOL], messages: turn1 })).json()) as any;
    const call = reply.choices[0].message.tool_calls[0];
    const next = (args: string) => [...turn1, { role: "assistant", content: "", tool_calls: [{ ...call, function: { ...call.function, arguments: args } }] }, { role: "tool", tool_call_id: call.id, content: "ok" }];
    await post(emulator, { tools: [WRITE_TOOL], messages: next(call.function.arguments) });
    await post(emulator, { tools: [WRITE_TOOL], messages: next(JSON.stringify(JSON.parse(call.function.arguments))) });
    const [first, exact, reserialized] = emulator.requests;
    expect(exact!.cachedTokens!).toBeGreaterThan(first!.promptTokens!);
    expect(reserialized!.cachedTokens!).toBeLessThan(exact!.cachedTokens!);
    await emulator.stop();
  });
});

describe("prompt cache model", () => {
  test("one slot thrashes between two interleaved conversations; ten do not", () => {
    for (const [slots, hits] of [[1, false], [10, true]] as const) {
      const cache = new PromptCache(slots);
      const a = tokenize("system prompt conversation A turn one");
      const b = tokenize("system prompt conversation B turn one");
      cache.lookup(a), cache.store(a), cache.lookup(b), cache.store(b);
      const cached = cache.lookup(tokenize("system prompt conversation A turn one and two"));
      expect(cached === a.length).toBe(hits);
    }
  });
});
