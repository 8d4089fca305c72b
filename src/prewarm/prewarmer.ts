// Prewarming: when a backend comes up, loads another model, or (by its cache model) no longer
// holds the prefix Claude Code sessions sent it lately, and nobody is using it, anyclaude sends it
// that prefix (system prompt and tools) as a one-token request, newest first, so the first
// question of the next session finds it cached. One prewarm per machine at a time; a real request
// for a backend on that machine cancels it (the user goes first); none at all with "prewarm": false.
import { type BackendPool, type BackendState } from "../backends/backend-pool";
import { isLoopback } from "../config/resolve-config";
import { logger } from "../logger";
import type { RequestTrace } from "../metrics/request-trace";
import type { Segment } from "../prefix/prefix-chain";
import { idleTicks } from "../routing/resolve-route";
import type { PrewarmPrefix, PrewarmStore } from "./prewarm-store";
import { sendPrewarm } from "./send-prewarm";
import { checkRestart } from "./watch-restart";

export type PrewarmerOptions = {
  enabled: boolean;
  pool: BackendPool;
  store: PrewarmStore;
  fetcher: typeof fetch;
  clock: () => number; // replies so far: the cache models' clock
  now?: () => number;
  quietMs?: number;
  watchIntervalMs?: number;
};

// A prewarm of a prefix the cache model merely lost (not a restart) starts only after the
// backend has been left alone this long: Claude Code's tool loops pause between requests while a
// tool runs, and a prewarm there would only be cancelled.
const QUIET_MS = 30_000;
const WATCH_INTERVAL_MS = 1_000;
// A prefix warmed and then lost again (the cache holds fewer prompts than are in use) is not
// warmed again for a while: two prefixes must not push each other out in a loop.
const REWARM_AFTER_MS = 10 * 60_000;
const RETRY_AFTER_MS = 60_000; // after a failed prewarm, doubling with each failure
// The prewarm's own short user turn and one-token answer, as a segment of its own: it matches no
// real conversation, so the cache model holds the head and nothing more of it.
const PREWARM_TAIL_TOKENS = 4;
// Prefixes shorter than this are not worth a request of their own (Claude Code's is ~20k tokens;
// its title and summary requests carry a short system prompt and no tools).
const MIN_PREFIX_TOKENS = 1_024;

type Running = { controller: AbortController; prefix: PrewarmPrefix; startedAt: number; cancelledBy?: string };

type BackendPrewarm = {
  running?: Running;
  requests: Set<RequestTrace>; // in flight on this backend
  lastRequestEndedAt: number;
  stale: Set<string>; // prefixes to warm whatever the cache model says: the server restarted or changed model
  warmedAt: Map<string, number>;
  failures: Map<string, { at: number; count: number }>;
  checking: boolean;
  portOnly: boolean; // the server has no health path to ask: its port is asked instead
  lastWarmedAt?: number;
  lastDurationMs?: number;
  lastPromptTokens?: number;
  lastCachedTokens?: number;
  lastError?: string;
  runs: number;
  cancelled: number;
};

export class Prewarmer {
  private readonly states = new Map<string, BackendPrewarm>();
  private readonly now: () => number;
  private readonly quietMs: number;
  private readonly watchIntervalMs: number;
  private timer?: Timer;
  private started = false;
  private readonly startedAt: number;

