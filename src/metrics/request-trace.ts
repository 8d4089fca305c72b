// One request to one backend, as it happens: held while another request computes the prefix it
// shares (src/prefix/shared-prefill.ts), waiting for the prefill (with its progress when the
// backend tells), generating from the first token on, then done, failed or cancelled. Its record
// is what `statusline` reads for the session and what `status` lists among the recent replies.
import type { PrefillProgress } from "../backends/prefill-progress";
import type { StreamEvent } from "../protocol/anthropic";
import type { RouteReason } from "../routing/resolve-route";
import type { Reply } from "../translate/reply";
import { replyTimings, type ReplyTimings } from "./reply-timings";

export type RequestState = "waiting" | "prefill" | "generating" | "done" | "failed" | "cancelled";

// Told as the request goes: what a request waiting for this one's prefix needs to know.
export type TraceListener = {
  firstToken(): void;
  progress(progress: PrefillProgress): void;
  end(state: "done" | "failed" | "cancelled"): void;
};

export type RequestRecord = Partial<ReplyTimings> & {
  sessionId?: string; // as the client knows it
  person?: string; // whose token it came with (authorize.ts)
  backend: string;
  model?: string; // the model the backend was asked for
  route: RouteReason;
  startedAt: number;
  state: RequestState;
  progress?: PrefillProgress;
  waitedMs?: number; // held for a shared prefill (state "waiting") before it went upstream
  promptTokens?: number;
  cachedTokens?: number;
  completionTokens?: number;
  stopReason?: string;
  error?: string;
  clientFault?: boolean; // failed because of the request, not the backend
};

export type TraceStart = Pick<RequestRecord, "sessionId" | "person" | "backend" | "model" | "route"> & { estimatedTokens: number };

export class RequestTrace {
  readonly record: RequestRecord;
  private firstTokenAt?: number;
  private readonly estimatedTokens: number;
  private readonly listeners: TraceListener[] = [];

  constructor(
    start: TraceStart,
    private readonly now: () => number,
    private readonly onEnd: (trace: RequestTrace, reply?: Reply) => void,
  ) {
    const { estimatedTokens, ...record } = start;
    this.estimatedTokens = estimatedTokens;
    this.record = { ...record, startedAt: now(), state: "prefill" };
  }

  get ended(): boolean {
    return this.record.state === "done" || this.record.state === "failed" || this.record.state === "cancelled";
  }

  listen(listener: TraceListener): void {
    this.listeners.push(listener);
  }

  // Held until another request has computed the prefix this one shares with it.
  hold(): void {
    if (this.record.state === "prefill") this.record.state = "waiting";
  }

  // Sent upstream, after a hold.
  go(): void {
    if (this.record.state !== "waiting") return;
    this.record.state = "prefill";
    this.record.waitedMs = this.now() - this.record.startedAt;
  }

  progress(progress: PrefillProgress): void {
    if (this.record.state !== "prefill") return;
    this.record.progress = progress;
    for (const listener of this.listeners) listener.progress(progress);
  }

  firstToken(): void {
    if (this.firstTokenAt !== undefined || this.ended) return;
    this.firstTokenAt = this.now();
    this.record.state = "generating";
    this.record.ttftMs = this.firstTokenAt - this.record.startedAt;
    this.record.progress = undefined;
    for (const listener of this.listeners) listener.firstToken();
  }

  finish(reply: Reply): void {
    if (this.ended) return;
    const timings = replyTimings(
      { startedAt: this.record.startedAt, firstTokenAt: this.firstTokenAt, endedAt: this.now(), waitedMs: this.record.waitedMs },
      reply,
    );
    Object.assign(this.record, timings, {
      state: "done",
      promptTokens: reply.promptTokens ?? this.estimatedTokens,
      cachedTokens: reply.cachedTokens,
      completionTokens: reply.completionTokens,
      stopReason: reply.stopReason,
    });
    this.onEnd(this, reply);
    for (const listener of this.listeners) listener.end("done");
  }

  fail(message: string, clientFault = false): void {
    if (clientFault) this.record.clientFault = true;
    this.end("failed", message);
  }

  // The client went away: nobody's error.
  cancel(): void {
    this.end("cancelled");
  }

  // Watches the Anthropic events on their way to the client: the first content is the first
  // token; an error event ends the request as failed. True for the event that was the first token.
  see(event: StreamEvent): boolean {
    if (event.type === "error") this.fail(event.error.message);
    if (this.firstTokenAt !== undefined || (event.type !== "content_block_start" && event.type !== "content_block_delta")) return false;
    this.firstToken();
    return true;
  }

  observe(onFirstToken?: () => void): TransformStream<StreamEvent, StreamEvent> {
    return new TransformStream({
      transform: (event, controller) => {
        if (this.see(event)) onFirstToken?.();
        controller.enqueue(event);
      },
    });
  }

  private end(state: "failed" | "cancelled", error?: string): void {
    if (this.ended) return;
    Object.assign(this.record, { state, error, progress: undefined, totalMs: this.now() - this.record.startedAt });
    this.onEnd(this);
    for (const listener of this.listeners) listener.end(state);
  }
}
