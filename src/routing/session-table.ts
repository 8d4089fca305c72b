// Which backend each conversation last used: the tie-breaker when two backends are equally warm,
// and the `sessions` count in /anyclaude/status. Bounded, least recently seen first out.
import { scopeSessionId } from "./normalize-request";

const CAPACITY = 1_000;

export class SessionTable {
  private readonly lastBackend = new Map<string, string>();

  get(sessionId: string | undefined): string | undefined {
    return sessionId ? this.lastBackend.get(sessionId) : undefined;
  }

  set(sessionId: string | undefined, backend: string): void {
    if (!sessionId) return;
    this.lastBackend.delete(sessionId);
    this.lastBackend.set(sessionId, backend);
    if (this.lastBackend.size > CAPACITY) this.lastBackend.delete(this.lastBackend.keys().next().value!);
  }

  // The conversations whose last request went to this backend: how many (everyone's), and the
  // latest few (newest first) of those `viewer` owns (keys are scoped by person: scopeSessionId).
  heldBy(backend: string, viewer?: string, latest = 5): { count: number; latest: string[] } {
    const sessions = [...this.lastBackend].filter(([, name]) => name === backend).map(([session]) => session);
    const own = viewer === undefined ? sessions : sessions.filter((session) => session.startsWith(scopeSessionId(viewer, "")));
    return { count: sessions.length, latest: own.slice(-latest).reverse() };
  }

  get size(): number {
    return this.lastBackend.size;
  }
}
