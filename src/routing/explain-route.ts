// `anyclaude route FILE.json`: the decision for a request body, without sending it. The running
// daemon answers with its live cache model; without a daemon, caches are cold and health is probed.
import { ApiError } from "../api-error";
import { BackendPool, type BackendState, takesTools } from "../backends/backend-pool";
import type { Config } from "../config/config-schema";
import { chainFor } from "../prefix/prefix-chain";
import { normalizeBody, type NormalizedRequest } from "./normalize-request";
import { resolveRoute, type Route, type RouteContext, type RouteReason } from "./resolve-route";

export type RouteDecision = {
  backend: string | null; // null: nothing that could serve it is up
  reason: RouteReason | null;
  problem?: string; // why nothing can serve it now
  whenUp?: { backend: string; reason: RouteReason }; // where it would go once the backends are up
  replica?: string; // why this replica of its pool: per replica, tokens to compute, queued, seconds
  needsTools: boolean;
  includeTools: boolean;
  estimatedTokens: number;
  sessionId: string | null;
  backends: { name: string; healthy: boolean; tools: boolean; warmTokens: number; replicaOf?: string; inFlight?: number; queuedTokens?: number }[];
};

export type RouteExplanation = RouteDecision & { source: string };

export async function explainRoute(config: Config, body: unknown, fetcher: typeof fetch = fetch): Promise<RouteExplanation> {
  const fromDaemon = await askDaemon(config, body, fetcher);
  if (fromDaemon) return { ...fromDaemon, source: `daemon at http://${config.host}:${config.port}` };
  const pool = new BackendPool(config.backends, fetcher);
  await pool.probeAll();
  const normalized = normalizeBody(body, new Headers());
  const decision = decideRoute(normalized, { routing: config.routing, backends: pool.backends, isHealthy: (backend) => pool.isHealthy(backend) });
  return { ...decision, source: "local (daemon not running: every cache cold)" };
}

// The decision, or, when no backend that could serve it is up, why not and where it would go
// once they are.
export function decideRoute(request: NormalizedRequest, context: RouteContext): RouteDecision {
  try {
    return describeRoute(resolveRoute(request, context), request, context);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 503) throw error;
    const whenUp = resolveRoute(request, { ...context, isHealthy: () => true });
    return {
      ...describeRoute(whenUp, request, context),
      backend: null,
      reason: null,
      problem: error.message,
      whenUp: { backend: whenUp.backend.config.name, reason: whenUp.reason },
    };
  }
}

function describeRoute(route: Route, request: NormalizedRequest, { backends, isHealthy, load }: RouteContext): RouteDecision {
  return {
    backend: route.backend.config.name,
    reason: route.reason,
    ...(route.replica ? { replica: route.replica } : {}),
    needsTools: route.needsTools,
    includeTools: route.includeTools,
    estimatedTokens: request.estimatedTokens,
    sessionId: request.sessionId ?? null,
    backends: backends.map((backend) => ({
      name: backend.config.name,
      healthy: isHealthy(backend),
      tools: takesTools(backend),
      warmTokens: backend.cache.warmth(chainFor(request.chain, request.hasTools && takesTools(backend)), request.person).tokens,
      ...(backend.config.replicaOf ? { replicaOf: backend.config.replicaOf, ...replicaLoad(load?.(backend)) } : {}),
    })),
  };
}

async function askDaemon(config: Config, body: unknown, fetcher: typeof fetch): Promise<RouteDecision | undefined> {
  let response: Response;
  try {
    response = await fetcher(`http://${config.host}:${config.port}/anyclaude/route`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(config.authToken ? { "x-api-key": config.authToken } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(2_000),
    });
  } catch {
    return undefined; // no daemon: decide locally
  }
  const json = (await response.json()) as { type?: string; error?: { type: string; message: string } };
  if (response.ok) return json as RouteDecision;
  throw new ApiError(response.status, "invalid_request_error", json.error?.message ?? `the daemon answered HTTP ${response.status}`);
}

function replicaLoad(load: { requests: number; queuedTokens: number } | undefined) {
  return { inFlight: load?.requests ?? 0, queuedTokens: load?.queuedTokens ?? 0 };
}
