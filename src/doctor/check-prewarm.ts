// `doctor`'s word on prewarming, from the running daemon: whether Claude Code's prompt prefix is
// warm on a backend and when it was last warmed. Informational: it makes the first question of a
// session fast, and Claude Code works without it.
import type { Check } from "./check";
import type { StatusReport } from "../server/status-report";

type Prewarm = StatusReport["backends"][number]["prewarm"];

export function checkPrewarm(backend: string, prewarm: Prewarm | undefined, now: number): Check | undefined {
  if (!prewarm) return undefined; // an older daemon
  const name = `${backend}: prewarm`;
  if (!prewarm.enabled)
    return { name, ok: true, required: false, detail: 'off ("prewarm": false): the first question after a restart computes the whole prompt' };
  const last = prewarm.lastWarmedAt
    ? `; last warmed ${ago(Date.parse(prewarm.lastWarmedAt), now)} in ${((prewarm.lastDurationMs ?? 0) / 1000).toFixed(1)} s`
    : "";
  if (prewarm.prefixes === 0) return { name, ok: true, required: false, detail: "no Claude Code session seen here yet: nothing to warm" };
  if (prewarm.warm) return { name, ok: true, required: false, detail: `Claude Code's prompt prefix (${prewarm.prefixTokens ?? "?"} tokens) is warm${last}` };
  if (prewarm.running) return { name, ok: true, required: false, detail: `warming Claude Code's prompt prefix now${last}` };
  const why = prewarm.lastError ? `; the last prewarm failed: ${prewarm.lastError}` : "";
  return {
    name,
    ok: false,
    required: false,
    detail: `Claude Code's prompt prefix is not warm${last}${why}`,
    fix: "nothing to do: it is warmed once the backend is idle; the next session's first question computes it otherwise",
  };
}

function ago(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3_600)} h ago`;
}
