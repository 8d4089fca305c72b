// Which backend serves a request, and why. Tools decide who can serve it, health who is up,
// and the prompt-cache model where the conversation's prefix is still warm.
import { ApiError } from "../api-error";
import { type BackendState, takesImages, takesTools } from "../backends/backend-pool";
import { nothingCanServe } from "../backends/describe-down-backend";
import type { RoutingConfig } from "../config/config-schema";
import { chainFor, chainTokens } from "../prefix/prefix-chain";
import type { Warmth } from "../prefix/cache-model";
import type { Load } from "../backends/in-flight";
import type { NormalizedRequest } from "./normalize-request";

export type RouteReason = "forced" | "tools" | "no-tools" | "affinity" | "balance" | "fallback";

export type Route = {
  backend: BackendState;
  reason: RouteReason;
  needsTools: boolean;
  includeTools: boolean; // whether the tool list goes upstream
  warmth: Warmth; // what the chosen backend should find cached
  warm: Record<string, number>; // warm prefix tokens per candidate backend
  replica?: string; // why this replica of its pool, when the pool has several up
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
  // The prompt tokens queued on a backend (requests in flight, what they still have to compute),
  // and its measured prefill rate: a replica far behind is slower than recomputing elsewhere.
  load?: (backend: BackendState) => Load;
  prefillRate?: (backend: BackendState) => number | undefined;
};

// Until a backend's prefill rate is measured (as in share-prefill.ts).
const UNMEASURED_PREFILL_TOKENS_PER_SECOND = 250;

export function needsTools(request: NormalizedRequest, toolsWhen: RoutingConfig["toolsWhen"]): boolean {
  return toolsWhen === "defined" ? request.hasTools || request.usesTools : request.usesTools;
}

export function resolveRoute(request: NormalizedRequest, context: RouteContext): Route {
  const { routing } = context;
  const tools = needsTools(request, routing.toolsWhen);
  const forced = (backend: BackendState): Route => {
    const includeTools = request.hasTools && takesTools(backend);
    return {
      backend,
      reason: "forced",
      needsTools: tools,
      includeTools,
      warmth: backend.cache.warmth(chainFor(request.chain, includeTools), request.person),
      warm: {},
    };
  };

  if (routing.mode !== "auto" && !isPool(context.backends, routing.mode)) return forced(byName(context.backends, routing.mode));
  // `claude --model mlx-lm` (or /model in a session) picks a backend by name for one conversation.
  const named = context.backends.find((backend) => backend.config.name === request.request.model);
  if (named) return forced(named);
  // A pool's name (mode, or the request's model) picks among its replicas.
  const pool = [routing.mode, request.request.model].find((name) => name !== "auto" && isPool(context.backends, name));
  const candidates = pool ? context.backends.filter((backend) => backend.config.replicaOf === pool) : context.backends;

  const withTools = candidates.filter((backend) => !tools || takesTools(backend));
  // Images go where they can be seen; with no such backend, a text-only one gets a placeholder
  // for each (leave-out-images.ts) rather than a refusal that every later turn would repeat.
  const seeing = request.hasImages ? withTools.filter(takesImages) : withTools;
  const capable = seeing.length > 0 ? seeing : withTools;
  if (capable.length === 0) throw noCapableBackend();
  const up = capable.filter(context.isHealthy);
  if (up.length === 0) throw nothingCanServe(capable);
  const healthy = up.filter((backend) => fits(request, backend));
  if (healthy.length === 0) throw promptTooLong(request, up);

  const preferredName = pool ?? (tools ? routing.toolsBackend : routing.defaultBackend);
  const options = healthy.map((backend) => ({ backend, ...prefillCost(request, backend, context) }));
  const warm = Object.fromEntries(options.map((option) => [option.backend.config.name, option.warmth.tokens]));
  // The preferred backend, or the replica of the preferred pool where the prompt is done soonest.
  const preferredOptions = options.filter((option) => option.backend.config.name === preferredName || option.backend.config.replicaOf === preferredName);
  const replicaPick = pickReplica(preferredOptions, context.lastBackend);
  const route = (option: Option, reason: RouteReason): Route => ({
    backend: option.backend,
    reason,
    needsTools: tools,
    includeTools: request.hasTools && takesTools(option.backend),
    warmth: option.warmth,
    warm,
    ...(option.backend.config.replicaOf && option.siblings > 1 ? { replica: explainReplica(option, options) } : {}),
  });
  const base = replicaPick ?? options[0]!;
  const cheaper = routing.affinity ? (pickCheapest(options, base, context.lastBackend) ?? pickRoomier(options, base)) : undefined;
  const kept = keepReplica(options, cheaper ?? base, context.lastBackend);
  if (kept) return route(kept, "affinity");
  const chosen = cheaper;
  // Warm there: affinity. Warm nowhere, but the default would push out a conversation in use: balance.
  if (chosen) return route(chosen, chosen.warmth.segments > 1 ? "affinity" : "balance");
  return route(base, replicaPick ? (pool ? "forced" : tools ? "tools" : "no-tools") : "fallback");
}

type Option = { backend: BackendState; warmth: Warmth; cost: number; total: number; evicts: number; load: Load; rate: number; siblings: number };

