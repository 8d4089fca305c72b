// Backends that send what no real one should: lines and bodies that never end, error pages of any
// size, replies past max_tokens, only [DONE], usage counts that are no counts. In process
// (createApp with a fetch that answers as the backend would), with small read limits so that each
// test stays within a few MB and a second or two; the default limits are checked against the README.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { READ_LIMITS, type ReadLimits } from "../../src/backends/read-limits";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";

const encoder = new TextEncoder();
const LIMITS: ReadLimits = { eventBytes: 256 * 1024, bodyBytes: 512 * 1024, errorBodyBytes: 16 * 1024 };
const ask = { model: "claude-opus-5-5", max_tokens: 200, messages: [{ role: "user", content: "hi" }] };

// A body the backend writes forever (or until `total` bytes), one `piece` a pull; counts what was read.
function endless(piece: string | (() => string), head = "", total = Number.POSITIVE_INFINITY) {
  const source = { pulled: 0, cancelled: false };
  let sentHead = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sentHead) {
        sentHead = true;
        if (head) return controller.enqueue(encoder.encode(head));
      }
      if (source.pulled >= total) return controller.close();
      const bytes = encoder.encode(typeof piece === "string" ? piece : piece());
      source.pulled += bytes.length;
      controller.enqueue(bytes);
    },
    cancel: () => void (source.cancelled = true),
  });
  return { source, stream };
}

function appWith(answer: () => Response, kind: "openai" | "anthropic" = "openai") {
  const fetcher = (async (input: string | URL | Request) => {
    const url = String(input);
    if (url.endsWith("/models")) return Response.json({ data: [{ id: "m" }] });
    if (url.endsWith("/chat/completions") || url.endsWith("/messages")) return answer();
    return Response.json({});
  }) as typeof fetch;
  const config = resolveConfig({ backends: [{ name: "hostile", kind, url: "http://127.0.0.1:9/v1" }] }, {});
  const { app } = createApp({ config, fetch: fetcher, version: "test", readLimits: LIMITS });
  return (body: object) =>
    app.handle(
      new Request("http://localhost/v1/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...ask, ...body }),
      }),
    );
}

const sse = (stream: ReadableStream<Uint8Array>) => new Response(stream, { headers: { "content-type": "text/event-stream" } });
const data = (json: object) => `data: ${JSON.stringify(json)}\n\n`;
const chunk = (delta: object, extra: object = {}) => data({ choices: [{ index: 0, delta, finish_reason: null }], ...extra });

async function events(response: Response): Promise<{ type: string; data: any }[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter(Boolean)
    .map((frame) => ({ type: /^event: (.*)$/m.exec(frame)![1]!, data: JSON.parse(/^data: (.*)$/m.exec(frame)![1]!) }));
}

describe("limits on what is read from a backend", () => {
  test("the defaults are the README's: 16 MB an event, 32 MB a whole answer, 64 KB of an error", () => {
    expect(READ_LIMITS).toEqual({ eventBytes: 16 * 1024 * 1024, bodyBytes: 32 * 1024 * 1024, errorBodyBytes: 64 * 1024 });
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme.includes("one SSE event or line of a stream: 16 MB; a whole answer: 32 MB; an error body: its first 64 KB")).toBe(true);
  });

  test("a line that never ends: an error event naming the backend, the upstream cancelled, a few limits' worth read", async () => {
    const { source, stream } = endless("x".repeat(64 * 1024), "data: ");
    const startedAt = performance.now();
    const all = await events(await appWith(() => sse(stream))({ stream: true }));
    expect(all.at(-1)).toMatchObject({
      type: "error",
      data: {
        error: {
          type: "api_error",
          message: expect.stringContaining('backend "hostile" (openai at http://127.0.0.1:9/v1) sent a stream event (or a line) larger than 256 KB'),
        },
      },
    });
    expect(performance.now() - startedAt).toBeLessThan(2_000);
    expect(source.cancelled).toBe(true);
    expect(source.pulled).toBeLessThan(4 * LIMITS.eventBytes);
  });

  test("an event of data lines that never ends (no blank line): the same", async () => {
    const { source, stream } = endless(`data: ${"y".repeat(1000)}\n`);
    const all = await events(await appWith(() => sse(stream))({ stream: true }));
    expect(all.at(-1)?.data.error.message).toContain("larger than 256 KB");
    expect(source.pulled).toBeLessThan(4 * LIMITS.eventBytes);
  });

  test("the anthropic kind: a line that never ends is not relayed whole", async () => {
    const { source, stream } = endless("z".repeat(64 * 1024), 'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"');
    const all = await events(await appWith(() => sse(stream), "anthropic")({ stream: true }));
    expect(all.at(-1)?.data.error.message).toContain(
      'backend "hostile" (anthropic at http://127.0.0.1:9/v1) sent a stream event (or a line) larger than 256 KB',
    );
    expect(source.pulled).toBeLessThan(4 * LIMITS.eventBytes);
  });

  test("a whole answer that never ends: a 502 naming the backend, read no further", async () => {
    const { source, stream } = endless(" ".repeat(64 * 1024), '{"choices": [');
    const response = await appWith(() => new Response(stream, { headers: { "content-type": "application/json" } }))({});
    expect(response.status).toBe(502);
    expect(((await response.json()) as any).error.message).toContain('backend "hostile" (openai at http://127.0.0.1:9/v1) sent an answer larger than 512 KB');
    expect(source.pulled).toBeLessThan(4 * LIMITS.bodyBytes);
  });

  test("an error body, or a web page with HTTP 200, of any size: only its head is read", async () => {
    for (const [status, type] of [
      [500, "application/json"],
      [200, "text/html"],
    ] as const) {
      const { source, stream } = endless("<p>sorry</p>".repeat(400), status === 500 ? '{"error": {"message": "the server is sorry' : "<html><body>");
      const response = await appWith(() => new Response(stream, { status, headers: { "content-type": type } }))({ stream: true });
      expect(response.status).toBe(502);
      expect(((await response.json()) as any).error.message).toContain('backend "hostile"');
      expect(source.pulled).toBeLessThan(LIMITS.errorBodyBytes + 3 * 4800);
    }
  });
});

