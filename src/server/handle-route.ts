// POST /anyclaude/route: the routing decision for a body, with the daemon's live cache model.
import { decideRoute } from "../routing/explain-route";
import { normalizeBody } from "../routing/normalize-request";
import type { Daemon } from "./daemon";
import { readJsonBody } from "./read-json-body";

export async function handleRoute(daemon: Daemon, request: Request): Promise<Response> {
  const normalized = normalizeBody(await readJsonBody(request, daemon.config.maxBodyBytes), request.headers);
  return Response.json(decideRoute(normalized, daemon.routeContext(normalized)));
}