// What serving the prompt on a backend costs, in seconds of its prefill: the part it still has to
// compute (its whole length there, with or without the tool list, minus the prefix its cache
// holds), plus the part of a conversation still in use that its cache would overwrite and have to
// compute again later, plus the prompt tokens queued ahead of it there (requests in flight),
// over the backend's measured prefill rate. Equal rates (replicas of one model on like machines)
// make it a count of tokens.
function prefillCost(request: NormalizedRequest, backend: BackendState, context: RouteContext): Omit<Option, "backend"> {
  const chain = chainFor(request.chain, request.hasTools && takesTools(backend));
  const warmth = backend.cache.warmth(chain, request.person);
  const total = chainTokens(chain);
  const evicts = backend.cache.evictionCost(chain, context.now ?? 0, idleTicks(context.backends));
  const load = context.load?.(backend) ?? { requests: 0, queuedTokens: 0 };
  const rate = context.prefillRate?.(backend) ?? UNMEASURED_PREFILL_TOKENS_PER_SECOND;
  const siblings = backend.config.replicaOf ? context.backends.filter((other) => other.config.replicaOf === backend.config.replicaOf).length : 1;
  return { warmth, total, evicts, load, rate, siblings, cost: (total - warmth.tokens + evicts + load.queuedTokens) / rate };
}

// Among a pool's replicas, the one where the prompt is done soonest: a new conversation goes
// where the least work is queued, a continuing one stays where it is warm unless the queue there
// outweighs computing it elsewhere. On a tie, the conversation's last replica, then the one with
// fewer requests in flight.
function pickReplica(options: Option[], lastBackend: string | undefined): Option | undefined {
  let best: Option | undefined;
  for (const option of options) {
    if (!best || option.cost < best.cost) best = option;
    else if (option.cost === best.cost && option.backend.config.name !== best.backend.config.name) {
      const last = (candidate: Option) => candidate.backend.config.name === lastBackend;
      if ((last(option) && !last(best)) || (last(option) === last(best) && option.load.requests < best.load.requests)) best = option;
    }
  }
  return best;
}

// "qwen#2: 3,412 tokens to compute, 0 queued (qwen#1: 120 + 6,800 queued, qwen#3: 3,412 + 2,900 queued)"
function explainReplica(chosen: Option, options: Option[]): string {
  const describe = (option: Option) =>
    `${(option.total - option.warmth.tokens + option.evicts).toLocaleString("en-US")} tokens to compute${option.warmth.tokens > 0 ? ` (${option.warmth.tokens.toLocaleString("en-US")} warm)` : ""}, ${option.load.queuedTokens.toLocaleString("en-US")} queued in ${option.load.requests} request${option.load.requests === 1 ? "" : "s"}, ${Math.round(option.rate)} tokens/s: ${option.cost.toFixed(1)} s`;
  const others = options.filter((option) => option !== chosen && option.backend.config.replicaOf === chosen.backend.config.replicaOf);
  return [`${chosen.backend.config.name}: ${describe(chosen)}`, ...others.map((option) => `${option.backend.config.name}: ${describe(option)}`)].join("; ");
}

// A continuing conversation leaves its replica only when staying there costs more than twice
// what moving does. Moving costs more than the move's own figure says: the conversation's prompt,
// computed on the new replica, is lost on the old one (a later return computes it once more), and
// the sessions it joins there overwrite it in turn on a one-slot server; while the queue behind
// staying is an estimate taken as a round's requests arrive, gone a few seconds later. Measured,
// test/real/replicas.test.ts (12 sessions on three one-slot llama-servers): without the margin,
// 20 of 72 requests moved a conversation in the first two rounds, some back where it came from,
// and the servers computed 42,566 prompt tokens; with it, only the killed replica's sessions
// moved, and they computed 34,112.
const REPLICA_MOVE_MARGIN = 2;

function keepReplica(options: Option[], picked: Option, lastBackend: string | undefined): Option | undefined {
  const pool = picked.backend.config.replicaOf;
  if (!pool || picked.backend.config.name === lastBackend) return undefined;
  const last = options.find((option) => option.backend.config.name === lastBackend && option.backend.config.replicaOf === pool);
  return last && last.cost <= REPLICA_MOVE_MARGIN * picked.cost ? last : undefined;
}

function isPool(backends: BackendState[], name: string): boolean {
  return backends.some((backend) => backend.config.replicaOf === name);
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
  return saving >= Math.max(AFFINITY_MIN_SAVING_TOKENS, AFFINITY_MIN_SAVING_SHARE * baseOption.total) / baseOption.rate ? best : undefined;
}

// A conversation warm nowhere (new, or evicted) that would push out one in use on the default
// backend goes to a backend with room instead, even if that one must first compute the shared
// system prompt: that is paid once, while evicting a live conversation repeats every round
// (it comes back, recomputes, and pushes out the next).
function pickRoomier(options: Option[], baseOption: Option): Option | undefined {
  if (baseOption.warmth.segments > 1 || baseOption.evicts === 0) return undefined;
  const roomy = options.filter((option) => option.evicts === 0 && option.warmth.segments <= 1);
  return roomy.reduce<Option | undefined>((best, option) => (!best || option.cost < best.cost ? option : best), undefined);
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

function noCapableBackend(): ApiError {
  return new ApiError(400, "invalid_request_error", 'this request needs tool calling ("tools": true), and no configured backend offers it');
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
  return new ApiError(
    400,
    "invalid_request_error",
    `prompt is too long: ${promptTokens(request, largest)} tokens > ${maximum} maximum (the context ${largest.config.name} has loaded)`,
  );
}
