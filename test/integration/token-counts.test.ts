// The counts Claude Code reads (its context meter, its warnings, when it compacts): message_start's
// estimate close to the backend's count once the backend has counted one reply, every final usage
// the backend's own, count_tokens within 10% of what the backend counts for the same request.
// The emulated mlx_lm.server counts with Qwen3's real tokenizer and Qwen3-Coder's real template.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";
import { encodeTokens } from "../emulators/encode-tokens";
import { freePort } from "../support/compiled-binary";
import { claudeCodeSystem, claudeCodeTools } from "../support/claude-code-fixture";
import { startStack, type Stack } from "../support/start-stack";

const within = (value: number, expected: number) => Math.abs(value - expected) / expected;
const system = claudeCodeSystem("t0k-0001");
const tools = claudeCodeTools() as unknown as Anthropic.Tool[];

describe("token counts through an emulated mlx_lm.server", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: ({ mlx }) => ({ backends: [{ name: "mlx-lm", kind: "mlx-lm", url: mlx, tools: true }] }) });
  });
  afterAll(() => stack.stop());

  // One streamed turn: what message_start said, the final usage, and what the server counted.
  async function turn(session: string, body: Omit<Anthropic.MessageCreateParams, "model" | "max_tokens">) {
    let started = 0;
    const stream = stack.client.messages.stream({ model: "claude-opus-5-5", max_tokens: 256, ...body }, { headers: { "x-claude-code-session-id": session } });
    stream.on("streamEvent", (event) => {
      if (event.type === "message_start") started = event.message.usage.input_tokens;
    });
    const message = await stream.finalMessage();
    const served = stack.mlx.requests.at(-1)!;
    return { started, message, served: { prompt: served.promptTokens!, cached: served.cachedTokens!, output: encodeTokens(served.generatedText!).length } };
  }

  const question = (text: string): Anthropic.MessageParam => ({
    role: "user",
    content: [
      { type: "text", text: "<system-reminder>\ncontext\n</system-reminder>" },
      { type: "text", text },
    ],
  });

  test("message_start's estimate is within 10% of the server's count after one reply, and every final usage is the server's", async () => {
    // Claude Code's title request (no tools), then its main loop.
    const title = await turn("s-a", {
      system: [{ type: "text", text: "Generate a short title for this conversation." }],
      messages: [question("Where is the config loaded?")],
    });
    const first = await turn("s-a", { system, tools, messages: [question("Where is the config loaded?")] });
    // Before any count: the 3.5-characters guess (44 for 39 here; 21.5k for 17.8k below, once).
    for (const { message, served } of [title, first]) {
      expect(message.usage).toMatchObject({
        input_tokens: served.prompt - served.cached,
        cache_read_input_tokens: served.cached,
        output_tokens: served.output,
      });
    }

    const messages = [
      question("Where is the config loaded?"),
      { role: "assistant" as const, content: first.message.content },
      question("How are errors reported?"),
    ];
    const second = await turn("s-a", { system, tools, messages });
    expect(within(second.started, second.served.prompt)).toBeLessThan(0.02); // its last real count, plus what is new
    expect(second.message.usage).toMatchObject({ input_tokens: second.served.prompt - second.served.cached, cache_read_input_tokens: second.served.cached });
    expect(second.served.cached).toBeGreaterThan(0);

    // A new conversation on the same backend: the backend's calibrated rates.
    const other = await turn("s-b", { system, tools, messages: [question("A different first question entirely, about the tests")] });
    expect(within(other.started, other.served.prompt)).toBeLessThan(0.1);
  });

  test("count_tokens is within 10% of the server's count, tools' template included, and takes a few ms", async () => {
    const body = { model: "claude-opus-5-5", system, tools, messages: [question("What is 6*7? And what else can you do for this project?")] };
    const started = performance.now();
    const counted = await stack.client.messages.countTokens(body);
    const elapsed = performance.now() - started;
    await stack.client.messages.create({ ...body, max_tokens: 16 });
    const served = stack.mlx.requests.at(-1)!.promptTokens!;
    expect(within(counted.input_tokens, served)).toBeLessThan(0.1);
    expect(elapsed).toBeLessThan(50); // mlx_lm.server cannot be asked: the estimate, at once
  });
});

