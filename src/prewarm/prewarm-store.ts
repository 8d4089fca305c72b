// The prefixes Claude Code sessions sent each backend most recently, newest first, kept across
// daemon restarts in `<state dir>/prewarm.json`. A few per backend (projects differ by the path in
// their system prompt), never more than the backend's cache keeps. Written whole, to a temporary
// file renamed over the old one, only when the list changes (a new prefix, or another one becomes
// the newest), never on the request path. It holds whole system prompts: 0600, in a 0700 directory.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { BACKEND_KINDS, type BackendConfig } from "../config/config-schema";
import { logger } from "../logger";
import { ensurePrivateDir, makePrivate, removeStaleTemporaries, writePrivateFile } from "../private-files";
import type { PrewarmHead } from "./prewarm-head";

export const PREWARM_FILE = "prewarm.json";
const MAX_PREFIXES = 3;
const WRITE_DELAY_MS = 200;

// hash: the head's segment hash, as the cache model keys it (prefix-chain.ts); tokens: estimated.
export type PrewarmPrefix = { hash: string; tokens: number; head: PrewarmHead; seenAt: number };

const PrefixSchema = v.object({
  hash: v.string(),
  tokens: v.number(),
  head: v.object({ api: v.picklist(["chat", "messages"]), fields: v.record(v.string(), v.unknown()) }),
  seenAt: v.number(),
});
const FileSchema = v.object({
  version: v.literal(1),
  backends: v.record(v.string(), v.object({ kind: v.picklist(BACKEND_KINDS), prefixes: v.array(PrefixSchema) })),
});

export class PrewarmStore {
  private readonly byBackend = new Map<string, PrewarmPrefix[]>();
  private timer?: Timer;
  private writing: Promise<void> = Promise.resolve();

  // `dir` undefined: kept in memory only (tests of the app in process).
  constructor(
    private readonly backends: BackendConfig[],
    private readonly dir?: string,
  ) {
    this.load();
  }

  get path(): string | undefined {
    return this.dir && join(this.dir, PREWARM_FILE);
  }

  prefixes(backend: string): readonly PrewarmPrefix[] {
    return this.byBackend.get(backend) ?? [];
  }

  // A prefix a backend was just sent: now its newest. Saved when that changes the list.
  remember(backend: string, prefix: PrewarmPrefix): void {
    const config = this.backends.find((candidate) => candidate.name === backend);
    if (!config) return;
    const list = this.byBackend.get(backend) ?? [];
    // Compared, not serialized: the tool list is shared between requests (see tool-list-cache.ts),
    // so an unchanged head compares by reference and the system prompt's text in one pass.
    const changed = list[0]?.hash !== prefix.hash || !Bun.deepEquals(list[0]?.head, prefix.head);
    this.byBackend.set(backend, [prefix, ...list.filter((other) => other.hash !== prefix.hash)].slice(0, limit(config)));
    if (changed) this.scheduleWrite();
  }

  // Pending writes done (the daemon stopping).
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.write();
    }
    await this.writing;
  }

  private load(): void {
    const path = this.path;
    if (!path) return;
    removeStaleTemporaries(path); // a daemon killed while it wrote
    let json: unknown;
    try {
      // One an older version wrote is readable by all (0644): private from now on.
      if (makePrivate(path)) ensurePrivateDir(this.dir!);
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        logger.warn(`prewarm: ignoring ${path}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const parsed = v.safeParse(FileSchema, json);
    if (!parsed.success) return void logger.warn(`prewarm: ignoring ${path}: ${v.summarize(parsed.issues)}`);
    for (const config of this.backends) {
      const saved = parsed.output.backends[config.name];
      // Another kind under the same name gets other bodies: its prefixes are of no use.
      if (saved && saved.kind === config.kind) this.byBackend.set(config.name, saved.prefixes.slice(0, limit(config)));
    }
  }

  private scheduleWrite(): void {
    if (!this.path || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, WRITE_DELAY_MS);
    this.timer.unref?.();
  }

  private write(): void {
    const path = this.path;
    if (!path || !this.dir) return;
    const backends = Object.fromEntries(
      this.backends
        .filter((config) => this.byBackend.has(config.name))
        .map((config) => [config.name, { kind: config.kind, prefixes: this.byBackend.get(config.name) }]),
    );
    const text = JSON.stringify({ version: 1, backends });
    const dir = this.dir;
    this.writing = this.writing.then(async () => {
      try {
        ensurePrivateDir(dir);
        await writePrivateFile(path, text);
      } catch (error) {
        logger.warn(`prewarm: cannot save ${path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }
}

// A few projects, but no more than the backend's cache keeps (mlx-lm before 0.28.4 keeps one).
function limit(config: BackendConfig): number {
  return Math.min(MAX_PREFIXES, config.cacheSlots);
}
