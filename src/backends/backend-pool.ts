// The backends as the daemon knows them: configuration, last health probe, served model, counters
// and the model of each one's prompt cache. Probes run in the background and after any failure.
import type { BackendConfig } from "../config/config-schema";
import { CacheModel } from "../prefix/cache-model";
import { backendQuirks } from "./backend-quirks";
import { probeBackend, type Probe } from "./probe-backend";

export type BackendStats = { requests: number; promptTokens: number; cachedTokens: number };

export type BackendState = {
  config: BackendConfig;
  probe?: Probe; // undefined until the first probe answers: treated as healthy
  cache: CacheModel;
  stats: BackendStats;
};

const PROBE_INTERVAL_MS = 15_000;

export class BackendPool {
  readonly backends: BackendState[];
  private timer?: Timer;
  private readonly probing = new Map<string, Promise<void>>();

  constructor(
    configs: BackendConfig[],
    private readonly fetcher: typeof fetch,
  ) {
    this.backends = configs.map((config) => ({
      config,
      cache: new CacheModel(config.cacheSlots, backendQuirks(config.kind).cachePolicy),
      stats: { requests: 0, promptTokens: 0, cachedTokens: 0 },
    }));
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
    return backend.config.model ?? backend.probe?.model ?? (backend.config.kind === "mlx-lm" ? "default_model" : undefined);
  }

  probeAll(): Promise<void> {
    return Promise.all(this.backends.map((backend) => this.probe(backend))).then(() => undefined);
  }

  // One probe per backend at a time; callers that arrive meanwhile share it.
  probe(backend: BackendState): Promise<void> {
    const name = backend.config.name;
    const running = this.probing.get(name);
    if (running) return running;
    const probe = probeBackend(backend.config, this.fetcher)
      .then((result) => void (backend.probe = result))
      .finally(() => this.probing.delete(name));
    this.probing.set(name, probe);
    return probe;
  }

  // A call failed to connect: the backend is down until a probe says otherwise.
  markDown(backend: BackendState, error: string): void {
    backend.probe = { healthy: false, models: backend.probe?.models ?? [], error };
    void this.probe(backend);
  }

  startProbing(intervalMs = PROBE_INTERVAL_MS): void {
    this.timer = setInterval(() => void this.probeAll(), intervalMs);
    this.timer.unref?.();
  }

  stopProbing(): void {
    clearInterval(this.timer);
  }
}
