// The emulated mlx_lm.server against the behaviour of mlx_lm/server.py, through plain HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startMlxLmServer, type EmulatorHandle } from "./index";
import { dataFrames, postChat, rawHttpRequest } from "./raw-http-request";

const WRITE_TOOL = { type: "function", function: { name: "Write", description: "write a file", parameters: { type: "object" } } };
const SYSTEM = { role: "system", content: "You are a coding agent.\nWorking directory: /tmp/project" };
const chat = (body: object) => JSON.stringify({ model: "default_model", ...body });

describe("mlx_lm.server emulator", () => {
  let mlx: EmulatorHandle;
  beforeAll(async () => (mlx = await startMlxLmServer()));
  afterAll(() => mlx.stop());

  test("speaks HTTP/1.0: a stream has no length and no chunking, and ends when the connection closes", async () => {
    const { raw, head, body, status, headers } = await rawHttpRequest(
      mlx.port,
      "POST",
      "/v1/chat/completions",
      chat({ stream: true, messages: [{ role: "user", content: "What is 2+2?" }] }),
    );
    expect(head).toStartWith("HTTP/1.0 200 OK\r\n");
    expect(status).toBe(200);
    expect(headers.server).toStartWith("BaseHTTP/");
    expect(headers["content-type"]).toBe("text/event-stream");
    expect(headers["content-length"]).toBeUndefined();
    expect(headers["transfer-encoding"]).toBeUndefined();
    // Prefill progress comes first, then the chunks, in Python's json.dumps spacing.
    expect(body.indexOf(": keepalive ")).toBeLessThan(body.indexOf("data: "));
    expect(body).toContain('"object": "chat.completion.chunk"');
    expect(raw).toEndWith("data: [DONE]\n\n");
    expect(
      dataFrames(body)
        .map((chunk) => chunk.choices[0].delta.content ?? "")
        .join(""),
    ).toBe("4");
  });

  test("repeats role in every delta, sends each tool call whole, then a last delta with finish_reason", async () => {
    const response = await postChat(mlx.url, {
      stream: true,
      tools: [WRITE_TOOL],
      messages: [SYSTEM, { role: "user", content: "Create a new file called test.txt with 'Hello World'" }],
    });
    const chunks = dataFrames(await response.text());
    expect(chunks.every((chunk) => chunk.choices[0].delta.role === "assistant")).toBe(true);
    const withCalls = chunks.filter((chunk) => chunk.choices[0].delta.tool_calls);
    expect(withCalls).toHaveLength(1);
    expect(withCalls[0].choices[0].finish_reason).toBeNull();
    expect(withCalls[0].choices[0].delta.tool_calls).toEqual([
      {
        function: { name: "Write", arguments: '{"file_path": "/tmp/project/test.txt", "content": "Hello World"}' },
        type: "function",
        id: expect.any(String),
        index: 0,
      },
    ]);
    expect(chunks.at(-1).choices[0]).toEqual({ index: 0, finish_reason: "tool_calls", delta: { role: "assistant" } });
    expect(chunks.some((chunk) => chunk.usage)).toBe(false); // no include_usage, no usage
  });

  test("usage comes only with stream_options.include_usage, as a last chunk with cached_tokens", async () => {
    const messages = [{ role: "user", content: "Why is the sky blue?" }];
    const withUsage = dataFrames(await (await postChat(mlx.url, { stream: true, stream_options: { include_usage: true }, messages })).text());
    expect(withUsage.at(-1)).toMatchObject({
      object: "chat.completion",
      choices: [],
      usage: { prompt_tokens: expect.any(Number), prompt_tokens_details: { cached_tokens: expect.any(Number) } },
    });
    const without = dataFrames(await (await postChat(mlx.url, { stream: true, stream_options: { include_usage: false }, messages })).text());
    expect(without.some((chunk) => chunk.usage)).toBe(false);
    // stream_options without include_usage: server.py indexes it and the KeyError ends the stream.
    const keyError = await (await postChat(mlx.url, { stream: true, stream_options: {}, messages })).text();
    expect(keyError).toContain('"finish_reason": "stop"');
    expect(keyError).not.toContain("[DONE]");
  });

  test("reasoning streams as delta.reasoning; a plain completion carries message.reasoning and a length", async () => {
    const thinker = await startMlxLmServer({ reasoning: true });
    const chunks = dataFrames(await (await postChat(thinker.url, { stream: true, messages: [{ role: "user", content: "What is 6*7?" }] })).text());
    expect(chunks.map((chunk) => chunk.choices[0].delta.reasoning ?? "").join("")).toStartWith("The user wants");
    expect(chunks.map((chunk) => chunk.choices[0].delta.content ?? "").join("")).toBe("42");
    const { headers, body } = await rawHttpRequest(
      thinker.port,
      "POST",
      "/v1/chat/completions",
      chat({ messages: [{ role: "user", content: "What is 6*7?" }] }),
    );
    expect(Number(headers["content-length"])).toBe(Buffer.byteLength(body));
    expect(JSON.parse(body)).toMatchObject({
      object: "chat.completion",
      choices: [{ finish_reason: "stop", message: { role: "assistant", content: "42", reasoning: expect.any(String) } }],
      usage: { prompt_tokens_details: { cached_tokens: expect.any(Number) } },
    });
    await thinker.stop();
  });

  test("errors are HTTP 404 {error}: a Claude model name, a non-text part, a late system message, bad arguments", async () => {
    const wrongModel = await postChat(mlx.url, { model: "claude-opus-5-5", messages: [{ role: "user", content: "hi" }] });
    expect(wrongModel.status).toBe(404);
    expect(((await wrongModel.json()) as { error: string }).error).toContain("Repository Not Found for url: https://huggingface.co/api/models/claude-opus-5-5");
    const image = await postChat(mlx.url, { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:," } }] }] });
    expect([image.status, await image.json()]).toEqual([404, { error: "Only 'text' content type is supported." }]);
    const qwen35 = await startMlxLmServer({ chatTemplate: "qwen3.5" }); // Qwen3-Coder's template renders it in place
    const lateSystem = await postChat(qwen35.url, {
      messages: [
        { role: "user", content: "a" },
        { role: "system", content: "b" },
      ],
    });
    expect([lateSystem.status, await lateSystem.json()]).toEqual([404, { error: "System message must be at the beginning." }]);
    await qwen35.stop();
    const call = { id: "1", type: "function", function: { name: "Write", arguments: "{file_path: x}" } };
    const badArguments = await postChat(mlx.url, {
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: "", tool_calls: [call] },
        { role: "tool", tool_call_id: "1", content: "ok" },
      ],
    });
    expect([badArguments.status, await badArguments.json()]).toEqual([
      404,
      { error: "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)" },
    ]);
  });

  test("a bad parameter drops the connection without a response; a body without a length is refused", async () => {
    const dropped = await rawHttpRequest(mlx.port, "POST", "/v1/chat/completions", chat({ temperature: -1, messages: [{ role: "user", content: "hi" }] }));
    expect(dropped.raw).toBe("");
    const noLength = await rawHttpRequest(mlx.port, "POST", "/v1/chat/completions", undefined, { "Transfer-Encoding": "chunked" });
    expect([noLength.status, JSON.parse(noLength.body)]).toEqual([411, { error: "Content-Length header is required" }]);
  });

  test("without max_tokens a reply stops at 512 tokens", async () => {
    const long = await startMlxLmServer({ respond: () => ({ text: "word ".repeat(2000) }) });
    const reply = (await (await postChat(long.url, { messages: [{ role: "user", content: "go on" }] })).json()) as any;
    expect(reply.choices[0].finish_reason).toBe("length");
    expect(reply.usage.completion_tokens).toBe(512);
    const capped = (await (await postChat(long.url, { max_tokens: 10, messages: [{ role: "user", content: "go on" }] })).json()) as any;
    expect(capped.usage.completion_tokens).toBe(10);
    await long.stop();
    // Reasoning counts against max_tokens too: cut off while thinking, the reply has no content.
    const thinker = await startMlxLmServer({ reasoning: true });
    const cut = (await (await postChat(thinker.url, { max_tokens: 3, messages: [{ role: "user", content: "What is 2+2?" }] })).json()) as any;
    const { finish_reason, message } = cut.choices[0];
    expect([finish_reason, message.content, cut.usage.completion_tokens]).toEqual(["length", null, 3]);
    expect(thinker.requests[0]!.generatedText).toBe(`<think>\n${message.reasoning}`);
    await thinker.stop();
  });

  test("prefill: one keepalive per 2048-token step, paced by prefillTokensPerSecond", async () => {
    const slow = await startMlxLmServer({ prefillTokensPerSecond: 50_000 });
    const started = performance.now();
    const { body } = await rawHttpRequest(
      slow.port,
      "POST",
      "/v1/chat/completions",
      chat({ stream: true, messages: [{ role: "user", content: "lorem ipsum ".repeat(2500) }] }),
    );
    const elapsed = performance.now() - started;
    const total = slow.requests[0]!.promptTokens!;
    expect(total).toBeGreaterThan(4096);
    const marks = [...body.matchAll(/: keepalive (\d+)\/(\d+)\n\n/g)].map((match) => [Number(match[1]), Number(match[2])]);
    // Steps of 2048, the last token held back for generation, then the end.
    expect(marks.slice(0, 2)).toEqual([
      [2048, total],
      [4096, total],
    ]);
    expect(marks.slice(-2)).toEqual([
      [total - 1, total],
      [total, total],
    ]);
    expect(marks.every(([processed], index) => index === 0 || processed! - marks[index - 1]![0]! <= 2048)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual((total / 50_000) * 1000 - 5);
    await slow.stop();
  });

  test("GET /health and /v1/models; a wrong model name unloads the model, and the next request reloads it", async () => {
    expect(await (await fetch(mlx.url.replace("/v1", "/health"))).text()).toBe('{"status": "ok"}');
    const models = (await (await fetch(`${mlx.url}/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((model) => model.id)).toEqual(["mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit"]);
    const reloading = await startMlxLmServer({ modelLoadMs: 80 });
    await postChat(reloading.url, { model: "claude-opus-5-5", messages: [{ role: "user", content: "hi" }] });
    const started = performance.now();
    expect((await postChat(reloading.url, { messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    await reloading.stop();
  });

  test("faults: an error status, a dropped connection, a stream that breaks off", async () => {
    const emulator = await startMlxLmServer();
    emulator.setFault({ kind: "error-status", message: "boom" });
    expect(await (await postChat(emulator.url, { messages: [{ role: "user", content: "hi" }] })).json()).toEqual({ error: "boom" });
    emulator.setFault({ kind: "drop-connection" });
    await expect(postChat(emulator.url, { messages: [{ role: "user", content: "hi" }] })).rejects.toThrow();
    emulator.setFault({ kind: "break-stream", afterChunks: 1, times: 2 });
    for (let attempt = 0; attempt < 2; attempt++) {
      const text = await (await postChat(emulator.url, { stream: true, messages: [{ role: "user", content: "tell me a long story" }] })).text();
      expect(dataFrames(text)).toHaveLength(1);
      expect(text).not.toContain("[DONE]");
    }
    expect((await postChat(emulator.url, { messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    await emulator.stop();
  });
});
