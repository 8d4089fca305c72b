// What the daemon did lately: each session's last request (in flight or ended) for `statusline`,
// the last replies for `status`, per backend the timings and errors behind its medians, and one
// log line per reply.
import { logger } from "../logger";
import { BackendTimings } from "./backend-timings";
import { formatReply } from "./format-reply-line";
import { RequestTrace, type RequestRecord, type TraceStart } from "./request-trace";

const RECENT = 20;
const SESSIONS = 1_000;

export class Activity {
  readonly recent: RequestRecord[] = []; // oldest first
  private readonly sessions = new Map<string, RequestRecord>();
  private readonly backends = new Map<string, BackendTimings>();

  // `idle`: told when a request starts and ends (the daemon collects garbage once all are done).
  constructor(
    private readonly now: () => number,
    private readonly idle?: { started(): void; ended(): void },
  ) {}

  // The trace ends by itself when the client goes away (`signal`).
  begin(start: TraceStart, signal?: AbortSignal): RequestTrace {
    this.idle?.started();
    const trace = new RequestTrace(start, this.now, (ended) => {
      this.idle?.ended();
      this.end(ended.record);
    });
    if (start.sessionId) {
      this.sessions.delete(start.sessionId);
      this.sessions.set(start.sessionId, trace.record);
      if (this.sessions.size > SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    }
    signal?.addEventListener("abort", () => trace.cancel(), { once: true });
    return trace;
  }

  session(sessionId: string): RequestRecord | undefined {
    return this.sessions.get(sessionId);
  }

  backend(name: string): BackendTimings {
    let timings = this.backends.get(name);
    if (!timings) this.backends.set(name, (timings = new BackendTimings()));
    return timings;
  }

  private end(record: RequestRecord): void {
    this.backend(record.backend).add(record);
    this.recent.push(record);
    if (this.recent.length > RECENT) this.recent.shift();
    const line = formatReply(record);
    if (record.state === "failed") logger.warn(line);
    else logger.info(line);
  }
}

// A record as JSON: times as ISO strings, and how long an unfinished one has been running.
export function recordView(record: RequestRecord, now: number) {
  const ended = record.state === "done" || record.state === "failed" || record.state === "cancelled";
  return { ...record, startedAt: new Date(record.startedAt).toISOString(), elapsedMs: ended ? record.totalMs : now - record.startedAt };
}
