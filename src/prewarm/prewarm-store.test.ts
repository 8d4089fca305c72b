import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../config/resolve-config";
import { PREWARM_FILE, type PrewarmPrefix, PrewarmStore } from "./prewarm-store";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "anyclaude-prewarm-"));
  dirs.push(dir);
  return join(dir, "state"); // not there yet: created on the first write
}

const { backends } = resolveConfig(
  {
    backends: [
      { name: "mlx-lm", kind: "mlx-lm", url: "http://127.0.0.1:8081/v1" },
      { name: "old-mlx", kind: "mlx-lm", url: "http://127.0.0.1:8083/v1", cacheSlots: 1 },
    ],
  },
  {},
);
const prefix = (hash: string): PrewarmPrefix => ({
  hash,
  tokens: 20_000,
  head: { api: "chat", fields: { messages: [{ role: "system", content: hash }] } },
  seenAt: 1,
});

describe("PrewarmStore", () => {
  test("newest first, a few per backend, never more than its cache keeps", () => {
    const store = new PrewarmStore(backends);
    for (const hash of ["a", "b", "c", "d", "b"]) {
      store.remember("mlx-lm", prefix(hash));
      store.remember("old-mlx", prefix(hash));
    }
    expect(store.prefixes("mlx-lm").map((entry) => entry.hash)).toEqual(["b", "d", "c"]);
    expect(store.prefixes("old-mlx").map((entry) => entry.hash)).toEqual(["b"]);
    expect(store.prefixes("unknown")).toEqual([]);
  });

  test("kept across restarts in <state dir>/prewarm.json, written whole by a rename", async () => {
    const dir = stateDir();
    const first = new PrewarmStore(backends, dir);
    first.remember("mlx-lm", prefix("a"));
    first.remember("mlx-lm", prefix("b"));
    await first.flush();
    expect(readdirSync(dir)).toEqual([PREWARM_FILE]); // no temporary file left behind
    expect(new PrewarmStore(backends, dir).prefixes("mlx-lm")).toEqual([prefix("b"), prefix("a")]);
    // The same backend name with another kind: its bodies are of no use.
    const renamed = backends.map((backend) => (backend.name === "mlx-lm" ? { ...backend, kind: "lmstudio" as const } : backend));
    expect(new PrewarmStore(renamed, dir).prefixes("mlx-lm")).toEqual([]);
  });

  test("a temporary file a killed daemon left behind is removed on start; a running one's stays", () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    const dead = Bun.spawnSync(["true"]).pid; // exited: its pid is no process now
    for (const name of [`${PREWARM_FILE}.${dead}.tmp`, `${PREWARM_FILE}.${process.pid}.tmp`, "notes.txt", `other.json.${dead}.tmp`])
      writeFileSync(join(dir, name), "{");
    new PrewarmStore(backends, dir);
    expect(readdirSync(dir).sort()).toEqual([`${PREWARM_FILE}.${process.pid}.tmp`, "notes.txt", `other.json.${dead}.tmp`].sort());
  });

  test("a damaged file is ignored, and replaced by the next write", async () => {
    const dir = stateDir();
    new PrewarmStore(backends, dir).remember("mlx-lm", prefix("a"));
    await Bun.sleep(300);
    writeFileSync(join(dir, PREWARM_FILE), "{ not json");
    const store = new PrewarmStore(backends, dir);
    expect(store.prefixes("mlx-lm")).toEqual([]);
    store.remember("mlx-lm", prefix("c"));
    await store.flush();
    expect(JSON.parse(readFileSync(join(dir, PREWARM_FILE), "utf8")).backends["mlx-lm"].prefixes[0].hash).toBe("c");
  });

  test("without a state directory nothing is written", async () => {
    const store = new PrewarmStore(backends);
    store.remember("mlx-lm", prefix("a"));
    await store.flush();
    expect(store.path).toBeUndefined();
    expect(existsSync(join(tmpdir(), PREWARM_FILE))).toBe(false);
  });

  // Issue 18: it holds whole system prompts (CLAUDE.md included), and was written 0644.
  test("the file is the user's own (0600), in a directory that is too (0700), also one an older version left readable", async () => {
    const dir = stateDir();
    const store = new PrewarmStore(backends, dir);
    store.remember("mlx-lm", prefix("a"));
    await store.flush();
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(join(dir, PREWARM_FILE))).toBe(0o600);
    expect(mode(dir)).toBe(0o700);

    const old = stateDir();
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    writeFileSync(join(old, PREWARM_FILE), readFileSync(join(dir, PREWARM_FILE)), { mode: 0o644 });
    chmodSync(join(old, PREWARM_FILE), 0o644);
    expect(new PrewarmStore(backends, old).prefixes("mlx-lm")).toHaveLength(1);
    expect(mode(join(old, PREWARM_FILE))).toBe(0o600);
    expect(mode(old)).toBe(0o700);
  });
});