describe("max_tokens, enforced on what the backend writes", () => {
  test("text that never stops: the reply ends with stop_reason max_tokens, and the upstream is cancelled", async () => {
    const { source, stream } = endless(chunk({ content: "word " }));
    const all = await events(await appWith(() => sse(stream))({ stream: true }));
    expect(all.slice(-2).map((event) => event.type)).toEqual(["message_delta", "message_stop"]);
    expect(all.at(-2)?.data.delta.stop_reason).toBe("max_tokens");
    expect(source.cancelled).toBe(true);
    const text = all
      .filter((event) => event.type === "content_block_delta")
      .map((event) => event.data.delta.text)
      .join("");
    expect(text.length).toBeLessThanOrEqual(200 * 16 + 5);
  });

  test("tool-call arguments that never end: held no further, the call dropped as cut off by max_tokens", async () => {
    let first = true;
    const { source, stream } = endless(() => {
      const call = first
        ? { index: 0, id: "call_1", type: "function", function: { name: "Write", arguments: '{"content": "' } }
        : { index: 0, function: { arguments: "aaaa" } };
      first = false;
      return chunk({ tool_calls: [call] });
    });
    const all = await events(await appWith(() => sse(stream))({ stream: true, tools: [{ name: "Write", input_schema: { type: "object" } }] }));
    expect(all.at(-2)?.data.delta.stop_reason).toBe("max_tokens");
    expect(all.some((event) => event.data.content_block?.type === "tool_use")).toBe(false);
    expect(JSON.stringify(all)).toContain("cut off by max_tokens; it was not run");
    expect(source.cancelled).toBe(true);
  });

  test("a backend that reports more output tokens than max_tokens is cut at once", async () => {
    let n = 0;
    const { stream } = endless(() => chunk({ content: "w" }, { usage: { prompt_tokens: 5, completion_tokens: ++n * 50 } }));
    const all = await events(await appWith(() => sse(stream))({ stream: true }));
    expect(all.at(-2)?.data.delta.stop_reason).toBe("max_tokens");
    expect(all.filter((event) => event.type === "content_block_delta")).toHaveLength(5);
  });

  test("the anthropic kind: endless text ends with max_tokens too", async () => {
    const start =
      data({ type: "message_start", message: { usage: { input_tokens: 5 } } }) +
      data({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    const { source, stream } = endless(data({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "word " } }), start);
    const all = await events(await appWith(() => sse(stream), "anthropic")({ stream: true }));
    expect(all.slice(-3).map((event) => event.type)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(all.at(-2)?.data.delta.stop_reason).toBe("max_tokens");
    expect(source.cancelled).toBe(true);
  });
});

describe("a backend that ends without a reply", () => {
  test("only [DONE] (or only a role): an api_error event, not an empty success", async () => {
    for (const body of ["data: [DONE]\n\n", chunk({ role: "assistant", content: "" }) + "data: [DONE]\n\n"]) {
      const all = await events(await appWith(() => sse(new Response(body).body!))({ stream: true }));
      expect(all.at(-1)).toMatchObject({
        type: "error",
        data: { error: { type: "api_error", message: 'backend "hostile" ended without a reply (no content, no tool call, no finish reason)' } },
      });
    }
  });

  test("a whole answer whose choice holds nothing: a 502 saying so", async () => {
    const response = await appWith(() => Response.json({ choices: [{ index: 0, message: { role: "assistant" }, finish_reason: null }] }))({});
    expect(response.status).toBe(502);
    expect(((await response.json()) as any).error.message).toContain("ended without a reply");
  });
});

describe("usage counts that are no counts", () => {
  test("negative, fractional, NaN-like and 1e308 counts become counts or the estimate", async () => {
    const usage = { prompt_tokens: -5, completion_tokens: 1e308, prompt_tokens_details: { cached_tokens: 2.6 } };
    const streamed = await events(
      await appWith(() =>
        sse(new Response(chunk({ content: "four" }) + data({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage }) + "data: [DONE]\n\n").body!),
      )({ stream: true }),
    );
    const whole: any = await (
      await appWith(() => Response.json({ choices: [{ index: 0, message: { role: "assistant", content: "four" }, finish_reason: "stop" }], usage }))({})
    ).json();
    for (const counts of [streamed.at(-2)!.data.usage, whole.usage]) {
      for (const value of Object.values(counts)) expect(Number.isSafeInteger(value) && (value as number) >= 0).toBe(true);
      expect(counts.output_tokens).toBe(2); // the estimate for "four"
    }
  });

  test("the anthropic kind: a message_delta's counts are checked on the way through", async () => {
    const body = [
      data({ type: "message_start", message: { usage: { input_tokens: 5 } } }),
      data({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      data({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "four" } }),
      data({ type: "content_block_stop", index: 0 }),
      data({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: -3, input_tokens: 1e308 } }),
      data({ type: "message_stop" }),
    ].join("");
    const all = await events(await appWith(() => sse(new Response(body).body!), "anthropic")({ stream: true }));
    const usage = all.find((event) => event.type === "message_delta")!.data.usage;
    expect(usage.output_tokens).toBe(2);
    expect(Number.isSafeInteger(usage.input_tokens)).toBe(true);
  });
});
