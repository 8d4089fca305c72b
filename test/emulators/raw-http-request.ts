// Test helpers: one request over a plain socket, read until the server closes it (the only way
// to see HTTP/1.0 framing, or a connection dropped without a response), and SSE frame parsing.
import { connect } from "node:net";

export type RawExchange = { raw: string; head: string; body: string; status: number; headers: Record<string, string> };

export function rawHttpRequest(port: number, method: string, path: string, body?: string, extraHeaders: Record<string, string> = {}): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let raw = "";
    socket.setEncoding("utf8");
    socket.on("data", (data: string) => (raw += data));
    socket.on("error", reject);
    socket.on("close", () => {
      const split = raw.indexOf("\r\n\r\n");
      const head = split < 0 ? raw : raw.slice(0, split);
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
      resolve({ raw, head, body: split < 0 ? "" : raw.slice(split + 4), status: Number(statusLine.split(" ")[1] ?? 0), headers });
    });
    const length = body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(body)) };
    const headers = Object.entries({ Host: "127.0.0.1", "Content-Type": "application/json", ...length, ...extraHeaders }).map(
      ([name, value]) => `${name}: ${value}\r\n`,
    );
    socket.write(`${method} ${path} HTTP/1.1\r\n${headers.join("")}\r\n${body ?? ""}`);
  });
}

// The JSON of every `data:` frame but [DONE].
export function dataFrames(text: string): any[] {
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: ") && frame !== "data: [DONE]")
    .map((frame) => JSON.parse(frame.slice("data: ".length)));
}

export async function postChat(url: string, body: object): Promise<Response> {
  return fetch(`${url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}
