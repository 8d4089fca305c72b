// The reliability suite (issue 27): hostile backends and clients against the compiled daemon, a
// fresh process for each case, on loopback. For each: the daemon's peak memory (VmHWM) stays under
// 300 MB, the client gets an Anthropic-shaped error (or a proper end), and the daemon serves the
// next normal request. The figures go to .tmp/reliability.md, where the README's table comes from.
// Reproduce: node_modules/.bin/bun test --timeout=60000 test/reliability/reliability.test.ts
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDaemon, type DaemonProcess } from "../support/daemon-process";
import { startFaultBackend } from "../support/fault-backend";
import { startHostileBackend, type HostileBehavior } from "../support/hostile-backend";
import { holdConnections, tryWrongTokens, waitFor } from "../support/hostile-clients";
import { describeAnswer, readAnswer, type Answer } from "../support/read-answer";
import { rawHttpRequest } from "../emulators/raw-http-request";

const PEAK_LIMIT_MB = 300;
// Well past the limit, well short of what a daemon without limits would take (3 GB and more).
const KILL_ABOVE_MB = 1_000;
const GB = 1024 ** 3;
const MB = 1024 ** 2;
const TOKEN = "reliability-suite-token-0123456789abcdef";
// Read like Claude Code would: all of it (counted, not kept), but not forever.
const READ_LIMITS = { maxBytes: 4 * GB, timeoutMs: 25_000 };

const bash = { name: "Bash", description: "Runs a shell command", input_schema: { type: "object", properties: { command: { type: "string" } }, required: ["command"] } };
const ask = { model: "claude-opus-5-5", max_tokens: 32_000, stream: true, tools: [bash], messages: [{ role: "user", content: "List the files" }] };
const normal = { model: "claude-opus-5-5", max_tokens: 64, stream: true, messages: [{ role: "user", content: "Say ok" }] };

type Row = { name: string; peakMb: number; rssMb: number; answer: string; next: string };
const rows: Row[] = [];

