// An OpenAI-compatible backend on loopback that answers the way a broken or hostile server would:
// text or tool-call arguments that never end, one SSE line of 500 MB, a web page of 1 GB, an
// error body of 400 MB, nothing but [DONE], absurd usage, repeated tool-call ids, a tool call cut
// off. Every body is generated lazily as the reader pulls (the test process never holds one), and
// every loop is bounded by `capBytes`: a daemon without limits fails its case, it does not hang it.
// `normal` is the short reply that shows the daemon still serves the next request.
const MODEL = "hostile-model.gguf";
const PIECE_CHARS = 16 * 1024;

export type HostileBehavior =
  | { kind: "normal" }
  | { kind: "endless-text"; capBytes: number }
  | { kind: "endless-tool-arguments"; capBytes: number }
  | { kind: "endless-line"; capBytes: number } // one `data:` line, never a newline
  | { kind: "html"; capBytes: number } // HTTP 200, text/html
  | { kind: "error-body"; capBytes: number } // HTTP 500, one JSON error that never ends
  | { kind: "done-only" }
  | { kind: "absurd-usage" }
  | { kind: "repeated-tool-ids" }
  | { kind: "cut-tool-call" }; // arguments cut inside a string, finish_reason tool_calls

export type HostileBackend = {
  url: string;
  // Bytes each completion's body handed to the socket (what the daemon pulled, give or take a buffer).
  completions: { bytesSent: number }[];
  setBehavior(behavior: HostileBehavior): void;
  stop(): Promise<void>;
};

const encoder = new TextEncoder();
const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: "chatcmpl-h", object: "chat.completion.chunk", model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
const call = (index: number, id: string | undefined, name: string | undefined, args: string) => ({
  tool_calls: [{ index, ...(id ? { id, type: "function" } : {}), function: { ...(name ? { name } : {}), arguments: args } }],
});

export async function startHostileBackend(initial: HostileBehavior): Promise<HostileBackend> {
  let behavior = initial;
  const completions: HostileBackend["completions"] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method === "GET")
        return Response.json(path.endsWith("/models") ? { object: "list", data: [{ id: MODEL, object: "model" }] } : { error: "not found" }, {
          status: path.endsWith("/models") ? 200 : 404,
        });
      const record = { bytesSent: 0 };
      completions.push(record);
      return answer(behavior, record);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    completions,
    setBehavior: (next) => void (behavior = next),
    stop: () => server.stop(true),
  };
}

const SSE = { "content-type": "text/event-stream" };

function answer(behavior: HostileBehavior, record: { bytesSent: number }): Response {
  const filler = "x".repeat(PIECE_CHARS);
  switch (behavior.kind) {
    case "normal":
      return whole(SSE, [chunk({ role: "assistant", content: "ok" }), chunk({}, "stop"), "data: [DONE]\n\n"], record);
    case "endless-text":
      return endless(SSE, chunk({ role: "assistant", content: "" }), chunk({ content: filler }), behavior.capBytes, record);
    case "endless-tool-arguments":
      return endless(SSE, chunk(call(0, "call_1", "Bash", '{"command": "')), chunk(call(0, undefined, undefined, filler)), behavior.capBytes, record);
    case "endless-line":
      return endless(SSE, `data: {"id": "chatcmpl-h", "choices": [{"index": 0, "delta": {"content": "`, filler, behavior.capBytes, record);
    case "html":
      return endless({ "content-type": "text/html" }, "<!doctype html><html><body>", `<p>${filler}</p>`, behavior.capBytes, record);
    case "error-body":
      return endless({ "content-type": "application/json" }, `{"error": {"message": "`, filler, behavior.capBytes, record, 500);
    case "done-only":
      return whole(SSE, ["data: [DONE]\n\n"], record);
    case "absurd-usage":
      return whole(
        SSE,
        [
          chunk({ role: "assistant", content: "ok" }),
          chunk({}, "stop"),
          chunk({}, null, {
            choices: [],
            usage: { prompt_tokens: -5, completion_tokens: 1e308, total_tokens: -1, prompt_tokens_details: { cached_tokens: 1e308 } },
          }),
          "data: [DONE]\n\n",
        ],
        record,
      );
    case "repeated-tool-ids":
      return whole(
        SSE,
        [
          chunk(call(0, "call_1", "Bash", '{"command": "ls"}')),
          chunk(call(1, "call_1", "Bash", '{"command": "pwd"}')),
          chunk({}, "tool_calls"),
          "data: [DONE]\n\n",
        ],
        record,
      );
    case "cut-tool-call":
      return whole(SSE, [chunk(call(0, "call_1", "Bash", '{"command": "rm -rf /tmp/bui')), chunk({}, "tool_calls"), "data: [DONE]\n\n"], record);
    default:
      return behavior satisfies never;
  }
}

function whole(headers: Record<string, string>, parts: string[], record: { bytesSent: number }): Response {
  const body = parts.join("");
  record.bytesSent = body.length;
  return new Response(body, { headers });
}

// `head`, then `piece` again and again while the reader pulls, up to capBytes; one piece per
// pull, so what is made is what the daemon read (plus the socket's buffer).
function endless(headers: Record<string, string>, head: string, piece: string, capBytes: number, record: { bytesSent: number }, status = 200): Response {
  const pieceBytes = encoder.encode(piece);
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(head));
        record.bytesSent += head.length;
      },
      pull(controller) {
        if (record.bytesSent >= capBytes) return controller.close();
        controller.enqueue(pieceBytes.slice());
        record.bytesSent += pieceBytes.length;
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(stream, { status, headers });
}
