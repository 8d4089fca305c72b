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
// Why the upstream call is aborted when the reply ends first (never seen by the client).
const ENDED_EARLY = new ApiError(499, "api_error", "the reply ended before the backend's stream did");
const encoder = new TextEncoder();

// A reply the daemon may end from outside (its shutdown: start-server.ts).
export type OpenReply = { end(error: ApiError): void };

export async function streamReply<E extends { kind: string }>(upstream: Promise<Response>, plan: StreamPlan<E>, daemon: Daemon): Promise<Response> {
  await Promise.race([upstream, Bun.sleep(EARLY_ANSWER_MS)]); // an early failure throws here
  const reply = new ReplyStream(upstream, plan, daemon);
  return new Response(new ReadableStream<Uint8Array>(reply, { highWaterMark: 0 }), { headers: SSE_HEADERS });
}

// The reply's stream, as an UnderlyingSource. Whatever throws while it runs (the converter, the
// trace, a log line) ends it with an `error` event, never a reset connection: the timer is
// cleared, the upstream read cancelled, and nothing of the reply is held any more.
class ReplyStream<E extends { kind: string }> {
  private iterator?: AsyncIterator<E | CommonEvent>;
  private controller?: ReadableStreamDefaultController<Uint8Array>;
  private heartbeat?: Timer;
  private readonly heartbeatMs: number;
  private lastWriteAt = performance.now();
  private closed = false;
  private over = false; // message_stop or an error went out: nothing more is read
  // The converter writes here; what it wrote for one upstream event leaves as one chunk.
  private out = "";
  private readonly collect: TransformStreamDefaultController<StreamEvent>;

  constructor(
    private upstream: Promise<Response> | undefined,
    private plan: StreamPlan<E> | undefined,
    private daemon: Daemon | undefined,
  ) {
    this.heartbeatMs = daemon?.heartbeatMs ?? HEARTBEAT_MS;
    const { trace, watch } = plan!;
    this.collect = {
      enqueue: (event: StreamEvent) => {
        if (trace.see(event)) watch.firstToken();
        if (event.type === "message_stop" || event.type === "error") this.over = true;
        this.out += formatSseEvent(event);
      },
    } as TransformStreamDefaultController<StreamEvent>;
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
    this.daemon!.openReplies.add(this);
    this.guard(() => {
      this.plan!.converter.start?.(this.collect);
      this.write();
      this.arm(this.heartbeatMs);
    });
  }

  async pull(): Promise<void> {
    await this.guard(async () => {
      const { converter } = this.plan!;
      this.iterator ??= upstreamEvents(this.upstream!, this.plan!, this.daemon!)[Symbol.asyncIterator]();
      // Events that produce nothing for the client (a bare [DONE]) are read past.
      while (!this.closed) {
        const { done, value } = await this.iterator.next();
        if (this.closed) return;
        if (done) {
          await converter.flush?.(this.collect);
          return this.finish();
        }
        await converter.transform?.(value, this.collect);
        // The reply ended before the upstream did (an error, a limit reached): stop reading it.
        if (this.over) return this.finish(ENDED_EARLY);
        if (this.out) return this.write();
      }
    });
  }

  // The client went away: stop reading upstream, which aborts the backend's generation.
  async cancel(): Promise<void> {
    await this.release(ENDED_EARLY);
  }

  // Ended from outside (the daemon stopping): the client is told why; nobody's error.
  end(error: ApiError): void {
    if (this.closed) return;
    this.plan?.trace.cancel();
    this.fail(error);
  }

  // The upstream is let go before the client sees the end (the iterator is at rest here).
  private async finish(cut?: ApiError): Promise<void> {
    this.write();
    const controller = this.controller;
    await this.release(cut);
    controller?.close();
  }

  private fail(error: ApiError): void {
    this.out = "";
    // Written here, not by the converter: the converter (or the trace) may be what threw.
    this.controller?.enqueue(encoder.encode(formatSseEvent({ type: "error", error: { type: error.type, message: error.message } })));
    this.controller?.close();
    try {
      this.plan?.trace.fail(error.message);
    } catch {
      // the trace's own failure: the client was told, the reply is let go all the same
    }
    void this.release(error);
  }

  // Everything the reply held is let go; `cut`: the backend, maybe still writing, is stopped.
  private async release(cut?: ApiError): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.heartbeat);
    this.daemon?.openReplies.delete(this);
    const { iterator, plan } = this;
    this.iterator = this.plan = this.upstream = this.daemon = this.controller = undefined;
    this.out = "";
    if (cut) plan?.watch.cut(cut);
    await iterator?.return?.(undefined).catch(() => {});
  }

  private async guard(run: () => void | Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (this.closed) return;
      const backend = this.plan?.backend;
      const detail = error instanceof Error ? error.message : String(error);
      this.fail(error instanceof ApiError ? error : new ApiError(500, "api_error", `the reply from backend "${backend}" failed inside anyclaude: ${detail}`));
    }
  }

  private write(): void {
    if (!this.out || this.closed) return;
    this.controller!.enqueue(encoder.encode(this.out));
    this.out = "";
    this.lastWriteAt = performance.now();
  }

  // One timer per reply, re-armed only when it fires, for when the last write was: the client
  // never goes a whole interval without a byte, and nothing is allocated per chunk.
  private arm(delayMs: number): void {
    this.heartbeat = setTimeout(() => void this.guard(() => this.beat()), delayMs);
  }

  private beat(): void {
    if (this.closed) return;
    const silentFor = performance.now() - this.lastWriteAt;
    if (silentFor < this.heartbeatMs) return this.arm(this.heartbeatMs - silentFor);
    this.plan!.converter.transform?.(HEARTBEAT as E | CommonEvent, this.collect);
    this.write();
    this.arm(this.heartbeatMs);
  }
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
    const apiError =
      error instanceof ApiError
        ? error
        : new ApiError(502, "api_error", `backend "${plan.backend}": ${error instanceof Error ? error.message : String(error)}`);
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
