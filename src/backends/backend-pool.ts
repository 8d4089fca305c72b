// The backends as the daemon knows them: configuration, last health probe, served model, counters
// and the model of each one's prompt cache. Probes run in the background, after any failure, and
// when a request needs a backend the last probe found down.
import type { BackendConfig } from "../config/config-schema";
import { CacheModel } from "../prefix/cache-model";
import { backendQuirks } from "./backend-quirks";
import { probeBackend } from "./probe-backend";
import type { ProbeResult } from "./probe-model-list";

// `at`: when it answered, by the pool's clock; `byCall`: the state comes from a call that could
// not connect after that probe, not from a probe.
export type Probe = ProbeResult & { at: number; byCall?: boolean };

// Told after every probe, with what the previous one found (undefined: the first).
export type ProbeListener = (backend: BackendState, previous: Probe | undefined) => void;

export type BackendStats = { requests: number; promptTokens: number; cachedTokens: number };

export type BackendState = {
  config: BackendConfig;
  probe?: Probe; // undefined until the first probe answers: treated as healthy
  cache: CacheModel;
  stats: BackendStats;
};

const PROBE_INTERVAL_MS = 15_000;
// A backend found down is asked again when a request needs it, at most this often: a server that
// is loading its model (llama-server answers 503 for a while) or an LM Studio started after the
// daemon serves the first request after it is ready, not the first after the next timed probe.
const REPROBE_MIN_MS = 1_000;

// Whether a backend is given tools: as configured, or as it says ("auto"; unsaid counts as yes).
export function takesTools(backend: { config: Pick<BackendConfig, "tools">; probe?: Pick<ProbeResult, "tools"> }): boolean {
  const { tools } = backend.config;
  return tools === "auto" ? (backend.probe?.tools ?? true) : tools;
}

// Whether a backend sees images: what the server itself tells (llama-server's /props
// modalities.vision: a model without a projector refuses image input, "image input is not
// supported ... mmproj", tools/server/server-common.cpp), else its config (its kind's default).
export function takesImages(backend: { config: Pick<BackendConfig, "images">; probe?: Pick<ProbeResult, "images"> }): boolean {
  return backend.probe?.images ?? backend.config.images;
}

function emptyCache(config: BackendConfig): CacheModel {
  return new CacheModel(config.cacheSlots, backendQuirks(config.kind).cachePolicy);
}

export class BackendPool {
  readonly backends: BackendState[];
  private timer?: Timer;
  private readonly probing = new Map<string, Promise<void>>();
  private readonly listeners: ProbeListener[] = [];

  constructor(
    configs: BackendConfig[],
    private readonly fetcher: typeof fetch,
    private readonly now: () => number = Date.now,
  ) {
    this.backends = configs.map((config) => ({ config, cache: emptyCache(config), stats: { requests: 0, promptTokens: 0, cachedTokens: 0 } }));
  }

  // The server loaded another model: nothing it computed before is of use.
  forgetCache(backend: BackendState): void {
    backend.cache = emptyCache(backend.config);
  }

  get(name: string): BackendState {
    const backend = this.backends.find((candidate) => candidate.config.name === name);
    if (!backend) throw new Error(`no backend named "${name}"`);
    return backend;
  }

  isHealthy(backend: BackendState): boolean {
    return backend.probe?.healthy ?? true;
  }

  // The model name sent upstream: configured, else what the backend says it serves.
  upstreamModel(backend: BackendState): string | undefined {
    return backend.config.model ?? backend.probe?.model ?? backendQuirks(backend.config.kind).placeholderModel;
  }

  probeAll(): Promise<void> {
    return Promise.all(this.backends.map((backend) => this.probe(backend))).then(() => undefined);
  }

  // Down backends probed again, unless one was asked within the last second. One that a call
  // found down is asked at once: a server restarted right after the failure serves the next
  // request, not the first after the next second (or the next timed probe).
  reprobeDown(backends: BackendState[] = this.backends): Promise<void> {
    const stale = backends.filter((backend) => !this.isHealthy(backend) && (backend.probe?.byCall || this.now() - (backend.probe?.at ?? 0) >= REPROBE_MIN_MS));
    return Promise.all(stale.map((backend) => this.probe(backend))).then(() => undefined);
  }

  // Backends not yet probed or down, asked now (the launcher's check before it starts claude).
  refresh(): Promise<void> {
    const unsure = this.backends.filter((backend) => !backend.probe || !this.isHealthy(backend));
    return Promise.all(unsure.map((backend) => this.probe(backend))).then(() => undefined);
  }

  // One probe per backend at a time; callers that arrive meanwhile share it.
  probe(backend: BackendState): Promise<void> {
    const name = backend.config.name;
    const running = this.probing.get(name);
    if (running) return running;
    const probe = probeBackend(backend.config, this.fetcher)
      .then((result) => {
        const previous = backend.probe;
        backend.probe = { ...result, at: this.now() };
        for (const listener of this.listeners) listener(backend, previous);
      })
      .finally(() => this.probing.delete(name));
    this.probing.set(name, probe);
    return probe;
  }

  onProbe(listener: ProbeListener): void {
    this.listeners.push(listener);
  }

  // A call could not reach it, even on a fresh connection: down until a probe says otherwise.
  // Listeners are told as after a probe (a replica going down hands its prefixes to the others).
  markDown(backend: BackendState, error: string): void {
    const previous = backend.probe;
    backend.probe = { ...backend.probe, healthy: false, models: backend.probe?.models ?? [], error, at: this.now(), byCall: true };
    if (previous?.healthy ?? true) for (const listener of this.listeners) listener(backend, previous);
  }

  // The other replicas of its pool (none for a backend that is no replica).
  siblings(backend: BackendState): BackendState[] {
    const pool = backend.config.replicaOf;
    return pool ? this.backends.filter((other) => other !== backend && other.config.replicaOf === pool) : [];
  }

  startProbing(intervalMs = PROBE_INTERVAL_MS): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.probeAll(), intervalMs);
    this.timer.unref?.();
  }

  stopProbing(): void {
    clearInterval(this.timer);
  }
}
