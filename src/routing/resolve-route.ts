// Which backend serves a request, and why. Tools decide who can serve it, health who is up,
// and the prompt-cache model where the conversation's prefix is still warm.
import { ApiError } from "../api-error";
import { type BackendState, takesTools } from "../backends/backend-pool";
import { nothingCanServe } from "../backends/describe-down-backend";
import type { RoutingConfig } from "../config/config-schema";
import { chainFor, chainTokens } from "../prefix/prefix-chain";
import type { Warmth } from "../prefix/cache-model";
import type { NormalizedRequest } from "./normalize-request";

export type RouteReason = "forced" | "tools" | "no-tools" | "affinity" | "balance" | "fallback";

export type Route = {
  backend: BackendState;
  reason: RouteReason;
  needsTools: boolean;
  includeTools: boolean; // whether the tool list goes upstream
  warmth: Warmth; // what the chosen backend should find cached
  warm: Record<string, number>; // warm prefix tokens per candidate backend
};

// Leaving the preferred backend must save real prefill work: a few hundred tokens of difference
// is noise in the estimate, not a reason to send tool calls to the other server.
const AFFINITY_MIN_SAVING_TOKENS = 512;
const AFFINITY_MIN_SAVING_SHARE = 0.1;

export type RouteContext = {
  routing: RoutingConfig;
  backends: BackendState[];
  isHealthy: (backend: BackendState) => boolean;
  lastBackend?: string; // the conversation's previous backend
  now?: number; // replies so far: the clock of the cache models
};

export function needsTools(request: NormalizedRequest, toolsWhen: RoutingConfig["toolsWhen"]): boolean {
  return toolsWhen === "defined" ? request.hasTools || request.usesTools : request.usesTools;
}

export function resolveRoute(request: NormalizedRequest, context: RouteContext): Route {
  const { routing } = context;
  const tools = needsTools(request, routing.toolsWhen);
  const forced = (backend: BackendState): Route => {
    const includeTools = request.hasTools && takesTools(backend);
    return { backend, reason: "forced", needsTools: tools, includeTools, warmth: backend.cache.warmth(chainFor(request.chain, includeTools)), warm: {} };
  };

  if (routing.mode !== "auto") return forced(byName(context.backends, routing.mode));
  // `claude --model mlx-lm` (or /model in a session) picks a backend by name for one conversation.
  const named = context.backends.find((backend) => backend.config.name === request.request.model);
  if (named) return forced(named);

  const capable = context.backends.filter((backend) => (!tools || takesTools(backend)) && (!request.hasImages || backend.config.images));
  if (capable.length === 0) throw noCapableBackend(tools, request.hasImages);
  const up = capable.filter(context.isHealthy);
  if (up.length === 0) throw nothingCanServe(capable);
  const healthy = up.filter((backend) => fits(request, backend));
  if (healthy.length === 0) throw promptTooLong(request, up);

  const preferred = healthy.find((backend) => backend.config.name === (tools ? routing.toolsBackend : routing.defaultBackend));
  const options = healthy.map((backend) => ({ backend, ...prefillCost(request, backend, context.now ?? 0, idleTicks(context.backends)) }));
  const warm = Object.fromEntries(options.map((option) => [option.backend.config.name, option.warmth.tokens]));
  const route = (option: Option, reason: RouteReason): Route => ({
    backend: option.backend,
    reason,
    needsTools: tools,
    includeTools: request.hasTools && takesTools(option.backend),
    warmth: option.warmth,
    warm,
  });
  const base = options.find((option) => option.backend === (preferred ?? healthy[0]))!;
  const chosen = routing.affinity ? (pickCheapest(options, base, context.lastBackend) ?? pickRoomier(options, base)) : undefined;
  // Warm there: affinity. Warm nowhere, but the default would push out a conversation in use: balance.
  if (chosen) return route(chosen, chosen.warmth.segments > 1 ? "affinity" : "balance");
  return route(base, preferred ? (tools ? "tools" : "no-tools") : "fallback");
}

type Option = { backend: BackendState; warmth: Warmth; cost: number; total: number; evicts: number };

// What serving the prompt on a backend costs: the part it still has to compute (its whole length
// there, with or without the tool list, minus the prefix its cache holds), plus the part of a
// conversation still in use that its cache would overwrite and have to compute again later.
function prefillCost(request: NormalizedRequest, backend: BackendState, now: number, idle: number): Omit<Option, "backend"> {
  const chain = chainFor(request.chain, request.hasTools && takesTools(backend));
  const warmth = backend.cache.warmth(chain);
  const total = chainTokens(chain);
  const evicts = backend.cache.evictionCost(chain, now, idle);
  return { warmth, total, evicts, cost: total - warmth.tokens + evicts };
}

// The cheapest backend, if it saves enough over the default one; the conversation's last
// backend wins a tie.
function pickCheapest(options: Option[], baseOption: Option, lastBackend: string | undefined): Option | undefined {
  let best = baseOption;
  for (const option of options) {
    const cheaper = option.cost < best.cost || (option.cost === best.cost && option.backend.config.name === lastBackend);
    if (cheaper) best = option;
  }
  const saving = baseOption.cost - best.cost;
  return saving >= Math.max(AFFINITY_MIN_SAVING_TOKENS, AFFINITY_MIN_SAVING_SHARE * baseOption.total) ? best : undefined;
}

// A conversation warm nowhere (new, or evicted) that would push out one in use on the default
// backend goes to a backend with room instead, even if that one must first compute the shared
// system prompt: that is paid once, while evicting a live conversation repeats every round
// (it comes back, recomputes, and pushes out the next).
function pickRoomier(options: Option[], baseOption: Option): Option | undefined {
  if (baseOption.warmth.segments > 1 || baseOption.evicts === 0) return undefined;
  return options.find((option) => option.evicts === 0 && option.warmth.segments <= 1);
}

// A conversation not extended for two rounds of every cache slot is taken as finished.
export function idleTicks(backends: BackendState[]): number {
  return 2 * backends.reduce((sum, backend) => sum + backend.config.cacheSlots, 0);
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

// The prompt as that backend would get it (with or without the tool list), in estimated tokens.
function promptTokens(request: NormalizedRequest, backend: BackendState): number {
  return chainTokens(chainFor(request.chain, request.hasTools && takesTools(backend)));
}

// A backend whose loaded context cannot hold the prompt would fail after a long prefill, or
// silently drop its start; a backend that does not tell its context is given the benefit.
function fits(request: NormalizedRequest, backend: BackendState): boolean {
  const contextLength = backend.probe?.contextLength;
  return !contextLength || promptTokens(request, backend) <= contextLength;
}

// Claude Code compacts the conversation when an error message starts with these words.
function promptTooLong(request: NormalizedRequest, up: BackendState[]): ApiError {
  const largest = up.reduce((best, backend) => ((backend.probe?.contextLength ?? 0) > (best.probe?.contextLength ?? 0) ? backend : best));
  const maximum = largest.probe?.contextLength ?? 0;
  return new ApiError(400, "invalid_request_error", `prompt is too long: ${promptTokens(request, largest)} tokens > ${maximum} maximum (the context ${largest.config.name} has loaded)`);
}
