// A LAN daemon that holds (issue 27): an idle connection and a half-sent body are closed after
// the idle timeout, so nobody can hold the daemon's file descriptors; a reply that waits on its
// backend longer than that (a silent prefill, whole or streamed) is never cut.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { resolveConfig } from "../../src/config/resolve-config";
import { IDLE_TIMEOUT_SECONDS, startServer } from "../../src/server/start-server";
import { sentJson } from "../support/sent-body";

const BACKEND_WAIT_MS = 7_000; // past the test's timeout below, in Bun's ~4 s ticks
const ask = { model: "claude-opus-5-5", max_tokens: 64, messages: [{ role: "user", content: "What is 2+2?" }] };

// An OpenAI backend that takes BACKEND_WAIT_MS to answer a chat request, whole or streamed.
const fetcher = (async (input: string | URL | Request, init: RequestInit = {}) => {
  const url = String(input);
  if (url.endsWith("/models")) return Response.json({ data: [{ id: "qwen3" }] });
  if (url.endsWith("/health")) return Response.json({ status: "ok" });
  if (!url.endsWith("/chat/completions")) return Response.json({ error: "not found" }, { status: 404 });
  await Bun.sleep(BACKEND_WAIT_MS);
  const usage = { prompt_tokens: 5, completion_tokens: 1 };
  if (!sentJson(init).stream) return Response.json({ choices: [{ message: { role: "assistant", content: "4" }, finish_reason: "stop" }], usage });
  const chunks = [
    { choices: [{ index: 0, delta: { role: "assistant", content: "4" } }] },
    { choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage },
  ];
  return new Response(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join("") + "data: [DONE]\n\n", {
    headers: { "content-type": "text/event-stream" },
  });
}) as typeof fetch;

const server = await startServer({
  config: resolveConfig({ port: 0, prewarm: false, backends: [{ name: "slow", kind: "openai", url: "http://127.0.0.1:9/v1", tools: true }] }, {}),
  fetch: fetcher,
  idleTimeoutSeconds: 1,
  heartbeatMs: 1_000,
});
afterAll(() => server.stop());
const port = Number(new URL(server.url).port);

// Writes `raw`, then reads until the daemon closes the connection (or `giveUpMs`).
function exchange(raw: string, giveUpMs = 20_000): Promise<{ closedAfterMs: number | undefined; received: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1", () => socket.write(raw));
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (data: string) => (received += data));
    socket.on("error", () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closedAfterMs: undefined, received });
    }, giveUpMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - started, received });
    });
  });
}

const post = (body: string, length = Buffer.byteLength(body)) =>
  `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n${body}`;

describe("connection timeouts", () => {
  test("an idle keep-alive connection and a half-sent body are closed; a reply that waits on its backend is not cut", async () => {
    const [idle, halfBody, whole, streamed] = await Promise.all([
      exchange("GET /anyclaude/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
      exchange(post('{"model": "claude', 400)),
      exchange(post(JSON.stringify(ask)).replace("Host:", "Connection: close\r\nHost:")),
      exchange(post(JSON.stringify({ ...ask, stream: true })).replace("Host:", "Connection: close\r\nHost:")),
    ]);
    expect(idle.received).toContain('{"status":"ok"}');
    expect(idle.closedAfterMs).toBeLessThan(10_000);
    expect(halfBody.received).toBe("");
    expect(halfBody.closedAfterMs).toBeLessThan(10_000);
    expect(whole.received).toStartWith("HTTP/1.1 200");
    expect(whole.received).toContain('"text":"4"');
    expect(whole.closedAfterMs).toBeGreaterThanOrEqual(BACKEND_WAIT_MS);
    expect(streamed.received).toContain("event: ping");
    expect(streamed.received).toContain("event: message_stop");
  }, 30_000);

  test("after a reply that waited, its connection times out again when idle", async () => {
    const { closedAfterMs, received } = await exchange(post(JSON.stringify(ask)));
    expect(received).toContain('"text":"4"');
    expect(closedAfterMs).toBeLessThan(BACKEND_WAIT_MS + 10_000);
  }, 30_000);

  test("the default is the README's: 30 s", () => {
    expect(IDLE_TIMEOUT_SECONDS).toBe(30);
    expect(readFileSync(new URL("../../README.md", import.meta.url), "utf8")).toContain(
      `closed after ${IDLE_TIMEOUT_SECONDS} s without a byte from the client`,
    );
  });
});
