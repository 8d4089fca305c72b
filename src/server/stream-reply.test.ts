// A streamed reply when something fails inside the daemon while it streams, and how often it
// pings a client while the backend is silent.
import { describe, expect, test } from "bun:test";
import type { UpstreamWatch } from "../backends/upstream-watch";
import { resolveConfig } from "../config/resolve-config";
import type { RequestTrace } from "../metrics/request-trace";
import type { StreamEvent } from "../protocol/anthropic";
import { createApp } from "./create-app";
import type { Daemon } from "./daemon";
import { type CommonEvent, streamReply } from "./stream-reply";

const HEARTBEAT_MS = 300;

// The client's side: each SSE event with the time its chunk arrived, until the stream ends.
async function readAll(response: Response): Promise<{ events: { type: string; data: any }[]; arrivals: number[] }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const arrivals = [performance.now()];
  let text = "";
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    arrivals.push(performance.now());
    text += decoder.decode(value, { stream: true });
  }
  const events = text
    .split("\n\n")
    .filter(Boolean)
    .map((frame) => ({ type: /^event: (.*)$/m.exec(frame)![1]!, data: JSON.parse(/^data: (.*)$/m.exec(frame)![1]!) }));
  return { events, arrivals };
}

type Word = { kind: "word"; text: string };

describe("a reply that fails while it streams", () => {
  test("a converter that throws mid-stream: the client gets an error event naming the backend, the stream ends, the upstream is cut and nothing keeps running", async () => {
    const daemon = { heartbeatMs: 50, openReplies: new Set() } as unknown as Daemon;
    const cuts: unknown[] = [];
    const failures: string[] = [];
    let transforms = 0;
    const watch = { firstToken() {}, cut: (error: unknown) => void cuts.push(error) } as unknown as UpstreamWatch;
    const trace = { see: () => false, fail: (message: string) => void failures.push(message), cancel() {}, progress() {} } as unknown as RequestTrace;
    const converter: Transformer<Word | CommonEvent, StreamEvent> = {
      start: (controller) => controller.enqueue({ type: "ping" }),
      transform(event, controller) {
        transforms++;
        if (event.kind !== "word") return controller.enqueue({ type: "ping" });
        if (event.text === "w3") throw new RangeError("Out of memory");
        controller.enqueue({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: event.text } });
      },
    };
    async function* decode(): AsyncGenerator<Word> {
      for (let n = 0; ; n++) {
        await Bun.sleep(5);
        yield { kind: "word", text: `w${n}` };
      }
    }
    const response = await streamReply(Promise.resolve(new Response("")), { backend: "llama", trace, watch, decode, converter }, daemon);
    const { events } = await Promise.race([readAll(response), Bun.sleep(2_000).then(() => ({ events: [] }))]);
    expect(events.at(-1)).toEqual({
      type: "error",
      data: { type: "error", error: { type: "api_error", message: 'the reply from backend "llama" failed inside anyclaude: Out of memory' } },
    });
    expect(events.filter((event) => event.type === "content_block_delta")).toHaveLength(3);
    expect(cuts).toHaveLength(1); // the backend's call aborted
    expect(failures).toEqual(['the reply from backend "llama" failed inside anyclaude: Out of memory']);
    const transformsAtEnd = transforms;
    await Bun.sleep(250); // five heartbeat intervals: the timer is gone
    expect(transforms).toBe(transformsAtEnd);
    expect(daemon.openReplies.size).toBe(0);
  });
});

describe("heartbeats", () => {
  test("the client never goes more than one interval without a byte while the backend is silent", async () => {
    const encoder = new TextEncoder();
    const chunk = (delta: object, finish: string | null = null) =>
      encoder.encode(`data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    // One word just after the first interval, then a silence of five intervals, then the end.
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        await Bun.sleep(HEARTBEAT_MS * 1.1);
        controller.enqueue(chunk({ role: "assistant", content: "Hello" }));
        await Bun.sleep(HEARTBEAT_MS * 5);
        controller.enqueue(chunk({}, "stop"));
        controller.close();
      },
    });
    const fetcher = (async (input: string | URL | Request) => {
      const url = String(input);
      if (url.endsWith("/models")) return Response.json({ data: [{ id: "m" }] });
      if (url.endsWith("/chat/completions")) return new Response(body, { headers: { "content-type": "text/event-stream" } });
      return Response.json({});
    }) as typeof fetch;
    const config = resolveConfig({ backends: [{ name: "llama", kind: "openai", url: "http://127.0.0.1:9/v1" }] }, {});
    const { app } = createApp({ config, fetch: fetcher, version: "test", heartbeatMs: HEARTBEAT_MS });
    const response = await app.handle(
      new Request("http://localhost/v1/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", max_tokens: 64, stream: true, messages: [{ role: "user", content: "hi" }] }),
      }),
    );
    const { events, arrivals } = await readAll(response);
    expect(events.at(-1)?.type).toBe("message_stop");
    const gaps = arrivals.slice(1).map((at, index) => at - arrivals[index]!);
    // Pinged on a 10 s tick only after a whole tick of silence, the gap after the word was ~1.9 intervals.
    expect(Math.max(...gaps.slice(1))).toBeLessThan(HEARTBEAT_MS * 1.4);
    expect(events.filter((event) => event.type === "ping").length).toBeGreaterThanOrEqual(5);
  });
});
