// GET /anyclaude/status and GET /v1/models: what the daemon knows, as JSON.
import { takesTools } from "../backends/backend-pool";
import { describeDownBackend } from "../backends/describe-down-backend";
import { recordView } from "../metrics/activity";
import type { Daemon } from "./daemon";
import { redactUrl } from "../config/redact-url";
import { slotPinningView } from "../backends/slot-pinning";

const LATEST_SESSIONS = 50;

// viewer: the person asking (their token's); on a team's daemon they see only their own sessions,
// replies and errors (activity.ts visibleTo), and every backend's health and counts.
export function statusReport(daemon: Daemon, viewer?: string) {
  return {
    version: daemon.version,
    build: daemon.build,
    uptimeSeconds: daemon.uptimeSeconds(),
    pid: process.pid,
    listen: daemon.listenUrl,
    routing: daemon.config.routing,
    backends: daemon.pool.backends.map((backend) => ({
      name: backend.config.name,
      kind: backend.config.kind,
      replicaOf: backend.config.replicaOf ?? null, // the pool it is a replica in
      url: redactUrl(backend.config.url),
      healthy: daemon.pool.isHealthy(backend),
      error: backend.probe?.error,
      problem: daemon.pool.isHealthy(backend) ? undefined : describeDownBackend(backend), // with how to start it
      model: daemon.pool.upstreamModel(backend) ?? null,
      tools: takesTools(backend),
      contextLength: backend.probe?.contextLength ?? null,
      images: backend.config.images,
      requests: backend.stats.requests,
      promptTokens: backend.stats.promptTokens,
      cachedTokens: backend.stats.cachedTokens,
      cachedPrompts: backend.cache.size,
      // Requests in flight there and the prompt tokens they still have to compute; the
      // conversations whose last request it served.
      load: daemon.inFlight.load(backend.config.name),
      conversations: daemon.sessions.heldBy(backend.config.name, viewer),
      // Whether Claude Code's prompt prefix is warm there, when it was last warmed (src/prewarm/).
      prewarm: daemon.prewarm.view(backend),
      // llama-server's slots: "learning", "pinned", "unpinned" (slot-pinning.ts); null elsewhere.
      slotPinning: daemon.config.pinSlots ? (slotPinningView(backend) ?? null) : null,
      ...daemon.activity.backend(backend.config.name).summary(viewer),
    })),
    routes: daemon.routeCounts,
    sessions: daemon.sessions.size,
    // Whose sessions are where (named tokens): per person, and the latest sessions with their person.
    persons: daemon.activity.persons(viewer),
    latestSessions: daemon.activity.latestSessions(LATEST_SESSIONS, viewer).map((record) => ({
      sessionId: record.sessionId,
      person: record.person ?? null,
      backend: record.backend,
      state: record.state,
      startedAt: new Date(record.startedAt).toISOString(),
    })),
    sharedPrefills: daemon.sharedPrefills.counts, // requests held for a shared prefill, by why they went
    recent: daemon.activity.recentFor(viewer).map((record) => recordView(record, daemon.now())),
  };
}

// GET /anyclaude/sessions/:id: the session's last request, in flight or ended (for `statusline`).
// Only the person who owns it (whoever holds the same token) is answered.
export function sessionReport(daemon: Daemon, sessionId: string, person?: string) {
  const record = daemon.activity.session(sessionId, person);
  return record && recordView(record, daemon.now());
}

// Anthropic's model list shape, one entry per model a healthy backend serves.
export function modelList(daemon: Daemon) {
  const data = daemon.pool.backends.flatMap((backend) => {
    const model = daemon.pool.upstreamModel(backend);
    if (!model || !daemon.pool.isHealthy(backend)) return [];
    // The fields of @anthropic-ai/sdk 1.12's ModelInfo; what a local server cannot tell is null.
    const context = backend.probe?.contextLength ?? null;
    return [
      {
        type: "model",
        id: model,
        display_name: `${model} (${backend.config.name})`,
        created_at: new Date(daemon.startedAt).toISOString(),
        capabilities: null,
        lifecycle: "active",
        line: null,
        deprecated_at: null,
        retires_at: null,
        max_input_tokens: context,
        max_tokens: backend.config.maxTokens ?? context,
      },
    ];
  });
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
export type StatusReport = ReturnType<typeof statusReport>;
export type SessionReport = NonNullable<ReturnType<typeof sessionReport>>;
