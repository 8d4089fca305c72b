// How long a backend may stay silent. Bun's fetch has an idle timer of its own (5 minutes,
// checked about once a minute: every backend call died near 360 s whatever `timeoutMs` said);
// backend calls switch it off (`timeout: false`) and are watched here instead, with two limits:
// - until the first token, `timeoutMs` (default 10 minutes): a cold prefill of a long prompt
//   takes minutes on a Mac, and most servers send nothing meanwhile. Every byte counts as life
//   (mlx_lm.server's keepalives, llama-server's prompt_progress), so a prefill that reports
//   progress is never cut;
// - once tokens flow, `idleTimeoutMs` (default 2 minutes): a model decoding never pauses that
//   long, so a stream gone silent is a stalled backend, and the client is told at once.
//   Except on a server that holds tool calls back (backend-quirks.ts, `silentToolCalls`:
//   mlx_lm.server sends nothing while its model writes one, then the whole call): there a
//   silence after text may be a long Write being written. Nothing on its stream tells that from
//   a hang, so once `idleTimeoutMs` has passed the watch asks the server's liveness path, which
//   it answers from another thread while the model generates; while that answers, the silence
//   may last up to `timeoutMs`. A server that does not answer it is cut as stalled. (What the
//   liveness path cannot tell: a generation thread stuck while alive. `timeoutMs` bounds that.)
// One timer per call, re-armed only when it fires: nothing is allocated per chunk.
// The watch also counts what the body brings against the size limits (read-limits.ts): one SSE
// event of a stream, the whole of an answer read whole. A limit passed ends the call the same way
// as a silence: the upstream request is aborted, and the read fails with the error that says why.
import { ApiError } from "../api-error";
import type { BackendConfig } from "../config/config-schema";
import { backendLabel } from "./backend-error";
import { backendQuirks } from "./backend-quirks";
import { serverUrl } from "./backend-url";
import { READ_LIMITS, type ReadLimits } from "./read-limits";

// How long the liveness path may take to answer: it answers in milliseconds when the server lives.
const LIVENESS_TIMEOUT_MS = 5_000;
const LF = 10;
const CR = 13;

export class UpstreamWatch {
  private readonly controller = new AbortController();
  private lastActivityAt: number;
  private generating = false;
  private timer?: Timer;
  private stopped = false;
  private streaming = false;
  private bodyBytes = 0; // of a whole answer so far
  private eventBytes = 0; // since the last blank line of a stream
  private lastBytes = [0, 0]; // the last two bytes read: a blank line may straddle two chunks
  timedOut?: ApiError;

  constructor(
    private readonly backend: BackendConfig,
    private readonly fetcher: typeof fetch = fetch,
    readonly limits: ReadLimits = READ_LIMITS,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.lastActivityAt = now();
  }

  // Aborted when a limit is passed.
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  // `streaming`: the body is an event stream (its events are bounded), else one answer (bounded whole).
  start(streaming: boolean): void {
    this.stopped = false;
    this.streaming = streaming;
    this.lastActivityAt = this.now();
    this.arm(this.backend.timeoutMs);
  }

  // A byte arrived (headers, a keepalive, a chunk).
  activity(): void {
    this.lastActivityAt = this.now();
  }

  // A piece of the body arrived: a sign of life, counted against the size limits. A limit passed
  // aborts the call; the error that says so is returned, for the read to fail with.
  received(chunk: Uint8Array): ApiError | undefined {
    this.lastActivityAt = this.now();
    const error = this.streaming ? this.countEvent(chunk) : this.countBody(chunk);
    if (error) this.abort(error);
    return error;
  }

  // The reply ended early (a limit of the reply, the client's or the daemon's end): the backend
  // stops generating.
  cut(error: ApiError): void {
    this.stop();
    if (!this.controller.signal.aborted) this.abort(error);
  }

  // The first token went out: from now on the stream may only pause `idleTimeoutMs`.
  firstToken(): void {
    if (this.generating || this.timedOut) return;
    this.generating = true;
    this.lastActivityAt = this.now();
    if (this.timer === undefined) return; // already stopped: the reply was read whole
    clearTimeout(this.timer);
    this.arm(this.backend.idleTimeoutMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => void this.check(), delayMs);
    this.timer.unref?.();
  }

