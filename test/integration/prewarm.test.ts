// Prewarming against the emulated servers: after a backend restarts, the daemon sends it the
// system prompt and tools of the sessions it served, so a new session's first request finds them
// cached (the cached tokens are what the emulated server counted); a real request arriving
// meanwhile cancels the prewarm and is served; "prewarm": false sends nothing; the prefixes
// outlive the daemon (prewarm.json in its state directory).
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import type { BackendKind, ConfigFile } from "../../src/config/config-schema";
import { resolveConfig } from "../../src/config/resolve-config";
import { PREWARM_FILE } from "../../src/prewarm/prewarm-store";
import { startServer, type RunningServer } from "../../src/server/start-server";
import { encodeTokens, type EmulatorHandle, startLmStudioServer, startMlxLmServer } from "../emulators";
import { claudeCodePrompt } from "../support/claude-code-fixture";

const PROMPT_TOKENS = 6_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Emulated = { kind: BackendKind; start: (options: { port?: number; prefillTokensPerSecond?: number }) => Promise<EmulatorHandle> };
// kind "openai" stands for llama-server: the LM Studio emulator keeps llama.cpp's slots.
const EMULATED: Emulated[] = [
  { kind: "mlx-lm", start: (options) => startMlxLmServer(options) },
  { kind: "lmstudio", start: (options) => startLmStudioServer(options) },
  { kind: "openai", start: (options) => startLmStudioServer(options) },
];

async function emulator(emulated: Emulated, options: { port?: number; prefillTokensPerSecond?: number } = {}): Promise<EmulatorHandle> {
  const handle = await emulated.start(options);
  cleanups.push(() => handle.stop());
  return handle;
}

function tempStateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "anyclaude-prewarm-state-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function daemon(
  kind: BackendKind,
  url: string,
  stateDir: string,
  file: Partial<ConfigFile> = {},
  probeIntervalMs?: number,
): Promise<{ server: RunningServer; client: Anthropic; status: () => Promise<any> }> {
  const config = resolveConfig({ port: 0, backends: [{ name: "local", kind, url, tools: true }], ...file }, {});
  // The pool's probes 15 s apart, as in use: the restart checks between them (every 50 ms here)
  // see the server go away. The quiet period long, so only a restart warms here.
  const server = await startServer({ config, stateDir, probeIntervalMs, prewarm: { watchIntervalMs: 50, quietMs: 60_000 } });
  cleanups.push(() => server.stop());
  const client = new Anthropic({ baseURL: server.url, apiKey: "test-key", maxRetries: 0 });
  const status = async () => ((await (await fetch(`${server.url}/anyclaude/status`)).json()) as any).backends[0];
  return { server, client, status };
}

// A new Claude Code session's first question, on the same system prompt and tools.
function ask(client: Anthropic, question: string) {
  const { system, tools } = claudeCodePrompt(PROMPT_TOKENS, "nonce");
  return client.messages
    .stream({
      model: "claude-opus-5-5",
      max_tokens: 64,
      system,
      tools: tools as unknown as Anthropic.Tool[],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>Today's date is 2026-12-01.</system-reminder>" },
            { type: "text", text: question },
          ],
        },
      ],
    })
    .finalMessage();
}

// The system prompt and tools as the server rendered them: everything before the first user turn.
function headTokens(handle: EmulatorHandle): number {
  const prompt = handle.requests.at(-1)!.promptText!;
  return encodeTokens(prompt.slice(0, prompt.indexOf("<|im_start|>user"))).length;
}

const prewarms = (handle: EmulatorHandle) => handle.requests.filter((request) => request.body.max_tokens === 1);

