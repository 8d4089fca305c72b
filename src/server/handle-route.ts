// POST /anyclaude/route: the routing decision for a body, with the daemon's live cache model.
import { describeRoute } from "../routing/explain-route";
import { normalizeBody } from "../routing/normalize-request";
import { resolveRoute } from "../routing/resolve-route";
import type { Daemon } from "./daemon";
import { readJsonBody } from "./read-json-body";

export async function handleRoute(daemon: Daemon, request: Request): Promise<Response> {
  const normalized = normalizeBody(await readJsonBody(request), request.headers);
  const isHealthy = daemon.pool.isHealthy.bind(daemon.pool);
  const route = resolveRoute(normalized, {
    routing: daemon.config.routing,
    backends: daemon.pool.backends,
    isHealthy,
    lastBackend: daemon.sessions.get(normalized.sessionId),
    now: daemon.replyCount,
  });
  return Response.json(describeRoute(route, normalized, daemon.pool.backends, isHealthy));
}
