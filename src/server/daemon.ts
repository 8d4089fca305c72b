// Everything the daemon keeps between requests: backends and their cache models, conversations,
// the replay memory, counters, recent activity. Built once per process from the config and an injected fetch.
import { BackendPool, type BackendState } from "../backends/backend-pool";
import { InFlight } from "../backends/in-flight";
import type { RequestTrace } from "../metrics/request-trace";
import type { Config } from "../config/config-schema";
import { Activity } from "../metrics/activity";
import { IdleCollector, type CollectorOptions } from "./collect-when-idle";
import { chainFor, chainTokens, replySegment } from "../prefix/prefix-chain";
import { ReplayMemory } from "../prefix/replay-memory";
import { SharedPrefills } from "../prefix/shared-prefill";
import { BackendCalibration, countPoint, estimateFromPoint } from "../prefix/token-calibration";
import type { PrewarmHead } from "../prewarm/prewarm-head";
import { PrewarmStore } from "../prewarm/prewarm-store";
import { Prewarmer, type PrewarmerOptions } from "../prewarm/prewarmer";
import type { NormalizedRequest } from "../routing/normalize-request";
import type { Route, RouteContext, RouteReason } from "../routing/resolve-route";
import { SessionTable } from "../routing/session-table";
import type { Reply } from "../translate/reply";
import type { BodyLimits } from "./read-request-body";
import { READ_LIMITS, type ReadLimits } from "../backends/read-limits";
import { ConversationCache } from "./conversation-cache";
import { ConversationTranslations } from "./conversation-translations";
import { ToolListCache } from "./tool-list-cache";
import type { OpenReply } from "./stream-reply";
import { IN_PROCESS, type Connections } from "./connections";
import { learnSlots } from "../backends/slot-pinning";

// stateDir: where prewarm.json is kept (the daemon's log directory); none: in memory only.
export type DaemonOptions = {
  config: Config;
  fetch?: typeof fetch;
  version: string;
  build?: string;
  now?: () => number;
  stateDir?: string;
  prewarm?: Pick<PrewarmerOptions, "quietMs" | "watchIntervalMs">;
  // How often a streamed reply pings the client while the backend is silent (stream-reply.ts);
  // tests shorten it.
  heartbeatMs?: number;
  // How much is read from a backend (read-limits.ts); tests make them small.
  readLimits?: Partial<ReadLimits>;
  // How collections are paced (collect-when-idle.ts); a bench in the daemon's process sets it.
  collector?: Partial<CollectorOptions>;
  // The connections requests come on (start-server.ts); none in process.
  connections?: Connections;
};

export class Daemon {
  readonly config: Config;
  readonly fetcher: typeof fetch;
  readonly version: string;
  readonly build?: string; // the source hash it was built from (see build-id.ts)
  readonly pool: BackendPool;
  readonly sessions = new SessionTable();
  readonly replay = new ReplayMemory();
  readonly translations = new ConversationTranslations(); // the last request's, per session
  readonly sharedPrefills = new SharedPrefills(); // requests in flight, by the prefix they compute
  readonly openReplies = new Set<OpenReply>(); // streams under way, ended with an error event at shutdown
  readonly inFlight = new InFlight(); // requests in flight, by the prompt tokens they still compute
  readonly routeCounts: Partial<Record<RouteReason, number>> = {};
  readonly startedAt: number;
  readonly activity: Activity;
  readonly prewarm: Prewarmer;
  readonly bodyLimits: BodyLimits;
  listenUrl: string;
  readonly now: () => number;
  readonly heartbeatMs?: number;
  readonly readLimits: ReadLimits;
  readonly connections: Connections;
  private messageCount = 0;
  // By backend and the model it serves (another model, another tokenizer and template).
  private readonly calibrations = new Map<string, BackendCalibration>();
  replyCount = 0; // a clock for cache entries: replies so far, across backends

  constructor(options: DaemonOptions) {
    this.config = options.config;
    this.fetcher = options.fetch ?? fetch;
    this.version = options.version;
    this.build = options.build;
    this.now = options.now ?? Date.now;
    this.heartbeatMs = options.heartbeatMs;
    this.readLimits = { ...READ_LIMITS, ...options.readLimits };
    this.connections = options.connections ?? IN_PROCESS;
    this.startedAt = this.now();
    this.activity = new Activity(this.now, new IdleCollector(options.collector));
    this.listenUrl = `http://${options.config.host}:${options.config.port}`;
    this.pool = new BackendPool(options.config.backends, this.fetcher);
    // Which llama-server a backend is, learned once it is up (slot-pinning.ts).
    if (options.config.pinSlots) this.pool.onProbe((backend) => void (backend.probe?.healthy && learnSlots(backend, this.fetcher)));
    this.bodyLimits = { maxBytes: options.config.maxBodyBytes, toolLists: new ToolListCache(), conversations: new ConversationCache() };
    const { backends, prewarm } = options.config;
    this.prewarm = new Prewarmer({
      enabled: prewarm,
      pool: this.pool,
      store: new PrewarmStore(backends, prewarm ? options.stateDir : undefined),
      fetcher: this.fetcher,
      clock: () => this.replyCount,
      now: this.now,
      ...options.prewarm,
    });
  }

