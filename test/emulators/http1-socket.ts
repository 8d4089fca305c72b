// Just enough HTTP/1.0 over a raw socket to emulate Python's BaseHTTPRequestHandler, which
// mlx_lm.server uses: one request per connection, no chunked encoding, and a body without
// Content-Length (every streamed and error response) ends when the connection closes. Bun.serve
// always speaks HTTP/1.1, so it cannot reproduce that.
import { createServer, type Socket } from "node:net";

export type RawRequest = {
  method: string;
  path: string;
  headers: Record<string, string>; // names lowercased
  contentLength: number | undefined; // undefined when the header is missing
  body: string;
};

export type RawResponder = {
  head(status: number, headers: Record<string, string>): void;
  write(text: string): void;
  end(text?: string): void;
  destroy(): void; // drop the connection without (the rest of) a response
  readonly closed: boolean; // the client went away, or the response ended
};

const MAX_HEAD_BYTES = 64 * 1024;

export type Http10Server = { port: number; close(): Promise<void> };

// port 0 (default): a free one; a given port: a restarted server where the last one listened.
export function listenHttp10(handler: (request: RawRequest, respond: RawResponder) => Promise<void> | void, port = 0): Promise<Http10Server> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    const onData = (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      const request = parseRequest(buffer);
      if (request === "incomplete") {
        if (buffer.length > MAX_HEAD_BYTES && buffer.indexOf("\r\n\r\n") < 0) socket.destroy();
        return;
      }
      socket.off("data", onData);
      if (!request) return socket.destroy();
      void Promise.resolve(handler(request, responder(socket))).catch(() => socket.destroy());
    };
    socket.on("data", onData);
    // A client that goes away mid-response makes writes fail: nothing to report.
    socket.on("error", () => socket.destroy());
  });
  // Closing also ends the requests still running (a stream mid-prefill), as killing the server would.
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve({ port: (server.address() as { port: number }).port, close })));
}

function parseRequest(buffer: Buffer): RawRequest | "incomplete" | undefined {
  const headerEnd = buffer.indexOf("\r\n\r\n");
  if (headerEnd < 0) return "incomplete";
  const [requestLine = "", ...lines] = buffer.subarray(0, headerEnd).toString("latin1").split("\r\n");
  const [method, path, version] = requestLine.split(" ");
  if (!method || !path || !version?.startsWith("HTTP/")) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  // Python reads exactly Content-Length bytes; without the header it reads no body at all.
  const contentLength = headers["content-length"] === undefined ? undefined : Number(headers["content-length"]);
  const body = buffer.subarray(headerEnd + 4);
  if (contentLength !== undefined && Number.isInteger(contentLength) && body.length < contentLength) return "incomplete";
  const length = contentLength !== undefined && Number.isInteger(contentLength) ? contentLength : 0;
  return { method, path, headers, contentLength, body: body.subarray(0, length).toString("utf8") };
}

const REASONS: Record<number, string> = {
  200: "OK",
  204: "No Content",
  400: "Bad Request",
  404: "Not Found",
  411: "Length Required",
  500: "Internal Server Error",
};

function responder(socket: Socket): RawResponder {
  return {
    head(status, headers) {
      // BaseHTTPRequestHandler.send_response adds Server and Date before the handler's own.
      const all = { Server: "BaseHTTP/0.6 Python/3.12.11", Date: new Date().toUTCString(), ...headers };
      const lines = Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.write(`HTTP/1.0 ${status} ${REASONS[status] ?? "Error"}\r\n${lines.join("")}\r\n`);
    },
    write(text) {
      if (!socket.destroyed) socket.write(text);
    },
    end(text) {
      if (socket.destroyed) return;
      if (text === undefined) socket.end();
      else socket.end(text);
    },
    destroy() {
      socket.destroy();
    },
    get closed() {
      return socket.destroyed || socket.writableEnded;
    },
  };
}
