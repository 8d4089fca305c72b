// POST /anyclaude/route: the routing decision for a body, with the daemon's live cache model.
import { describeRoute } from "../routing/explain-route";
import { normalizeBody } from "../routing/normalize-request";
import { resolveRoute } from "../routing/resolve-route";
import type { Daemon } from "./daemon";
import { readJsonBody } from "./read-json-body";

export async function handleRoute(daemon: Daemon, request: Request): Promise<Response> {
  const normalized = normalizeBody(await readJsonBody(request, daemon.config.maxBodyBytes), request.headers);
  const context = daemon.routeContext(normalized);
  const route = resolveRoute(normalized, context);
  return Response.json(describeRoute(route, normalized, daemon.pool.backends, context.isHealthy));
}