  uptimeSeconds(): number {
    return Math.floor((this.now() - this.startedAt) / 1000);
  }

  // What the router knows of the backends and this conversation; `skip` names backends that
  // just refused a connection.
  routeContext(request: NormalizedRequest, skip: ReadonlySet<string> = new Set()): RouteContext {
    return {
      routing: this.config.routing,
      backends: this.pool.backends,
      isHealthy: (backend) => !skip.has(backend.config.name) && this.pool.isHealthy(backend),
      lastBackend: this.sessions.get(request.sessionId),
      now: this.replyCount,
      load: (backend) => this.inFlight.load(backend.config.name),
      prefillRate: (backend) => this.activity.backend(backend.config.name).prefillRate(),
    };
  }

  // A request goes to its backend: queued there with the tokens it has to compute, until it ends.
  requestStarted(route: Route, request: NormalizedRequest, trace: RequestTrace): void {
    const coldTokens = Math.max(0, chainTokens(chainFor(request.chain, route.includeTools)) - route.warmth.tokens);
    this.inFlight.add(route.backend.config.name, trace, coldTokens);
    this.prewarm.requestStarted(route.backend, trace); // a prewarm running there is cancelled
  }

  countRoute(route: Route, request: NormalizedRequest): void {
    this.routeCounts[route.reason] = (this.routeCounts[route.reason] ?? 0) + 1;
    route.backend.stats.requests++;
    this.sessions.set(request.sessionId, route.backend.config.name);
  }

  // After a reply: remember its exact bytes, and what the backend's cache now holds.
  recordReply(backend: BackendState, route: Route, request: NormalizedRequest, reply: Reply): void {
    this.replay.remember(request.sessionId, reply);
    const chain = [...chainFor(request.chain, route.includeTools), replySegment(reply)];
    backend.cache.record(chain, route.warmth, { cachedTokens: reply.cachedTokens, promptTokens: reply.promptTokens }, ++this.replyCount, request.person);
    backend.stats.promptTokens += reply.promptTokens ?? 0;
    backend.stats.cachedTokens += reply.cachedTokens ?? 0;
    if (reply.promptTokens) {
      const { key } = this.calibrate(backend, route, request, reply.promptTokens);
      const segments = chainFor(request.chain, route.includeTools);
      this.sessions.rememberCount(request.sessionId, backend.config.name, countPoint(key, segments, chainTokens(segments), reply.promptTokens));
    }
  }

  // A prompt's tokens as the backend will count them, before it does (message_start, and
  // count_tokens when the backend cannot be asked): from the conversation's last real count when
  // this prompt extends it, else at the backend's calibrated rate. Two hash comparisons and
  // memoized totals: no pass over a long conversation.
  estimateTokens(backend: BackendState, route: Pick<Route, "includeTools">, request: NormalizedRequest): number {
    const segments = chainFor(request.chain, route.includeTools);
    const estimated = chainTokens(segments);
    const { key, calibration } = this.calibrationOf(backend);
    const { ratio } = calibration.factors();
    for (const point of this.sessions.countPoints(request.sessionId)) {
      const known = estimateFromPoint(point, key, segments, estimated, ratio);
      if (known !== undefined) return known;
    }
    return calibration.estimate(estimated, toolCount(route, request));
  }

  // A prompt the backend counted (a reply's, or a count_tokens answer): for the backend's rates.
  calibrate(backend: BackendState, route: Pick<Route, "includeTools">, request: NormalizedRequest, real: number): { key: string } {
    const { key, calibration } = this.calibrationOf(backend);
    calibration.record({ estimated: chainTokens(chainFor(request.chain, route.includeTools)), tools: toolCount(route, request), real });
    return { key };
  }

  calibrationOf(backend: BackendState): { key: string; calibration: BackendCalibration } {
    const key = `${backend.config.name}\u0000${this.pool.upstreamModel(backend) ?? ""}`;
    let calibration = this.calibrations.get(key);
    if (!calibration) this.calibrations.set(key, (calibration = new BackendCalibration()));
    return { key, calibration };
  }

  // After a reply: the request's prefix (system prompt and tools) as this backend got it, to warm
  // it there again when it comes up (src/prewarm/).
  rememberPrefix(route: Route, request: NormalizedRequest, head: PrewarmHead): void {
    const segment = chainFor(request.chain, route.includeTools)[0]!;
    this.prewarm.remember(route.backend, { hash: segment.hash, tokens: segment.tokens, head, seenAt: this.now() });
  }

  // Ids are made here, not in the translation, which stays pure.
  nextMessageId(): string {
    return `msg_${this.startedAt.toString(36)}${(++this.messageCount).toString(36).padStart(6, "0")}`;
  }
}

function toolCount(route: Pick<Route, "includeTools">, request: NormalizedRequest): number {
  return route.includeTools ? (request.request.tools?.length ?? 0) : 0;
}
