// `anyclaude route FILE.json`: the decision for a request body, without sending it. The running
// daemon answers with its live cache model; without a daemon, caches are cold and health is probed.
import { ApiError } from "../api-error";
import { BackendPool, type BackendState, takesTools } from "../backends/backend-pool";
import type { Config } from "../config/config-schema";
import { chainFor } from "../prefix/prefix-chain";
import { normalizeBody, type NormalizedRequest } from "./normalize-request";
import { resolveRoute, type Route } from "./resolve-route";

export type RouteExplanation = ReturnType<typeof describeRoute> & { source: string };

export async function explainRoute(config: Config, body: unknown, fetcher: typeof fetch = fetch): Promise<RouteExplanation> {
  const fromDaemon = await askDaemon(config, body, fetcher);
  if (fromDaemon) return { ...fromDaemon, source: `daemon at http://${config.host}:${config.port}` };
  const pool = new BackendPool(config.backends, fetcher);
  await pool.probeAll();
  const normalized = normalizeBody(body, new Headers());
  const route = resolveRoute(normalized, { routing: config.routing, backends: pool.backends, isHealthy: (backend) => pool.isHealthy(backend) });
  return { ...describeRoute(route, normalized, pool.backends, (backend) => pool.isHealthy(backend)), source: "local (daemon not running: every cache cold)" };
}

export function describeRoute(route: Route, request: NormalizedRequest, backends: BackendState[], isHealthy: (backend: BackendState) => boolean) {
  return {
    backend: route.backend.config.name,
    reason: route.reason,
    needsTools: route.needsTools,
    includeTools: route.includeTools,
    estimatedTokens: request.estimatedTokens,
    sessionId: request.sessionId ?? null,
    backends: backends.map((backend) => ({
      name: backend.config.name,
      healthy: isHealthy(backend),
      tools: takesTools(backend),
      warmTokens: backend.cache.warmth(chainFor(request.chain, request.hasTools && takesTools(backend))).tokens,
    })),
  };
}

async function askDaemon(config: Config, body: unknown, fetcher: typeof fetch): Promise<ReturnType<typeof describeRoute> | undefined> {
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
  if (response.ok) return json as ReturnType<typeof describeRoute>;
  throw new ApiError(response.status, "invalid_request_error", json.error?.message ?? `the daemon answered HTTP ${response.status}`);
}
