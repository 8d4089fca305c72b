// Two ways real servers treat a client, as small OpenAI-compatible servers on loopback:
// llama-server closing a kept-alive connection just as the client reuses it (here: every reuse is
// reset before any byte), and llama-server answering 503 "Loading model" until its model is in.
import { createServer, type AddressInfo, type Socket } from "node:net";

const MODEL = "qwen3-coder.gguf";

function completion(text: string) {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    model: MODEL,
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: 12, completion_tokens: 1 },
  };
}

function answerFor(method: string, path: string): { status: number; body: unknown } {
  if (method === "GET" && path === "/v1/models") return { status: 200, body: { object: "list", data: [{ id: MODEL, object: "model" }] } };
  if (method === "POST" && path === "/v1/chat/completions") return { status: 200, body: completion("4") };
  return { status: 404, body: { error: { code: 404, message: "File Not Found", type: "not_found_error" } } };
}

export type ResettingServer = { url: string; connections: () => number; resets: () => number; stop: () => Promise<void> };

// HTTP/1.1 with keep-alive; a connection answers its first request and resets on the next.
export async function startResettingServer(): Promise<ResettingServer> {
  let connections = 0;
  let resets = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let buffered = "";
    let served = 0;
    socket.on("data", (data) => {
      buffered += data.toString("latin1");
      const request = takeRequest(buffered);
      if (!request) return;
      buffered = request.rest;
      if (served++ > 0) {
        resets++;
        return void socket.resetAndDestroy();
      }
      const { status, body } = answerFor(request.method, request.path);
      const text = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${status} ${status === 200 ? "OK" : "Not Found"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nKeep-Alive: timeout=5, max=100\r\n\r\n${text}`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    connections: () => connections,
    resets: () => resets,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function takeRequest(buffered: string): { method: string; path: string; rest: string } | undefined {
  const end = buffered.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = buffered.slice(0, end);
  const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
  if (buffered.length < end + 4 + length) return undefined;
  const [method = "", path = ""] = head.split(" ");
  return { method, path, rest: buffered.slice(end + 4 + length) };
}

export type LoadingServer = { url: string; ready: () => void; stop: () => Promise<void> };

// 503 {"error": {"message": "Loading model"}} to everything until ready() is called.
export function startLoadingServer(): LoadingServer {
  let loading = true;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (loading) return Response.json({ error: { code: 503, message: "Loading model", type: "unavailable_error" } }, { status: 503 });
      const { status, body } = answerFor(request.method, new URL(request.url).pathname);
      return Response.json(body, { status });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, ready: () => void (loading = false), stop: async () => void server.stop(true) };
}