async function waitFor<T>(what: string, probe: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The server goes away, the daemon sees it down, and it comes back with an empty cache.
async function restart(
  emulated: Emulated,
  old: EmulatorHandle,
  status: () => Promise<any>,
  options: { prefillTokensPerSecond?: number } = {},
): Promise<EmulatorHandle> {
  await old.stop();
  await waitFor("the daemon to see the backend down", async () => !(await status()).healthy);
  return emulator(emulated, { port: old.port, ...options });
}

for (const emulated of EMULATED) {
  describe(`prewarm through ${emulated.kind}`, () => {
    test("after a restart, a new session's first request finds the system prompt and tools cached", async () => {
      const first = await emulator(emulated);
      const { client, status } = await daemon(emulated.kind, first.url, tempStateDir());
      await ask(client, "What does this project do?");
      expect(first.requests.at(-1)!.cachedTokens).toBe(0); // cold: nothing warmed it
      expect(prewarms(first)).toHaveLength(0); // the server held the prefix: nothing to warm
      await waitFor("the prefix to be remembered", async () => (await status()).prewarm.prefixes === 1);

      const second = await restart(emulated, first, status);
      const warmed = await waitFor("the prewarm", async () => ((await status()).prewarm.warm ? status() : undefined));
      expect(warmed.prewarm).toMatchObject({ enabled: true, warm: true, running: false, prefixes: 1, runs: 1, cancelled: 0, lastError: null });
      expect(Date.parse(warmed.prewarm.lastWarmedAt)).toBeGreaterThan(Date.now() - 10_000);
      expect(warmed.prewarm.lastDurationMs).toBeGreaterThanOrEqual(0);
      const [prewarm] = prewarms(second);
      expect(prewarm!.body).toMatchObject({ max_tokens: 1, stream: true });
      expect(prewarm!.body.model).toBe(emulated.kind === "mlx-lm" ? "default_model" : "qwen/qwen3-coder-30b");

      await ask(client, "A different first question entirely");
      const head = headTokens(second);
      expect(head).toBeGreaterThan(PROMPT_TOKENS * 0.8);
      expect(second.requests.at(-1)!.cachedTokens).toBeGreaterThanOrEqual(head);
    });
  });
}

describe("prewarm", () => {
  const mlx = EMULATED[0]!;

  test("a real request arriving during a prewarm cancels it and is served at once", async () => {
    const first = await emulator(mlx);
    const { client, status } = await daemon("mlx-lm", first.url, tempStateDir());
    await ask(client, "What does this project do?");
    await waitFor("the prefix to be remembered", async () => (await status()).prewarm.prefixes === 1);
    // Back with a slow prefill: the prewarm's ~6,000 tokens take 6 s.
    const second = await restart(mlx, first, status, { prefillTokensPerSecond: 1_000 });
    await waitFor("the prewarm to start", () => prewarms(second).length === 1);
    const started = Date.now();
    const reply = await client.messages.create({ model: "claude-opus-5-5", max_tokens: 64, messages: [{ role: "user", content: "What is 2+2?" }] });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(reply.content[0]).toMatchObject({ type: "text", text: "4" });
    const after = await status();
    expect(after.prewarm).toMatchObject({ running: false, warm: false, cancelled: 1, lastWarmedAt: null });
    await Bun.sleep(500);
    expect(prewarms(second)).toHaveLength(1); // not sent again right after: the backend was just used
  });

  test("a request for another backend on the same machine cancels it too: they share its GPU", async () => {
    const first = await emulator(mlx);
    const lmstudio = await emulator(EMULATED[1]!);
    const config = resolveConfig(
      {
        port: 0,
        backends: [
          { name: "mlx-lm", kind: "mlx-lm", url: first.url, tools: true },
          { name: "lmstudio", kind: "lmstudio", url: lmstudio.url },
        ],
        routing: { toolsBackend: "mlx-lm", defaultBackend: "mlx-lm" },
      },
      {},
    );
    const server = await startServer({ config, stateDir: tempStateDir(), prewarm: { watchIntervalMs: 50, quietMs: 60_000 } });
    cleanups.push(() => server.stop());
    const client = new Anthropic({ baseURL: server.url, apiKey: "test-key", maxRetries: 0 });
    const mlxStatus = async () => ((await (await fetch(`${server.url}/anyclaude/status`)).json()) as any).backends[0];
    await ask(client, "What does this project do?");
    await waitFor("the prefix to be remembered", async () => (await mlxStatus()).prewarm.prefixes === 1);
    const second = await restart(mlx, first, mlxStatus, { prefillTokensPerSecond: 1_000 });
    await waitFor("the prewarm to start", () => prewarms(second).length === 1);
    await client.messages.create({ model: "lmstudio", max_tokens: 16, messages: [{ role: "user", content: "What is 2+2?" }] });
    expect((await mlxStatus()).prewarm).toMatchObject({ running: false, cancelled: 1 });
  });

  test('"prewarm": false sends nothing and keeps nothing', async () => {
    const dir = tempStateDir();
    const first = await emulator(mlx);
    // Off, nothing watches for restarts: the pool's probes see it (every 50 ms here).
    const { client, status } = await daemon("mlx-lm", first.url, dir, { prewarm: false }, 50);
    await ask(client, "What does this project do?");
    const second = await restart(mlx, first, status);
    await waitFor("the daemon to see the backend up", async () => (await status()).healthy);
    await Bun.sleep(500);
    expect(second.requests).toHaveLength(0);
    expect((await status()).prewarm).toMatchObject({ enabled: false, warm: false, prefixes: 0, runs: 0 });
    expect(existsSync(join(dir, PREWARM_FILE))).toBe(false);
  });

  test("the prefixes outlive the daemon: a new daemon warms a fresh server before the first session", async () => {
    const dir = tempStateDir();
    const first = await emulator(mlx);
    const before = await daemon("mlx-lm", first.url, dir);
    await before.client.messages.create({ model: "claude-opus-5-5", max_tokens: 16, messages: [{ role: "user", content: "hello" }] }); // too short to remember
    await ask(before.client, "What does this project do?");
    await before.server.stop();
    expect(existsSync(join(dir, PREWARM_FILE))).toBe(true);
    await first.stop();

    const second = await emulator(mlx, { port: first.port });
    const after = await daemon("mlx-lm", second.url, dir);
    await waitFor("the prewarm", async () => (await after.status()).prewarm.warm);
    expect(prewarms(second)).toHaveLength(1);
    await ask(after.client, "A different first question entirely");
    expect(second.requests.at(-1)!.cachedTokens).toBeGreaterThanOrEqual(headTokens(second));
  });
});
