// `anyclaude statusline` as Claude Code runs it: its recorded statusLine JSON on stdin (Claude
// Code 2.1.197, interactive, `--settings '{"statusLine":...}'`), one line on stdout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatStatusLine } from "../../src/cli/format-status-line";
import type { SessionReport } from "../../src/server/status-report";
import { startStack, type Stack } from "../support/start-stack";
import { compiledBinary, freePort, runBinary, sandbox } from "../support/compiled-binary";

const STDIN = readFileSync(new URL("../fixtures/claude-code/statusline.stdin.json", import.meta.url), "utf8");
const SESSION_ID: string = JSON.parse(STDIN).session_id;

beforeAll(() => void compiledBinary());

const record = (fields: Partial<SessionReport>): SessionReport =>
  ({
    backend: "mlx-lm",
    model: "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit",
    route: "affinity",
    startedAt: "2026-05-01T12:00:00.000Z",
    state: "done",
    elapsedMs: 0,
    ...fields,
  }) as SessionReport;

describe("the status line, formatted", () => {
  test("a finished reply: backend, model, cached share, time to first token, decode speed", () => {
    expect(formatStatusLine(record({ promptTokens: 18_500, cachedTokens: 18_400, ttftMs: 412, decodeTokensPerSecond: 48.2 }))).toBe(
      "mlx-lm · Qwen3-Coder-30B-A3B-Instruct-4bit · 99% cached · ttft 0.41 s · 48.2 tok/s",
    );
  });

  test("a prefill in progress: how far, in tokens, and for how long", () => {
    expect(formatStatusLine(record({ state: "prefill", progress: { processed: 8_192, total: 18_490 }, elapsedMs: 12_500 }))).toBe(
      "mlx-lm · Qwen3-Coder-30B-A3B-Instruct-4bit · prefill 44% (8,192/18,490 tokens) 12.5 s",
    );
    expect(formatStatusLine(record({ backend: "lmstudio", model: "qwen/qwen3-coder-30b", state: "prefill", elapsedMs: 3_000 }))).toBe(
      "lmstudio · qwen3-coder-30b · prefill 3.00 s",
    );
  });

  test("held while another request computes the prefix it shares (parallel subagents)", () => {
    expect(formatStatusLine(record({ state: "waiting", elapsedMs: 2_500 }))).toBe(
      "mlx-lm · Qwen3-Coder-30B-A3B-Instruct-4bit · waiting for a shared prefill 2.50 s",
    );
  });

  test("generating, and a failure with its reason", () => {
    expect(formatStatusLine(record({ state: "generating", promptTokens: 100, cachedTokens: 0, ttftMs: 30_100 }))).toBe(
      "mlx-lm · Qwen3-Coder-30B-A3B-Instruct-4bit · 0% cached · ttft 30.1 s · generating",
    );
    expect(formatStatusLine(record({ state: "failed", error: "backend closed the stream" }))).toBe(
      "mlx-lm · Qwen3-Coder-30B-A3B-Instruct-4bit · failed: backend closed the stream",
    );
  });
});

describe("anyclaude statusline", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  test("with Claude Code's stdin: the session's last request, served by the backend that served it", async () => {
    const { env } = sandbox();
    expect(await runBinary(["statusline", "--url", stack.url], env, { stdin: STDIN })).toEqual({ exitCode: 0, stdout: "anyclaude: ready\n", stderr: "" });
    await fetch(`${stack.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-claude-code-session-id": SESSION_ID },
      body: JSON.stringify({ model: "claude-opus-4-8", max_tokens: 100, stream: true, messages: [{ role: "user", content: "What is 2+2?" }] }),
    }).then((response) => response.text());
    const recorded = stack.mlx.requests.at(-1)!;
    const run = await runBinary(["statusline", "--url", stack.url], env, { stdin: STDIN });
    expect(run.stderr).toBe("");
    expect(run.stdout).toStartWith(`mlx-lm · default_model · ${Math.round((100 * recorded.cachedTokens!) / recorded.promptTokens!)}% cached · ttft `);
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
  });

  test("the daemon down: nothing on stdout or stderr, exit 0, at once", async () => {
    const { env } = sandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    const started = performance.now();
    expect(await runBinary(["statusline"], env, { stdin: STDIN })).toEqual({ exitCode: 0, stdout: "", stderr: "" });
    // Well under 100 ms on a desktop; this shared test machine gets room.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test("no JSON on stdin, a broken config or an unknown flag: still silent", async () => {
    const { env, home } = sandbox();
    env.ANYCLAUDE_CONFIG = join(home, "config.json");
    writeFileSync(env.ANYCLAUDE_CONFIG, "{ not json");
    expect(await runBinary(["statusline"], env, { stdin: "not json" })).toEqual({ exitCode: 0, stdout: "", stderr: "" });
    expect(await runBinary(["statusline"], env, { stdin: STDIN })).toEqual({ exitCode: 0, stdout: "", stderr: "" });
    expect(await runBinary(["statusline", "--bogus"], env, { stdin: STDIN })).toEqual({ exitCode: 0, stdout: "", stderr: "" });
  });
});
