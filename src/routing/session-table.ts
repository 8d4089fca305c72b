// What the daemon keeps of each conversation between its requests: the backend it last used (the
// tie-breaker when two backends are equally warm, and the `sessions` count in /anyclaude/status)
// and where its prompts were last counted (token-calibration.ts). Bounded, least recently seen
// first out.
import type { CountPoint } from "../prefix/token-calibration";
import { scopeSessionId } from "./normalize-request";

const CAPACITY = 1_000;
// Conversations under one session id counted apart, by their head: the main loop, its title and
// compaction requests, subagents.
const COUNT_POINTS = 4;

type SessionEntry = { backend: string; counts: CountPoint[] };

export class SessionTable {
  private readonly entries = new Map<string, SessionEntry>();

  get(sessionId: string | undefined): string | undefined {
    return sessionId ? this.entries.get(sessionId)?.backend : undefined;
  }

  set(sessionId: string | undefined, backend: string): void {
    if (sessionId) this.touch(sessionId, backend);
  }

  // The points where this session's prompts were counted, the newest first.
  countPoints(sessionId: string | undefined): readonly CountPoint[] {
    return (sessionId && this.entries.get(sessionId)?.counts) || [];
  }

  // A reply's count: it replaces the one of the same head. Its backend served the session.
  rememberCount(sessionId: string | undefined, backend: string, point: CountPoint): void {
    if (!sessionId) return;
    const entry = this.touch(sessionId, backend);
    entry.counts = [point, ...entry.counts.filter((kept) => kept.head !== point.head)].slice(0, COUNT_POINTS);
  }

  // The conversations whose last request went to this backend: how many (everyone's), and the
  // latest few (newest first) of those `viewer` owns (keys are scoped by person: scopeSessionId).
  heldBy(backend: string, viewer?: string, latest = 5): { count: number; latest: string[] } {
    const sessions = [...this.entries].filter(([, entry]) => entry.backend === backend).map(([session]) => session);
    const own = viewer === undefined ? sessions : sessions.filter((session) => session.startsWith(scopeSessionId(viewer, "")));
    return { count: sessions.length, latest: own.slice(-latest).reverse() };
  }

  get size(): number {
    return this.entries.size;
  }

  private touch(sessionId: string, backend: string): SessionEntry {
    const entry = this.entries.get(sessionId) ?? { backend, counts: [] };
    entry.backend = backend;
    this.entries.delete(sessionId);
    this.entries.set(sessionId, entry);
    if (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }
}