const post = (daemon: DaemonProcess, body: object, token?: string) =>
  fetch(`${daemon.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", ...(token ? { "x-api-key": token } : {}) }, body: JSON.stringify(body) });

// The next normal request, answered in full: "ok", or what went wrong.
async function nextRequest(daemon: DaemonProcess, token?: string): Promise<string> {
  if (daemon.guard.killed) return `none: the daemon was killed above ${KILL_ABOVE_MB} MB`;
  if (!daemon.alive()) return "none: the daemon exited";
  const answer = await post(daemon, normal, token).then((response) => readAnswer(response, { maxBytes: MB, timeoutMs: 10_000 }), (error) => String(error));
  if (typeof answer === "string") return answer;
  return answer.status === 200 && answer.events.at(-1) === "message_stop" && answer.textChars > 0 ? "ok" : describeAnswer(answer);
}

function record(name: string, daemon: DaemonProcess, answer: string, next: string): Row {
  const memory = daemon.memory();
  const row = { name, peakMb: memory.peakMb, rssMb: memory.rssMb, answer, next };
  rows.push(row);
  return row;
}

const isAnthropicError = (answer: Answer) => !answer.cut && typeof answer.error?.type === "string" && typeof answer.error?.message === "string";
// A reply the daemon ended itself: an error event, or cut at the request's max_tokens.
const endedByDaemon = (answer: Answer) => isAnthropicError(answer) || (!answer.cut && answer.stopReason === "max_tokens" && answer.events.at(-1) === "message_stop");

async function hostileBackendCase(name: string, behavior: HostileBehavior, check: (answer: Answer) => void): Promise<void> {
  const backend = await startHostileBackend(behavior);
  const daemon = await startDaemon({ backends: [{ name: "llama", kind: "openai", url: backend.url, tools: true }] }, { killAboveMb: KILL_ABOVE_MB });
  try {
    const answer = await readAnswer(await post(daemon, ask), READ_LIMITS);
    backend.setBehavior({ kind: "normal" });
    const row = record(name, daemon, describeAnswer(answer), await nextRequest(daemon));
    expect(row.peakMb).toBeLessThan(PEAK_LIMIT_MB);
    check(answer);
    expect(row.next).toBe("ok");
  } finally {
    await daemon.stop();
    await backend.stop();
  }
}

describe("hostile backends", () => {
  test("an idle daemon (the baseline)", async () => {
    const backend = await startHostileBackend({ kind: "normal" });
    const daemon = await startDaemon({ backends: [{ name: "llama", kind: "openai", url: backend.url, tools: true }] }, { killAboveMb: KILL_ABOVE_MB });
    try {
      const next = await nextRequest(daemon);
      expect(record("an idle daemon, one normal request", daemon, "-", next).next).toBe("ok");
    } finally {
      await daemon.stop();
      await backend.stop();
    }
  });

  test("a stream that never stops writing text", () => hostileBackendCase("text that never ends (up to 3 GB)", { kind: "endless-text", capBytes: 3 * GB }, (answer) => expect(endedByDaemon(answer)).toBe(true)));

  test("tool-call arguments that never end", () =>
    hostileBackendCase("tool-call arguments that never end (up to 3 GB)", { kind: "endless-tool-arguments", capBytes: 3 * GB }, (answer) => {
      expect(endedByDaemon(answer)).toBe(true);
      expect(answer.toolUses).toEqual([]); // a call never finished is never handed over
    }));

  test("a 500 MB SSE line with no newline", () => hostileBackendCase("a 500 MB SSE line, no newline", { kind: "endless-line", capBytes: 500 * MB }, (answer) => expect(isAnthropicError(answer)).toBe(true)));

  test("a 1 GB HTML page with status 200", () => hostileBackendCase("a 1 GB HTML page, status 200", { kind: "html", capBytes: GB }, (answer) => expect(isAnthropicError(answer)).toBe(true)));

  test("a 400 MB error body", () =>
    hostileBackendCase("a 400 MB error body (500)", { kind: "error-body", capBytes: 400 * MB }, (answer) => {
      expect(isAnthropicError(answer)).toBe(true);
      expect(answer.error!.message.length).toBeLessThan(64 * 1024);
    }));

  test("a backend that sends only [DONE]", () => hostileBackendCase("only [DONE]", { kind: "done-only" }, (answer) => expect(isAnthropicError(answer)).toBe(true)));

  test("negative and 1e308 usage", () =>
    hostileBackendCase("usage -5, 1e308", { kind: "absurd-usage" }, (answer) => {
      expect(answer).toMatchObject({ status: 200, stopReason: "end_turn", error: undefined, cut: undefined });
      for (const value of answer.usageNumbers.filter((value) => typeof value === "number")) expect([value, Number.isSafeInteger(value) && (value as number) >= 0]).toEqual([value, true]);
    }));

  test("a backend that repeats tool-call ids", () =>
    hostileBackendCase("two tool calls with one id", { kind: "repeated-tool-ids" }, (answer) => {
      expect(answer).toMatchObject({ status: 200, stopReason: "tool_use", error: undefined });
      expect(new Set(answer.toolUses.map((use) => use.id)).size).toBe(answer.toolUses.length);
      expect(answer.toolUses.map((use) => JSON.parse(use.input))).toEqual([{ command: "ls" }, { command: "pwd" }]);
    }));

  test("a tool call cut off with finish_reason tool_calls", () =>
    hostileBackendCase("a tool call cut off, finish_reason tool_calls", { kind: "cut-tool-call" }, (answer) => {
      expect(answer.cut).toBeUndefined();
      expect(answer.toolUses).toEqual([]); // `{"command": "rm -rf /tmp/bui` is never runnable
    }));

  test("a backend that resets the connection mid-stream", async () => {
    const backend = await startFaultBackend({ kind: "die-mid-stream", afterChunks: 3 });
    const daemon = await startDaemon({ backends: [{ name: "llama", kind: "openai", url: backend.url, tools: true }] }, { killAboveMb: KILL_ABOVE_MB });
    try {
      const answer = await readAnswer(await post(daemon, ask), READ_LIMITS);
      backend.setBehavior({ kind: "stream", chunks: 2, intervalMs: 5 });
      const row = record("a connection reset mid-stream", daemon, describeAnswer(answer), await nextRequest(daemon));
      expect(row.peakMb).toBeLessThan(PEAK_LIMIT_MB);
      expect(isAnthropicError(answer)).toBe(true);
      expect(row.next).toBe("ok");
    } finally {
      await daemon.stop();
      await backend.stop();
    }
  });
});

afterAll(() => {
  const table = ["| case | peak MB (VmHWM) | MB held after (VmRSS) | the client's answer | next request |", "|---|---|---|---|---|"];
  for (const row of rows) table.push(`| ${row.name} | ${row.peakMb} | ${row.rssMb} | ${row.answer} | ${row.next} |`);
  const text = `${table.join("\n")}\n`;
  mkdirSync(join(import.meta.dir, "../../.tmp"), { recursive: true });
  writeFileSync(join(import.meta.dir, "../../.tmp/reliability.md"), text);
  process.stdout.write(`\n${text}`);
});
