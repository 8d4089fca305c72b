// What the daemon did lately: each session's last request (in flight or ended) for `statusline`,
// the last replies for `status`, per backend the timings and errors behind its medians, and one
// log line per reply.
import { logger } from "../logger";
import { scopeSessionId } from "../routing/normalize-request";
import { BackendTimings } from "./backend-timings";
import { formatReply } from "./format-reply-line";
import { RequestTrace, type RequestRecord, type TraceStart } from "./request-trace";

const RECENT = 20;
const SESSIONS = 1_000;

export class Activity {
  readonly recent: RequestRecord[] = []; // oldest first
  private readonly sessions = new Map<string, RequestRecord>();
  private readonly backends = new Map<string, BackendTimings>();

  // `idle`: told when a request starts (with its size) and ends (the daemon collects garbage once
  // all are done, and while busy after so much was read).
  constructor(
    private readonly now: () => number,
    private readonly idle?: { started(estimatedTokens: number): void; ended(): void },
  ) {}

  // The trace ends by itself when the client goes away (`signal`).
  begin(start: TraceStart, signal?: AbortSignal): RequestTrace {
    this.idle?.started(start.estimatedTokens ?? 0);
    const trace = new RequestTrace(start, this.now, (ended) => {
      this.idle?.ended();
      this.end(ended.record);
    });
    if (start.sessionId) {
      const key = scopeSessionId(start.person, start.sessionId);
      this.sessions.delete(key);
      this.sessions.set(key, trace.record);
      if (this.sessions.size > SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    }
    signal?.addEventListener("abort", () => trace.cancel(), { once: true });
    return trace;
  }

  // A session's last request, asked by its person (none for anyone else).
  session(sessionId: string, person?: string): RequestRecord | undefined {
    return this.sessions.get(scopeSessionId(person, sessionId));
  }

  // The sessions `viewer` may see (visibleTo) seen lately, the most recent first: whose, and
  // where each went last.
  latestSessions(count: number, viewer?: string): RequestRecord[] {
    return [...this.sessions.values()]
      .filter((record) => visibleTo(record, viewer))
      .slice(-count)
      .reverse();
  }

  // The last replies `viewer` may see, oldest first.
  recentFor(viewer?: string): RequestRecord[] {
    return this.recent.filter((record) => visibleTo(record, viewer));
  }

  // Per person `viewer` may see: the sessions seen (of the last SESSIONS) and how many went last
  // to each backend.
  persons(viewer?: string): Record<string, { sessions: number; backends: Record<string, number> }> {
    const persons: Record<string, { sessions: number; backends: Record<string, number> }> = {};
    for (const record of this.sessions.values()) {
      if (record.person === undefined || !visibleTo(record, viewer)) continue;
      const person = (persons[record.person] ??= { sessions: 0, backends: {} });
      person.sessions++;
      person.backends[record.backend] = (person.backends[record.backend] ?? 0) + 1;
    }
    return persons;
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

// On a team's daemon a person sees only their own requests (their session ids, prompts' sizes and
// errors are theirs); without tokens (viewer undefined) there is one person, who sees all.
export function visibleTo(record: Pick<RequestRecord, "person">, viewer: string | undefined): boolean {
  return viewer === undefined || record.person === viewer;
}

// A record as JSON: times as ISO strings, and how long an unfinished one has been running.
export function recordView(record: RequestRecord, now: number) {
  const ended = record.state === "done" || record.state === "failed" || record.state === "cancelled";
  return { ...record, startedAt: new Date(record.startedAt).toISOString(), elapsedMs: ended ? record.totalMs : now - record.startedAt };
}
