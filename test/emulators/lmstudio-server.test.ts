// The emulated LM Studio server against what LM Studio is known to send, through plain HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startLmStudioServer, type EmulatorHandle } from "./index";
import { dataFrames, postChat, rawHttpRequest } from "./raw-http-request";

const WRITE_TOOL = { type: "function", function: { name: "Write", description: "write a file", parameters: { type: "object" } } };
const SYSTEM = { role: "system", content: "You are a coding agent.\nWorking directory: /tmp/project" };

describe("LM Studio emulator", () => {
  let lmstudio: EmulatorHandle;
  beforeAll(async () => (lmstudio = await startLmStudioServer({ contextLength: 400 })));
  afterAll(() => lmstudio.stop());

  test("streams a tool call in fragments: id and name with empty arguments, then argument pieces", async () => {
    const response = await postChat(lmstudio.url, {
      stream: true,
      stream_options: { include_usage: true },
      tools: [WRITE_TOOL],
      messages: [SYSTEM, { role: "user", content: "Create a new file called a.txt with 'x'" }],
    });
    const text = await response.text();
    expect(text).toEndWith("data: [DONE]\n\n");
    const chunks = dataFrames(text);
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: expect.stringMatching(/^\d+$/), type: "function", function: { name: "Write", arguments: "" } });
    // Later fragments repeat the type and an empty name, and carry no id.
    expect(calls.slice(1).every((call: any) => call.index === 0 && call.id === undefined && call.type === "function" && call.function.name === "")).toBe(true);
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.map((call: any) => call.function.arguments).join("")).toBe('{"file_path": "/tmp/project/a.txt", "content": "x"}');
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.slice(1).every((chunk) => chunk.choices.length === 0 || chunk.choices[0].delta.role === undefined)).toBe(true);
    expect(chunks.at(-2).choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" });
    // LM Studio reports no cached_tokens (its tracker: #778, #2390, #2419).
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) } });
    expect(chunks.at(-1).usage.prompt_tokens_details).toBeUndefined();
  });

  test("usage reports the cache only with reportsCachedTokens; the request record always has it", async () => {
    const reporting = await startLmStudioServer({ reportsCachedTokens: true });
    const messages = [SYSTEM, { role: "user", content: "What is 2+2?" }];
    for (const emulator of [lmstudio, reporting]) {
      await postChat(emulator.url, { messages });
      const second = (await (await postChat(emulator.url, { messages })).json()) as any;
      const recorded = emulator.requests.at(-1)!;
      expect(recorded.cachedTokens).toBe(recorded.promptTokens! - 1); // all but the last prompt token
      expect(second.usage.prompt_tokens_details).toEqual(emulator === reporting ? { cached_tokens: recorded.cachedTokens } : undefined);
    }
    await reporting.stop();
  });

  test("parallel calls stream one after another, or interleaved by index when asked", async () => {
    const twoCalls = () => ({
      toolCalls: [
        { name: "Read", arguments: '{"file_path": "/a.ts"}' },
        { name: "Read", arguments: '{"file_path": "/b.ts"}' },
      ],
    });
    for (const interleaveToolCalls of [false, true]) {
      const emulator = await startLmStudioServer({ respond: twoCalls, interleaveToolCalls });
      const chunks = dataFrames(await (await postChat(emulator.url, { stream: true, messages: [{ role: "user", content: "read both" }] })).text());
      const order = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []).map((call: any) => call.index);
      const switches = order.filter((index: number, position: number) => position > 0 && index !== order[position - 1]).length;
      expect(switches > 1).toBe(interleaveToolCalls);
      for (const index of [0, 1]) {
        const pieces = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []).filter((call: any) => call.index === index);
        expect(pieces.map((call: any) => call.function.arguments).join("")).toBe(`{"file_path": "/${index ? "b" : "a"}.ts"}`);
      }
      await emulator.stop();
    }
  });

  test("reasoning streams as reasoning_content, and a plain completion carries it too", async () => {
    const thinker = await startLmStudioServer({ reasoning: true });
    const chunks = dataFrames(await (await postChat(thinker.url, { stream: true, messages: [{ role: "user", content: "What is 2+3?" }] })).text());
    expect(chunks.map((chunk) => chunk.choices[0].delta.reasoning_content ?? "").join("")).toStartWith("The user wants");
    expect(chunks.map((chunk) => chunk.choices[0].delta.content ?? "").join("")).toBe("5");
    const reply = (await (await postChat(thinker.url, { messages: [{ role: "user", content: "What is 2+3?" }] })).json()) as any;
    expect(reply.choices[0].message).toMatchObject({ role: "assistant", content: "5", reasoning_content: expect.any(String) });
    await thinker.stop();
  });

  test("lists models three ways; /health is not an endpoint, and like any unknown path answers 200 with an error", async () => {
    const root = lmstudio.url.replace("/v1", "");
    const v0 = (await (await fetch(`${root}/api/v0/models`)).json()) as any;
    expect(v0.data.find((model: any) => model.state === "loaded")).toMatchObject({
      id: "qwen/qwen3-coder-30b",
      type: "llm",
      max_context_length: expect.any(Number),
    });
    const v1 = (await (await fetch(`${root}/api/v1/models`)).json()) as any;
    expect(v1.models[0]).toMatchObject({
      key: "qwen/qwen3-coder-30b",
      loaded_instances: [{ config: { context_length: 400 } }],
      capabilities: { trained_for_tool_use: true },
    });
    const openai = (await (await fetch(`${lmstudio.url}/models`)).json()) as any;
    expect(openai.data.map((model: any) => model.id)).toContain("qwen/qwen3-coder-30b");
    const health = await fetch(`${root}/health`);
    expect([health.status, await health.json()]).toEqual([200, { error: "Unexpected endpoint or method. (GET /health)" }]);
  });

  test("an unknown model id is refused as model_not_found; with JIT loading off the loaded model answers", async () => {
    const unknown = await postChat(lmstudio.url, { model: "claude-opus-5-5", messages: [{ role: "user", content: "hi" }] });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error).toMatchObject({
      message: expect.stringContaining('Invalid model identifier "claude-opus-5-5"'),
      type: "invalid_request_error",
      param: "model",
      code: "model_not_found",
    });
    const lenient = await startLmStudioServer({ jitLoading: false });
    const answered = (await (await postChat(lenient.url, { model: "claude-opus-5-5", messages: [{ role: "user", content: "What is 1+1?" }] })).json()) as any;
    expect([answered.model, answered.choices[0].message.content]).toEqual(["qwen/qwen3-coder-30b", "2"]);
    await lenient.stop();
  });

  test("a prompt over the loaded context length gets llama.cpp's overflow text; a late system message the template's", async () => {
    const overflow = await postChat(lmstudio.url, { messages: [{ role: "user", content: "word ".repeat(2000) }] });
    expect(overflow.status).toBe(400);
    expect(((await overflow.json()) as any).error).toMatch(
      /^Trying to keep the first \d+ tokens when context the overflows\. However, the model is loaded with context length of only 400 tokens/,
    );
    const newer = await startLmStudioServer({ contextLength: 400, overflowMessage: "n-keep" });
    expect(((await (await postChat(newer.url, { messages: [{ role: "user", content: "word ".repeat(2000) }] })).json()) as any).error).toMatch(
      /n_keep: \d+>= n_ctx: 400/,
    );
    await newer.stop();
    // Qwen3.5's template refuses a late system message (Qwen3-Coder's renders it in place).
    const qwen35 = await startLmStudioServer({ chatTemplate: "qwen3.5" });
    const lateSystem = await postChat(qwen35.url, {
      messages: [
        { role: "user", content: "a" },
        { role: "system", content: "b" },
      ],
    });
    expect(lateSystem.status).toBe(400);
    expect(((await lateSystem.json()) as any).error).toStartWith('Error rendering prompt with jinja template: "System message must be at the beginning.".');
    await qwen35.stop();
  });

  test("speaks HTTP/1.1 with a framed body, unlike mlx_lm.server", async () => {
    const { head } = await rawHttpRequest(
      lmstudio.port,
      "POST",
      "/v1/chat/completions",
      JSON.stringify({ stream: true, messages: [{ role: "user", content: "hi" }] }),
      { Connection: "close" },
    );
    expect(head).toStartWith("HTTP/1.1 200");
    expect(head.toLowerCase()).toMatch(/transfer-encoding: chunked|content-length/);
  });

  test("faults: an error status, a dropped connection, a stream that breaks off", async () => {
    const emulator = await startLmStudioServer();
    emulator.setFault({ kind: "error-status", status: 500, message: "The model has crashed" });
    const crashed = await postChat(emulator.url, { messages: [{ role: "user", content: "hi" }] });
    expect([crashed.status, ((await crashed.json()) as any).error.message]).toEqual([500, "The model has crashed"]);
    emulator.setFault({ kind: "drop-connection" });
    await expect(postChat(emulator.url, { messages: [{ role: "user", content: "hi" }] })).rejects.toThrow();
    emulator.setFault({ kind: "break-stream", afterChunks: 2 });
    const broken = await postChat(emulator.url, { stream: true, messages: [{ role: "user", content: "tell me a long story" }] });
    let received = "";
    const reader = broken.body!.getReader();
    const readAll = async () => {
      for (let part = await reader.read(); !part.done; part = await reader.read()) received += new TextDecoder().decode(part.value);
    };
    await expect(readAll()).rejects.toThrow();
    expect(dataFrames(received)).toHaveLength(2);
    expect((await postChat(emulator.url, { messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    await emulator.stop();
  });
});
