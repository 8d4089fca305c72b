// Which backend serves a request, and why. Tools decide who can serve it, health who is up,
// and the prompt-cache model where the conversation's prefix is still warm.
import { ApiError } from "../api-error";
import type { BackendState } from "../backends/backend-pool";
import type { RoutingConfig } from "../config/config-schema";
import { chainFor } from "../prefix/prefix-chain";
import type { Warmth } from "../prefix/cache-model";
import type { NormalizedRequest } from "./normalize-request";

export type RouteReason = "forced" | "tools" | "no-tools" | "affinity" | "fallback";

export type Route = {
  backend: BackendState;
  reason: RouteReason;
  needsTools: boolean;
  includeTools: boolean; // whether the tool list goes upstream
  warmth: Warmth; // what the chosen backend should find cached
  warm: Record<string, number>; // warm prefix tokens per candidate backend
};

export type RouteContext = {
  routing: RoutingConfig;
  backends: BackendState[];
  isHealthy: (backend: BackendState) => boolean;
  lastBackend?: string; // the conversation's previous backend
};

export function needsTools(request: NormalizedRequest, toolsWhen: RoutingConfig["toolsWhen"]): boolean {
  return toolsWhen === "defined" ? request.hasTools || request.usesTools : request.usesTools;
}

export function resolveRoute(request: NormalizedRequest, context: RouteContext): Route {
  const { routing } = context;
  const tools = needsTools(request, routing.toolsWhen);
  const route = (backend: BackendState, reason: RouteReason, warm: Record<string, number> = {}): Route => {
    const includeTools = request.hasTools && backend.config.tools;
    return { backend, reason, needsTools: tools, includeTools, warmth: backend.cache.warmth(chainFor(request.chain, includeTools)), warm };
  };

  if (routing.mode !== "auto") return route(byName(context.backends, routing.mode), "forced");
  // `claude --model mlx-lm` (or /model in a session) picks a backend by name for one conversation.
  const named = context.backends.find((backend) => backend.config.name === request.request.model);
  if (named) return route(named, "forced");

  const capable = context.backends.filter((backend) => (!tools || backend.config.tools) && (!request.hasImages || backend.config.images));
  if (capable.length === 0) throw noCapableBackend(tools, request.hasImages);
  const healthy = capable.filter(context.isHealthy);
  if (healthy.length === 0) throw allDown(capable);

  const preferredName = tools ? routing.toolsBackend : routing.defaultBackend;
  const preferred = healthy.find((backend) => backend.config.name === preferredName);
  const warm = Object.fromEntries(healthy.map((backend) => [backend.config.name, route(backend, "affinity").warmth.tokens]));
  const warmest = routing.affinity ? pickWarmest(healthy, warm, preferred ?? healthy[0]!, context.lastBackend) : undefined;

  if (warmest && warmest !== preferred) return route(warmest, "affinity", warm);
  if (preferred) return route(preferred, tools ? "tools" : "no-tools", warm);
  return route(healthy[0]!, "fallback", warm);
}

// The backend holding the most of this prompt, if it holds more than the default would; the
// conversation's last backend wins a tie.
function pickWarmest(healthy: BackendState[], warm: Record<string, number>, fallback: BackendState, lastBackend: string | undefined): BackendState | undefined {
  let best = fallback;
  for (const backend of healthy) {
    const tokens = warm[backend.config.name]!;
    const bestTokens = warm[best.config.name]!;
    if (tokens > bestTokens || (tokens === bestTokens && tokens > 0 && backend.config.name === lastBackend)) best = backend;
  }
  return warm[best.config.name]! > 0 ? best : undefined;
}

function byName(backends: BackendState[], name: string): BackendState {
  const backend = backends.find((candidate) => candidate.config.name === name);
  if (!backend) throw new ApiError(500, "api_error", `routing.mode names backend "${name}", which is not configured`);
  return backend;
}

function noCapableBackend(tools: boolean, images: boolean): ApiError {
  const needs = [tools && 'tool calling ("tools": true)', images && 'images ("images": true)'].filter(Boolean).join(" and ");
  return new ApiError(400, "invalid_request_error", `this request needs ${needs}, and no configured backend offers it`);
}

function allDown(capable: BackendState[]): ApiError {
  const list = capable.map((backend) => `"${backend.config.name}" at ${backend.config.url} (${backend.probe?.error ?? "down"})`).join("; ");
  return new ApiError(503, "overloaded_error", `no backend that can serve this request is up: ${list}`);
}
