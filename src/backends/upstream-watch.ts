// How long a backend may stay silent. Bun's fetch has an idle timer of its own (5 minutes,
// checked about once a minute: every backend call died near 360 s whatever `timeoutMs` said);
// backend calls switch it off (`timeout: false`) and are watched here instead, with two limits:
// - until the first token, `timeoutMs` (default 10 minutes): a cold prefill of a long prompt
//   takes minutes on a Mac, and most servers send nothing meanwhile. Every byte counts as life
//   (mlx_lm.server's keepalives, llama-server's prompt_progress), so a prefill that reports
//   progress is never cut;
// - once tokens flow, `idleTimeoutMs` (default 2 minutes): a model decoding never pauses that
//   long, so a stream gone silent is a stalled backend, and the client is told at once.
// One timer per call, re-armed only when it fires: nothing is allocated per chunk.
import { ApiError } from "../api-error";
import type { BackendConfig } from "../config/config-schema";
import { backendLabel } from "./backend-error";

export class UpstreamWatch {
  private readonly controller = new AbortController();
  private lastActivityAt: number;
  private generating = false;
  private timer?: Timer;
  timedOut?: ApiError;

  constructor(
    private readonly backend: BackendConfig,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.lastActivityAt = now();
  }

  // Aborted when a limit is passed.
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): void {
    this.lastActivityAt = this.now();
    this.arm(this.backend.timeoutMs);
  }

  // A byte arrived (headers, a keepalive, a chunk).
  activity(): void {
    this.lastActivityAt = this.now();
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
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.check(), delayMs);
    this.timer.unref?.();
  }

  private check(): void {
    const limit = this.generating ? this.backend.idleTimeoutMs : this.backend.timeoutMs;
    const silentFor = this.now() - this.lastActivityAt;
    if (silentFor < limit) return this.arm(limit - silentFor);
    this.timedOut = this.generating ? stalled(this.backend) : noAnswer(this.backend);
    this.controller.abort(this.timedOut);
  }
}

function noAnswer(backend: BackendConfig): ApiError {
  return new ApiError(504, "api_error", `${backendLabel(backend)} sent nothing for ${seconds(backend.timeoutMs)} before its first token (its "timeoutMs"); it accepts connections but does not answer: busy, hung, or prefilling a very long prompt (then raise "timeoutMs")`);
}

function stalled(backend: BackendConfig): ApiError {
  return new ApiError(504, "api_error", `${backendLabel(backend)} stopped in the middle of its reply: nothing for ${seconds(backend.idleTimeoutMs)} (its "idleTimeoutMs")`);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
