// Just enough HTTP/1.0 over a raw socket to emulate Python's BaseHTTPRequestHandler, which
// mlx_lm.server uses: no keep-alive, no chunked encoding; a streamed body ends when the
// connection closes. Bun.serve always speaks HTTP/1.1, so it cannot reproduce that.
import { createServer, type Server, type Socket } from "node:net";

export type RawRequest = { method: string; path: string; headers: Record<string, string>; body: string };

export type RawResponder = {
  head(status: number, headers: Record<string, string>): void;
  write(text: string): void;
  end(text?: string): void;
  destroy(): void; // drop the connection without a response
};

export function listenHttp10(handler: (request: RawRequest, respond: RawResponder) => Promise<void> | void): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    let buffer = Buffer.alloc(0);
    socket.on("data", (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      const request = parseRequest(buffer);
      if (!request) return;
      socket.removeAllListeners("data");
      void Promise.resolve(handler(request, responder(socket))).catch(() => socket.destroy());
    });
    socket.on("error", () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })));
}

function parseRequest(buffer: Buffer): RawRequest | undefined {
  const headerEnd = buffer.indexOf("\r\n\r\n");
  if (headerEnd < 0) return undefined;
  const [requestLine, ...lines] = buffer.subarray(0, headerEnd).toString("latin1").split("\r\n");
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")).trim().toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
  const length = Number(headers["content-length"] ?? 0);
  const body = buffer.subarray(headerEnd + 4);
  if (body.length < length) return undefined;
  const [method = "", path = ""] = requestLine!.split(" ");
  return { method, path, headers, body: body.subarray(0, length).toString("utf8") };
}

const REASONS: Record<number, string> = { 200: "OK", 404: "Not Found", 411: "Length Required", 500: "Internal Server Error" };

function responder(socket: Socket): RawResponder {
  return {
    head(status, headers) {
      const lines = Object.entries({ Server: "BaseHTTP/0.6 Python/3.12.8", ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.write(`HTTP/1.0 ${status} ${REASONS[status] ?? "Error"}\r\n${lines.join("")}\r\n`);
    },
    write(text) {
      socket.write(text);
    },
    end(text) {
      if (text === undefined) socket.end();
      else socket.end(text);
    },
    destroy() {
      socket.destroy();
    },
  };
}
