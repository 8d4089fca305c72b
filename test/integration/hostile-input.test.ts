// Request bodies built to hurt: nested past any stack, larger than any prompt. Each gets an
// Anthropic-shaped 4xx that says what is wrong, never a 500 or an empty answer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";
import { startServer, type RunningServer } from "../../src/server/start-server";
import { freePort } from "../support/compiled-binary";

const completion = () =>
  Response.json({ choices: [{ message: { role: "assistant", content: "4" }, finish_reason: "stop" }], usage: { prompt_tokens: 5, completion_tokens: 1 } });
const fetcher = (async (input: string | URL | Request) => {
  const url = String(input);
  if (url.endsWith("/health")) return Response.json({ status: "ok" });
  if (url.endsWith("/models")) return Response.json({ data: [{ id: "qwen3" }] });
  return completion();
}) as typeof fetch;
// In process (app.handle), never bound; still its own port, never the default 8082.
const PORT = await freePort();
const { app } = createApp({ config: resolveConfig({ port: PORT }, {}), fetch: fetcher, version: "test" });
const post = (body: string) =>
  app.handle(new Request(`http://127.0.0.1:${PORT}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body }));

// A tool loop whose tool_use input is `value`.
const toolLoop = (value: string) =>
  `{"model":"m","max_tokens":5,"tools":[{"name":"W","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"W","input":{"a":${value}}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}`;

describe("nesting", () => {
  test("a tool_use input nested 100,000 deep is a 400 that says so, not a stack overflow", async () => {
    for (const deep of ["[".repeat(100_000) + "]".repeat(100_000), '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000)]) {
      const response = await post(toolLoop(deep));
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        type: "error",
        error: { type: "invalid_request_error", message: "the request body nests objects and arrays more than 512 levels deep" },
      });
    }
  });

  test("brackets inside strings do not count; 500 levels pass", async () => {
    expect((await post(toolLoop(JSON.stringify("[".repeat(100_000) + '\\"{{{'.repeat(1000))))).status).toBe(200);
    expect((await post(toolLoop("[".repeat(500) + "]".repeat(500)))).status).toBe(200);
  });
});

describe("size", () => {
  let server: RunningServer;
  beforeAll(
    async () =>
      void (server = await startServer({
        config: resolveConfig({ port: 0, backends: [{ name: "llama", kind: "openai", url: "http://127.0.0.1:9/v1" }] }, {}),
      })),
  );
  afterAll(() => server.stop());

  test("a body announced larger than maxBodyBytes (or Bun's own 128 MB) is a 413 with a body, at once", async () => {
    const url = new URL(server.url);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), url.hostname);
      let text = "";
      socket.on("data", (data) => {
        text += data.toString();
        if (text.includes("}}")) socket.destroy();
      });
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
      // 130 MB announced, a few bytes sent: the answer must not wait for the rest.
      socket.write(
        `POST /v1/messages HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${130 * 1024 * 1024}\r\n\r\n{"model":`,
      );
    });
    expect(answer).toStartWith("HTTP/1.1 413");
    expect(answer).toContain('{"type":"error","error":{"type":"request_too_large","message":"the request body is larger than 33554432 bytes');
  });
});