  constructor(private readonly options: PrewarmerOptions) {
    this.now = options.now ?? Date.now;
    this.quietMs = options.quietMs ?? QUIET_MS;
    this.watchIntervalMs = options.watchIntervalMs ?? WATCH_INTERVAL_MS;
    this.startedAt = this.now();
    for (const backend of options.pool.backends) {
      this.states.set(backend.config.name, {
        requests: new Set(),
        lastRequestEndedAt: 0,
        stale: new Set(),
        warmedAt: new Map(),
        failures: new Map(),
        checking: false,
        portOnly: false,
        runs: 0,
        cancelled: 0,
      });
    }
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  // The daemon is serving: follow the probes, and watch for restarts between them.
  start(): void {
    if (!this.enabled || this.started) return;
    this.started = true;
    this.options.pool.onProbe((backend, previous) => this.probed(backend, previous));
    this.timer = setInterval(() => this.watch(), this.watchIntervalMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.timer);
    for (const state of this.states.values()) state.running?.controller.abort();
    await this.options.store.flush();
  }

  // A real request is about to go to this backend: it goes first, before any prewarm on the same
  // machine (LM Studio and mlx_lm.server on one Mac share its GPU).
  // Off, it keeps nothing of the request; on, only those in flight (ended ones are dropped here
  // too, not only when a probe comes: 2,000 requests between probes were 2,000 traces kept).
  requestStarted(backend: BackendState, trace: RequestTrace): void {
    if (!this.enabled) return;
    const state = this.state(backend);
    this.busy(state);
    state.requests.add(trace);
    for (const peer of this.peers(backend)) {
      const { running } = this.state(peer);
      if (!running || running.cancelledBy) continue;
      running.cancelledBy = peer === backend ? "a request came" : `a request came for ${backend.config.name}, on the same machine`;
      running.controller.abort();
    }
  }

  // A reply came from this backend for a request with this prefix: the server holds it now, and
  // it is the newest prefix sessions sent there.
  remember(backend: BackendState, prefix: PrewarmPrefix): void {
    if (!this.enabled || prefix.tokens < MIN_PREFIX_TOKENS) return;
    this.options.store.remember(backend.config.name, prefix);
    this.state(backend).stale.delete(prefix.hash);
  }

  view(backend: BackendState) {
    const state = this.state(backend);
    const prefixes = this.options.store.prefixes(backend.config.name);
    const newest = prefixes[0];
    return {
      enabled: this.enabled,
      // The backend is up, and its newest prefix is in its cache by the cache model, with no
      // restart since.
      warm: Boolean(newest && this.options.pool.isHealthy(backend) && backend.cache.holdsHead(newest.hash) && !state.stale.has(newest.hash)),
      running: Boolean(state.running),
      prefixes: prefixes.length,
      prefixTokens: newest?.tokens ?? null,
      lastWarmedAt: state.lastWarmedAt === undefined ? null : new Date(state.lastWarmedAt).toISOString(),
      lastDurationMs: state.lastDurationMs ?? null,
      lastPromptTokens: state.lastPromptTokens ?? null,
      lastCachedTokens: state.lastCachedTokens ?? null,
      runs: state.runs,
      cancelled: state.cancelled,
      lastError: state.lastError ?? null,
    };
  }

  private state(backend: BackendState): BackendPrewarm {
    return this.states.get(backend.config.name)!;
  }

  // After every probe: a backend that came up (or was first seen) or serves another model has an
  // empty cache, whatever the model says; then, whatever happened, is there something to warm?
  private probed(backend: BackendState, previous: BackendState["probe"]): void {
    const probe = backend.probe;
    if (!probe?.healthy) {
      if (probe && (previous?.healthy ?? true)) this.handOver(backend);
      return;
    }
    const state = this.state(backend);
    const cameUp = !previous?.healthy;
    const modelChanged = !cameUp && previous.model !== undefined && probe.model !== undefined && previous.model !== probe.model;
    if (modelChanged) this.options.pool.forgetCache(backend);
    if (cameUp || modelChanged) {
      // What it computed before it went down (or before this daemon first saw it) is gone; a
      // prefix it was sent since, it holds. Requests before the restart do not delay the prewarm.
      const since = modelChanged ? this.now() : (previous?.at ?? this.startedAt);
      const prefixes = this.options.store.prefixes(backend.config.name).filter((prefix) => prefix.seenAt <= since);
      for (const prefix of prefixes) state.stale.add(prefix.hash);
      state.failures.clear();
      this.busy(state);
      state.lastRequestEndedAt = 0;
      if (prefixes.length > 0)
        logger.info(
          `prewarm ${backend.config.name}: ${modelChanged ? `model changed to ${probe.model}` : previous ? "came up" : "found up"}; ${prefixes.length} Claude Code prefix${prefixes.length === 1 ? "" : "es"} to warm`,
        );
    }
    this.schedule(backend);
  }

  // A replica went down: its conversations go to the other replicas of its pool, which get its
  // prefixes (system prompt and tools) to warm, as after a restart, where their cache model does
  // not hold them already.
  private handOver(backend: BackendState): void {
    const prefixes = this.options.store.prefixes(backend.config.name);
    const siblings = this.options.pool.siblings(backend).filter((sibling) => this.options.pool.isHealthy(sibling));
    if (prefixes.length === 0 || siblings.length === 0) return;
    for (const sibling of siblings) {
      const state = this.state(sibling);
      const missing = prefixes.filter((prefix) => !sibling.cache.holdsHead(prefix.hash));
      for (const prefix of [...missing].reverse()) {
        this.options.store.remember(sibling.config.name, prefix);
        state.stale.add(prefix.hash);
      }
      if (missing.length > 0) {
        state.lastRequestEndedAt = 0;
        this.schedule(sibling);
      }
    }
    logger.info(
      `prewarm ${backend.config.name}: down; its ${prefixes.length} Claude Code prefix${prefixes.length === 1 ? "" : "es"} handed to ${siblings.map((sibling) => sibling.config.name).join(", ")}`,
    );
  }

  // Later, not inside the probe: a request that made the probe is about to claim the backend.
  private schedule(backend: BackendState): void {
    setTimeout(() => this.consider(backend), 0);
  }

  private consider(backend: BackendState): void {
    if (!this.started) return;
    const state = this.state(backend);
    if (!this.options.pool.isHealthy(backend)) return;
    // One prewarm per machine at a time, none while a request runs there, and (but after a
    // restart) none until the machine has been left alone for a while.
    const peers = this.peers(backend).map((peer) => this.state(peer));
    if (peers.some((peer) => peer.running || this.busy(peer))) return;
    if (this.now() - Math.max(...peers.map((peer) => peer.lastRequestEndedAt)) < this.quietMs) return;
    const model = this.options.pool.upstreamModel(backend);
    const prefix = model && this.nextPrefix(backend, state);
    if (prefix) void this.run(backend, state, prefix, model);
  }

  // The newest prefix that needs warming: after a restart or a model change, each; otherwise one
  // the cache model no longer holds, unless warming it would push out a conversation in use.
  private nextPrefix(backend: BackendState, state: BackendPrewarm): PrewarmPrefix | undefined {
    const now = this.now();
    for (const prefix of this.options.store.prefixes(backend.config.name)) {
      const failure = state.failures.get(prefix.hash);
      if (failure && now - failure.at < RETRY_AFTER_MS * 2 ** (failure.count - 1)) continue;
      if (state.stale.has(prefix.hash)) return prefix;
      if (backend.cache.holdsHead(prefix.hash)) continue;
      if (now - (state.warmedAt.get(prefix.hash) ?? Number.NEGATIVE_INFINITY) < REWARM_AFTER_MS) continue;
      if (backend.cache.evictionCost(prewarmChain(prefix), this.options.clock(), idleTicks(this.options.pool.backends)) > 0) continue;
      return prefix;
    }
    return undefined;
  }

  private async run(backend: BackendState, state: BackendPrewarm, prefix: PrewarmPrefix, model: string): Promise<void> {
    const name = backend.config.name;
    const running: Running = { controller: new AbortController(), prefix, startedAt: this.now() };
    state.running = running;
    state.runs++;
    const chain = prewarmChain(prefix);
    const predicted = backend.cache.warmth(chain);
    logger.debug(`prewarm ${name}: sending a ${prefix.tokens}-token prefix (system prompt and tools)`);
    try {
      // The whole prewarm, prefill included, within the backend's timeout.
      const signal = AbortSignal.any([running.controller.signal, AbortSignal.timeout(backend.config.timeoutMs)]);
      const report = await sendPrewarm(backend.config, prefix.head, model, { fetcher: this.options.fetcher, signal });
      if (!report.confirmed) throw new Error("the server did not say it computed the prompt");
      const durationMs = this.now() - running.startedAt;
      // Recorded as idle (tick -Infinity): a prewarm is no conversation in use.
      backend.cache.record(chain, predicted, { cachedTokens: report.cachedTokens, promptTokens: report.promptTokens }, Number.NEGATIVE_INFINITY);
      state.stale.delete(prefix.hash);
      state.failures.delete(prefix.hash);
      state.warmedAt.set(prefix.hash, this.now());
      Object.assign(state, {
        lastWarmedAt: this.now(),
        lastDurationMs: durationMs,
        lastPromptTokens: report.promptTokens,
        lastCachedTokens: report.cachedTokens,
        lastError: undefined,
      });
      const counts =
        report.promptTokens === undefined
          ? ""
          : `${report.promptTokens} prompt tokens${report.cachedTokens === undefined ? "" : ` (${report.cachedTokens} cached)`}, `;
      logger.info(`prewarm ${name}: Claude Code's prefix is warm: ${counts}${(durationMs / 1000).toFixed(1)} s`);
    } catch (error) {
      const seconds = ((this.now() - running.startedAt) / 1000).toFixed(1);
      if (running.cancelledBy || (running.controller.signal.aborted && !this.started)) {
        state.cancelled++;
        logger.info(`prewarm ${name}: cancelled after ${seconds} s (${running.cancelledBy ?? "the daemon is stopping"})`);
      } else {
        const message = error instanceof Error ? error.message : String(error);
        const failure = state.failures.get(prefix.hash);
        state.failures.set(prefix.hash, { at: this.now(), count: (failure?.count ?? 0) + 1 });
        state.lastError = message;
        logger.warn(`prewarm ${name}: failed after ${seconds} s: ${message}`);
      }
    } finally {
      state.running = undefined;
    }
    // The next prefix, if any (a cancelled one waits for the next probe and the quiet period).
    if (!running.cancelledBy) for (const peer of this.peers(backend)) this.schedule(peer);
  }

  // The backends on the same machine as this one (itself included): servers on loopback share it.
  private peers(backend: BackendState): BackendState[] {
    const machine = machineOf(backend);
    return this.options.pool.backends.filter((other) => machineOf(other) === machine);
  }

  // Whether a request is in flight there; ended ones are dropped, the last end remembered.
  private busy(state: BackendPrewarm): boolean {
    for (const trace of state.requests) {
      if (!trace.ended) continue;
      state.requests.delete(trace);
      state.lastRequestEndedAt = Math.max(state.lastRequestEndedAt, trace.record.startedAt + (trace.record.totalMs ?? 0));
    }
    return state.requests.size > 0;
  }

  // Every second, for backends with prefixes to warm: one found down is probed until it is up
  // (the probe's listener then warms it); one that stops answering is marked down.
  private watch(): void {
    for (const backend of this.options.pool.backends) {
      const state = this.state(backend);
      if (state.checking || this.options.store.prefixes(backend.config.name).length === 0) continue;
      state.checking = true;
      void this.check(backend).finally(() => (state.checking = false));
    }
  }

  private async check(backend: BackendState): Promise<void> {
    const { pool } = this.options;
    if (!pool.isHealthy(backend)) {
      if (backend.probe && this.now() - backend.probe.at >= this.watchIntervalMs) await pool.probe(backend);
      return;
    }
    const state = this.state(backend);
    const { sign, noHealthPath } = await checkRestart(backend.config, this.options.fetcher, { port: state.portOnly });
    if (noHealthPath) state.portOnly = true;
    if (sign && pool.isHealthy(backend)) {
      logger.info(`prewarm ${backend.config.name}: the server went away (${sign}); it will be warmed when it is back`);
      pool.markDown(backend, sign);
    }
  }
}

function machineOf(backend: BackendState): string {
  const host = new URL(backend.config.url).hostname.replace(/^\[|\]$/g, "");
  return isLoopback(host) ? "loopback" : host;
}

// The cache model's view of a prewarm: the head, then a tail no real conversation shares.
function prewarmChain(prefix: PrewarmPrefix): Segment[] {
  return [
    { hash: prefix.hash, tokens: prefix.tokens },
    { hash: `prewarm:${prefix.hash}`, tokens: PREWARM_TAIL_TOKENS },
  ];
}
