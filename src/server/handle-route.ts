// POST /anyclaude/route: the routing decision for a body, with the daemon's live cache model.
import { decideRoute } from "../routing/explain-route";
import { MessagesRequest } from "../protocol/anthropic";
import { normalizeRequest } from "../routing/normalize-request";
import type { Daemon } from "./daemon";
import { readRequestBody } from "./read-request-body";

export async function handleRoute(daemon: Daemon, request: Request, person?: string): Promise<Response> {
  const normalized = normalizeRequest(await readRequestBody(request, MessagesRequest, daemon.bodyLimits), request.headers, person);
  return Response.json(decideRoute(normalized, daemon.routeContext(normalized)));
}
