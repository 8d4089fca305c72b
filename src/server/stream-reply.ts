// A streaming reply. The Anthropic stream starts at once, before the backend has answered:
// message_start, then pings while the backend prefills (30-60 s cold on a Mac for Claude Code's
// prompt), then each upstream event translated the moment it arrives.
// One ReadableStream per reply drives the whole way: upstream event -> converter -> trace ->
// SSE bytes, one enqueue per upstream event. (Chained TransformStreams cost a queue, promises
// and a pipe per stage and per event: about a third of the daemon's time per chunk.)
import { ApiError } from "../api-error";
import { BackendUnreachable } from "../backends/backend-error";
import type { PrefillProgress } from "../backends/prefill-progress";
import type { UpstreamWatch } from "../backends/upstream-watch";
import type { RequestTrace } from "../metrics/request-trace";
import type { StreamEvent } from "../protocol/anthropic";
import { formatSseEvent } from "../sse/encode-sse-events";
import type { Daemon } from "./daemon";

// Errors that come this fast (connection refused, an HTTP error) still get a proper status code.
const EARLY_ANSWER_MS = 1_500;
// Claude Code gives up after ~40 s without a byte: while the backend is silent (a prefill, or a
// tool call a server sends whole: see upstream-watch.ts), a ping this often, before the first
// token and after it alike.
const HEARTBEAT_MS = 10_000;

export const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" };

// What every upstream decoder yields besides its own events.
export type CommonEvent = { kind: "comment"; progress?: PrefillProgress } | { kind: "failure"; errorType: ApiError["type"]; message: string };

export type StreamPlan<E extends { kind: string }> = {
  backend: string;
  trace: RequestTrace;
  watch: UpstreamWatch; // told when the first token goes out: from then on, silence means a stall
  decode: (body: ReadableStream<Uint8Array>) => AsyncIterable<E | CommonEvent>;
  converter: Transformer<E | CommonEvent, StreamEvent>;
};

const HEARTBEAT: CommonEvent = { kind: "comment" };
const encoder = new TextEncoder();

export async function streamReply<E extends { kind: string }>(upstream: Promise<Response>, plan: StreamPlan<E>, daemon: Daemon): Promise<Response> {
  await Promise.race([upstream, Bun.sleep(EARLY_ANSWER_MS)]); // an early failure throws here
  const { converter, trace, watch } = plan;
  let iterator: AsyncIterator<E | CommonEvent> | undefined;
  let heartbeat: Timer | undefined;
  // Nothing went to the client since the last heartbeat tick. What counts is what the client got:
  // the upstream may be busy while nothing leaves (a tool call's fragments, held until whole).
  let quiet = true;
  let closed = false;

  // The converter writes here; what it wrote for one upstream event leaves as one chunk.
  let out = "";
  const collect = {
    enqueue(event: StreamEvent) {
      if (trace.see(event)) watch.firstToken();
      out += formatSseEvent(event);
    },
  } as TransformStreamDefaultController<StreamEvent>;
  const flushOut = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (!out || closed) return;
    controller.enqueue(encoder.encode(out));
    out = "";
    quiet = false;
  };
  const stop = () => {
    closed = true;
    clearInterval(heartbeat);
  };

  return new Response(
    new ReadableStream<Uint8Array>(
      {
        start(controller) {
          converter.start?.(collect);
          flushOut(controller);
          // One timer per reply: a ping when nothing went to the client for a whole interval.
          heartbeat = setInterval(() => {
            if (quiet && !closed) {
              converter.transform?.(HEARTBEAT, collect);
              flushOut(controller);
            }
            quiet = true;
          }, daemon.heartbeatMs ?? HEARTBEAT_MS);
        },
        async pull(controller) {
          iterator ??= upstreamEvents(upstream, plan, daemon)[Symbol.asyncIterator]();
          // Events that produce nothing for the client (a bare [DONE]) are read past.
          while (!closed) {
            const { done, value } = await iterator.next();
            if (closed) return;
            if (done) {
              await converter.flush?.(collect);
              flushOut(controller);
              stop();
              return controller.close();
            }
            await converter.transform?.(value, collect);
            if (out) return flushOut(controller);
          }
        },
        async cancel() {
          // The client went away: stop reading upstream, which aborts the backend's generation.
          stop();
          await iterator?.return?.(undefined);
        },
      },
      { highWaterMark: 0 },
    ),
    { headers: SSE_HEADERS },
  );
}

async function* upstreamEvents<E extends { kind: string }>(upstream: Promise<Response>, plan: StreamPlan<E>, daemon: Daemon): AsyncGenerator<E | CommonEvent> {
  let response: Response;
  try {
    response = await upstream;
  } catch (error) {
    if (error instanceof BackendUnreachable) daemon.pool.markDown(daemon.pool.get(plan.backend), error.reason);
    const apiError = error instanceof ApiError ? error : new ApiError(502, "api_error", String(error));
    yield { kind: "failure", errorType: apiError.type, message: apiError.message };
    return;
  }
  if (!response.body) return;
  try {
    for await (const event of plan.decode(response.body)) {
      const progress = event.kind === "comment" ? (event as CommonEvent & { kind: "comment" }).progress : undefined;
      if (progress) plan.trace.progress(progress);
      yield event;
    }
  } catch (error) {
    // A limit of the watch passed (a dropped connection just ends the frames).
    const apiError = error instanceof ApiError ? error : new ApiError(502, "api_error", `backend "${plan.backend}": ${error instanceof Error ? error.message : String(error)}`);
    yield { kind: "failure", errorType: apiError.type, message: apiError.message };
  }
}

// A whole (non-streaming) answer's JSON; undefined when it is not JSON. A limit of the watch
// passed while reading is thrown as it is.
export async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    return undefined;
  }
}