// A Messages API backend that counts as llama-server does: usage in message_start only (its
// tools/server/server-task.cpp), and POST /v1/messages/count_tokens when `counts` is set.
function messagesBackend(options: { counts: boolean }) {
  const seen: string[] = [];
  const counted: number[] = []; // the prompt of each request, as it counted it
  const countOf = (body: { messages: unknown; system?: unknown; tools?: unknown }) =>
    encodeTokens(JSON.stringify([body.system, body.tools, body.messages])).length + 7;
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    seen.push(new URL(url).pathname);
    if (url.endsWith("/models")) return Response.json({ data: [{ id: "qwen3-coder" }] });
    if (url.endsWith("/props")) return new Response("not found", { status: 404 });
    const body = (await new Response(init?.body).json()) as { messages: unknown; system?: unknown; tools?: unknown };
    counted.push(countOf(body));
    if (url.endsWith("/messages/count_tokens"))
      return options.counts ? Response.json({ input_tokens: counted.at(-1) }) : new Response("File Not Found", { status: 404 });
    const usage = { cache_read_input_tokens: counted.at(-1)! - 1, input_tokens: 1, output_tokens: 0 };
    const events = [
      {
        type: "message_start",
        message: { id: "m", type: "message", role: "assistant", content: [], model: "qwen3-coder", stop_reason: null, stop_sequence: null, usage },
      },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "42" } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 2 } },
      { type: "message_stop" },
    ];
    return new Response(events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join(""), {
      headers: { "content-type": "text/event-stream" },
    });
  }) as typeof fetch;
  return { fetcher, seen, counted };
}

describe("token counts on the anthropic kind", () => {
  async function daemonBefore(counts: boolean) {
    const backend = messagesBackend({ counts });
    const config = resolveConfig(
      { port: await freePort(), backends: [{ name: "llama", kind: "anthropic", url: "http://127.0.0.1:8080/v1", tools: true }] },
      {},
    );
    return { ...backend, app: createApp({ config, fetch: backend.fetcher, version: "test" }).app };
  }
  const post = (app: ReturnType<typeof createApp>["app"], path: string, body: object) =>
    app.handle(
      new Request(`http://127.0.0.1${path}`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "k" }, body: JSON.stringify(body) }),
    );
  const request = {
    model: "claude-opus-5-5",
    max_tokens: 64,
    system: "You are terse.",
    tools: tools.slice(0, 1),
    messages: [{ role: "user", content: "What is 6*7?" }],
  };

  test("streamed, the final message_delta carries the backend's input and cache-read counts", async () => {
    const { app, counted } = await daemonBefore(false);
    const text = await (await post(app, "/v1/messages", { ...request, stream: true })).text();
    const events = text
      .split("\n\n")
      .flatMap((frame) => /^data: (.*)$/m.exec(frame)?.[1] ?? [])
      .map((data) => JSON.parse(data));
    expect(events.find((event) => event.type === "message_delta")?.usage).toMatchObject({
      input_tokens: 1,
      cache_read_input_tokens: counted.at(-1)! - 1,
      output_tokens: 2,
    });
  });

  test("count_tokens asks a backend that counts (its count, exactly), and learns once that one does not", async () => {
    const counting = await daemonBefore(true);
    const answer = (await (await post(counting.app, "/v1/messages/count_tokens", request)).json()) as { input_tokens: number };
    expect(counting.seen).toContain("/v1/messages/count_tokens");
    expect(answer.input_tokens).toBe(counting.counted.at(-1)!);

    const silent = await daemonBefore(false);
    for (let index = 0; index < 2; index++)
      expect(((await (await post(silent.app, "/v1/messages/count_tokens", request)).json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    expect(silent.seen.filter((path) => path === "/v1/messages/count_tokens")).toHaveLength(1);
  });
});
