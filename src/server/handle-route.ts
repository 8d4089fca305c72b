// POST /anyclaude/route: the routing decision for a body, with the daemon's live cache model.
// Each answer is logged with whose token asked: warm prefixes are a person's own (cache-model.ts
// warmth), and probing is still visible in `anyclaude logs`.
import { logger } from "../logger";
import { decideRoute } from "../routing/explain-route";
import { MessagesRequest } from "../protocol/anthropic";
import { normalizeRequest } from "../routing/normalize-request";
import type { Daemon } from "./daemon";
import { readRequestBody } from "./read-request-body";

export async function handleRoute(daemon: Daemon, request: Request, person?: string): Promise<Response> {
  const normalized = normalizeRequest(await readRequestBody(request, MessagesRequest, daemon.bodyLimits), request.headers, person);
  const decision = decideRoute(normalized, daemon.routeContext(normalized));
  const warm = decision.backends.map((backend) => `${backend.name} ${backend.warmTokens}`).join(", ");
  logger.info(
    `route asked${person === undefined ? "" : ` by ${person}`}: ${decision.backend ?? "no backend up"} [${decision.reason ?? "none"}], warm tokens: ${warm}`,
  );
  return Response.json(decision);
}