  private async check(): Promise<void> {
    const { timeoutMs, idleTimeoutMs } = this.backend;
    const limit = this.generating ? idleTimeoutMs : timeoutMs;
    const silentFor = this.now() - this.lastActivityAt;
    if (silentFor < limit) return this.arm(limit - silentFor);
    if (!this.generating) return this.abort(noAnswer(this.backend));
    const livenessPath = backendQuirks(this.backend.kind).silentToolCalls?.livenessPath;
    if (livenessPath === undefined) return this.abort(stalled(this.backend));
    if (silentFor >= timeoutMs) return this.abort(stalled(this.backend, "timeoutMs"));
    const alive = await this.answers(livenessPath);
    if (this.stopped) return;
    if (!alive) return this.abort(stalled(this.backend, livenessPath));
    // Maybe writing a tool call: asked again after another `idleTimeoutMs`, cut at `timeoutMs`.
    this.arm(Math.max(0, Math.min(idleTimeoutMs, timeoutMs - (this.now() - this.lastActivityAt))));
  }

  private async answers(path: string): Promise<boolean> {
    try {
      const response = await this.fetcher(serverUrl(this.backend.url, path), {
        signal: AbortSignal.timeout(Math.min(LIVENESS_TIMEOUT_MS, this.backend.idleTimeoutMs)),
      });
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false;
    }
  }

  private countBody(chunk: Uint8Array): ApiError | undefined {
    this.bodyBytes += chunk.length;
    if (this.bodyBytes <= this.limits.bodyBytes) return undefined;
    return new ApiError(
      502,
      "api_error",
      `${backendLabel(this.backend)} sent an answer larger than ${size(this.limits.bodyBytes)}, more than any reply needs; anyclaude stopped reading it`,
    );
  }

  private countEvent(chunk: Uint8Array): ApiError | undefined {
    const end = eventEnd(chunk, this.lastBytes);
    this.eventBytes = end < 0 ? this.eventBytes + chunk.length : chunk.length - end;
    if (chunk.length >= 2) this.lastBytes = [chunk[chunk.length - 2]!, chunk[chunk.length - 1]!];
    else if (chunk.length === 1) this.lastBytes = [this.lastBytes[1]!, chunk[0]!];
    if (this.eventBytes <= this.limits.eventBytes) return undefined;
    return new ApiError(
      502,
      "api_error",
      `${backendLabel(this.backend)} sent a stream event (or a line) larger than ${size(this.limits.eventBytes)} without ending it, more than any reply needs; anyclaude stopped reading it`,
    );
  }

  private abort(error: ApiError): void {
    this.timedOut = error;
    this.controller.abort(error);
  }
}

function noAnswer(backend: BackendConfig): ApiError {
  return new ApiError(
    504,
    "api_error",
    `${backendLabel(backend)} sent nothing for ${seconds(backend.timeoutMs)} before its first token (its "timeoutMs"); it accepts connections but does not answer: busy, hung, or prefilling a very long prompt (then raise "timeoutMs")`,
  );
}

// `because`: what showed the stall besides `idleTimeoutMs` of silence, on a server that may be
// writing a tool call silently: its liveness path did not answer, or `timeoutMs` passed too.
function stalled(backend: BackendConfig, because?: string): ApiError {
  const silence = `nothing for ${seconds(backend.idleTimeoutMs)} (its "idleTimeoutMs")`;
  if (because === "timeoutMs")
    return new ApiError(
      504,
      "api_error",
      `${backendLabel(backend)} stopped in the middle of its reply: nothing for ${seconds(backend.timeoutMs)} (its "timeoutMs", the longest it may take to write a tool call it sends whole; raise it for longer ones)`,
    );
  if (because)
    return new ApiError(504, "api_error", `${backendLabel(backend)} stopped in the middle of its reply: ${silence}, and its ${because} did not answer`);
  return new ApiError(504, "api_error", `${backendLabel(backend)} stopped in the middle of its reply: ${silence}`);
}

// Where the last event of the chunk ends: just past its last blank line ("\n\n", "\r\n\r\n"),
// or -1. `before`: the two bytes read before the chunk.
function eventEnd(chunk: Uint8Array, before: number[]): number {
  for (let at = chunk.lastIndexOf(LF); at >= 0; at = at > 0 ? chunk.lastIndexOf(LF, at - 1) : -1) {
    const previous = at >= 1 ? chunk[at - 1] : before[1];
    const beforeThat = at >= 2 ? chunk[at - 2] : at === 1 ? before[1] : before[0];
    if (previous === LF || (previous === CR && beforeThat === LF)) return at + 1;
  }
  return -1;
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MB` : bytes >= 1024 ? `${bytes / 1024} KB` : `${bytes} bytes`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
