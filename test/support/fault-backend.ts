// An OpenAI-compatible backend on a raw loopback socket that fails on purpose, the way real
// servers fail: accepts a request and never answers, streams and then stalls, dies mid-stream,
// answers a web page with HTTP 200, reports a context overflow mid-stream, or streams as fast as
// the reader takes it. It answers the daemon's probes (GET /v1/models) like llama-server, and
// tells when each completion connection closed, and how many bytes it could write.
import { createServer, type AddressInfo, type Socket } from "node:net";

export type FaultBehavior =
  | { kind: "silent" } // accepts the request, sends nothing
  | { kind: "stream"; chunks?: number; intervalMs?: number; stallAfter?: number; firstDelayMs?: number } // words every intervalMs (the first after firstDelayMs: a prefill); forever without `chunks`; silent after `stallAfter` chunks
  | { kind: "die-mid-stream"; afterChunks: number } // resets the connection after that many chunks
  | { kind: "html" } // HTTP 200, text/html (a captive portal, a proxy's page)
  | { kind: "overflow-mid-stream" } // HTTP 200, then llama.cpp's context error as a data chunk
  | { kind: "firehose"; totalBytes: number } // writes as fast as the reader drains, up to totalBytes
  // mlx_lm.server writing a tool call: `words` of text, silence for `holdMs`, then the whole call
  // in one delta (it sends nothing while its model is inside one). Its GET /health answers at
  // once while the process lives; `hung`: not while a completion is open (a frozen server).
  | { kind: "tool-call-held"; words: number; holdMs: number; health?: "ok" | "hung" }
  // LM Studio or llama-server writing a tool call: `words` of text, then the call's arguments in
  // `fragments` pieces, one every intervalMs (anyclaude holds them until the call is whole).
  | { kind: "tool-call-streamed"; words: number; fragments: number; intervalMs: number };

export type FaultBackend = {
  url: string;
  // One entry per completion request: when it arrived and when its connection closed (performance.now()).
  completions: { arrivedAt: number; closedAt?: number; bytesWritten: number }[];
  setBehavior(behavior: FaultBehavior): void;
  stop(): Promise<void>;
};

const MODEL = "fault-model.gguf";
const SSE_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-f", object: "chat.completion.chunk", model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

export async function startFaultBackend(initial: FaultBehavior, options: { port?: number } = {}): Promise<FaultBackend> {
  let behavior = initial;
  const completions: FaultBackend["completions"] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<Timer>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    let buffered = "";
    let answered = false;
    socket.on("data", (data) => {
      if (answered) return;
      buffered += data.toString("latin1");
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buffered.slice(0, end);
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      answered = true;
      const [method, path] = head.split(" ");
      if (method === "GET" && path === "/health") {
        const open = completions.some((completion) => completion.closedAt === undefined);
        if (behavior.kind === "tool-call-held" && behavior.health === "hung" && open) return;
        return answerJson(socket, { status: "ok" });
      }
      if (method === "GET")
        return answerJson(socket, path?.endsWith("/models") ? { object: "list", data: [{ id: MODEL, object: "model" }] } : { error: "not found" });
      const record: FaultBackend["completions"][number] = { arrivedAt: performance.now(), bytesWritten: 0 };
      completions.push(record);
      socket.on("close", () => void (record.closedAt = performance.now()));
      answer(socket, behavior, record, timers);
    });
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    completions,
    setBehavior: (next) => void (behavior = next),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function answerJson(socket: Socket, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

function answer(socket: Socket, behavior: FaultBehavior, record: { bytesWritten: number }, timers: Set<Timer>): void {
  const write = (text: string) => {
    record.bytesWritten += text.length;
    return socket.write(text);
  };
  switch (behavior.kind) {
    case "silent":
      return;
    case "html":
      return void socket.end(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<!doctype html><html><head><title>Sign in</title></head><body>Please sign in to continue</body></html>",
      );
    case "overflow-mid-stream":
      write(SSE_HEAD);
      write(chunk({ role: "assistant", content: "" }));
      write(
        `data: ${JSON.stringify({ error: { code: 400, message: "the request exceeds the available context size, try increasing it", type: "exceed_context_size_error", n_prompt_tokens: 40000, n_ctx: 32768 } })}\n\n`,
      );
      return void socket.end();
    case "die-mid-stream": {
      write(SSE_HEAD);
      for (let index = 0; index < behavior.afterChunks; index++) write(chunk({ content: `word${index} ` }));
      const timer = setTimeout(() => socket.resetAndDestroy(), 50);
      timers.add(timer);
      return;
    }
    case "stream": {
      write(SSE_HEAD);
      let sent = 0;
      const startedAt = performance.now();
      const timer = setInterval(() => {
        if (behavior.firstDelayMs && performance.now() - startedAt < behavior.firstDelayMs) return;
        if (socket.destroyed) return clearInterval(timer);
        if (behavior.stallAfter !== undefined && sent >= behavior.stallAfter) return;
        if (behavior.chunks !== undefined && sent >= behavior.chunks) {
          clearInterval(timer);
          write(chunk({}, "stop"));
          write("data: [DONE]\n\n");
          return void socket.end();
        }
        write(chunk({ content: `word${sent++} ` }));
      }, behavior.intervalMs ?? 20);
      timers.add(timer);
      return;
    }
    case "tool-call-held": {
      write(SSE_HEAD);
      for (let index = 0; index < behavior.words; index++) write(chunk({ role: "assistant", content: `word${index} ` }));
      const call = {
        index: 0,
        id: "call-held",
        type: "function",
        function: { name: "Write", arguments: JSON.stringify({ file_path: "/tmp/long.txt", content: "Lorem ipsum. ".repeat(200) }) },
      };
      const timer = setTimeout(() => {
        if (socket.destroyed) return;
        write(chunk({ role: "assistant", tool_calls: [call] }));
        write(chunk({}, "tool_calls"));
        socket.end("data: [DONE]\n\n");
      }, behavior.holdMs);
      timers.add(timer);
      return;
    }
    case "tool-call-streamed": {
      write(SSE_HEAD);
      for (let index = 0; index < behavior.words; index++) write(chunk({ role: "assistant", content: `word${index} ` }));
      write(
        chunk({
          tool_calls: [
            { index: 0, id: "call-streamed", type: "function", function: { name: "Write", arguments: '{"file_path": "/tmp/long.txt", "content": "' } },
          ],
        }),
      );
      let sent = 0;
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        if (sent++ < behavior.fragments) return void write(chunk({ tool_calls: [{ index: 0, function: { arguments: "Lorem ipsum. " } }] }));
        clearInterval(timer);
        write(chunk({ tool_calls: [{ index: 0, function: { arguments: '"}' } }] }));
        write(chunk({}, "tool_calls"));
        socket.end("data: [DONE]\n\n");
      }, behavior.intervalMs);
      timers.add(timer);
      return;
    }
    case "firehose": {
      write(SSE_HEAD);
      const piece = chunk({ content: "x".repeat(4000) });
      const pump = () => {
        while (record.bytesWritten < behavior.totalBytes) {
          if (!write(piece)) return void socket.once("drain", pump);
        }
        write(chunk({}, "stop"));
        socket.end("data: [DONE]\n\n");
      };
      return pump();
    }
    default:
      return behavior satisfies never;
  }
}
