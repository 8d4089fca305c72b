// The reliability suite (issue 27): hostile backends and clients against the compiled daemon, a
// fresh process for each case, on loopback. For each: the daemon's peak memory (VmHWM) stays under
// 300 MB, the client gets an Anthropic-shaped error (or a proper end), and the daemon serves the
// next normal request. The figures go to .tmp/reliability.md, where the README's table comes from.
// Reproduce: node_modules/.bin/bun test --timeout=60000 test/reliability/reliability.test.ts
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
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

const bash = {
  name: "Bash",
  description: "Runs a shell command",
  input_schema: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
};
const ask = { model: "claude-opus-5-5", max_tokens: 32_000, stream: true, tools: [bash], messages: [{ role: "user", content: "List the files" }] };
const normal = { model: "claude-opus-5-5", max_tokens: 64, stream: true, messages: [{ role: "user", content: "Say ok" }] };

type Row = { name: string; peakMb: number; rssMb: number; answer: string; next: string };
const rows: Row[] = [];

const post = (daemon: DaemonProcess, body: object, token?: string) =>
  fetch(`${daemon.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { "x-api-key": token } : {}) },
    body: JSON.stringify(body),
  });

// The next normal request, answered in full: "ok", or what went wrong.
async function nextRequest(daemon: DaemonProcess, token?: string): Promise<string> {
  if (daemon.guard.killed) return `none: the daemon was killed above ${KILL_ABOVE_MB} MB`;
  if (!daemon.alive()) return "none: the daemon exited";
  const answer = await post(daemon, normal, token).then(
    (response) => readAnswer(response, { maxBytes: MB, timeoutMs: 10_000 }),
    (error) => String(error),
  );
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
const endedByDaemon = (answer: Answer) =>
  isAnthropicError(answer) || (!answer.cut && answer.stopReason === "max_tokens" && answer.events.at(-1) === "message_stop");

// A fresh daemon for one case, its one backend `backend` (with a token: as a LAN daemon has one);
// both stopped afterwards, whatever happened.
async function withDaemon<B extends { url: string; stop(): Promise<void> }>(
  backend: B,
  token: string | undefined,
  run: (daemon: DaemonProcess) => Promise<void>,
): Promise<void> {
  const daemon = await startDaemon(
    { ...(token ? { authToken: token } : {}), backends: [{ name: "llama", kind: "openai", url: backend.url, tools: true }] },
    { killAboveMb: KILL_ABOVE_MB, token },
  );
  try {
    await run(daemon);
  } finally {
    await daemon.stop();
    await backend.stop();
  }
}

// The answer to `ask` from a backend that behaves so, then the next request from one that behaves.
async function hostileBackendCase(name: string, behavior: HostileBehavior, check: (answer: Answer) => void): Promise<void> {
  const backend = await startHostileBackend(behavior);
  await withDaemon(backend, undefined, async (daemon) => {
    const answer = await readAnswer(await post(daemon, ask), READ_LIMITS);
    backend.setBehavior({ kind: "normal" });
    const row = record(name, daemon, describeAnswer(answer), await nextRequest(daemon));
    expect(row.peakMb).toBeLessThan(PEAK_LIMIT_MB);
    check(answer);
    expect(row.next).toBe("ok");
  });
}

// ["a", "b", "a"] -> ["a x2", "b x1"]
const tally = (values: string[]) => Object.entries(Object.groupBy(values, (value) => value)).map(([value, all]) => `${value} x${all!.length}`);

describe("hostile backends", () => {
  test("an idle daemon (the baseline)", async () => {
    const backend = await startHostileBackend({ kind: "normal" });
    await withDaemon(backend, undefined, async (daemon) => {
      const next = await nextRequest(daemon);
      expect(record("an idle daemon, one normal request", daemon, "-", next).next).toBe("ok");
    });
  });

  test("a stream that never stops writing text", () =>
    hostileBackendCase("text that never ends (up to 3 GB)", { kind: "endless-text", capBytes: 3 * GB }, (answer) => expect(endedByDaemon(answer)).toBe(true)));

  test("tool-call arguments that never end", () =>
    hostileBackendCase("tool-call arguments that never end (up to 3 GB)", { kind: "endless-tool-arguments", capBytes: 3 * GB }, (answer) => {
      expect(endedByDaemon(answer)).toBe(true);
      expect(answer.toolUses).toEqual([]); // a call never finished is never handed over
    }));

  test("a 500 MB SSE line with no newline", () =>
    hostileBackendCase("a 500 MB SSE line, no newline", { kind: "endless-line", capBytes: 500 * MB }, (answer) => expect(isAnthropicError(answer)).toBe(true)));

  test("a 1 GB HTML page with status 200", () =>
    hostileBackendCase("a 1 GB HTML page, status 200", { kind: "html", capBytes: GB }, (answer) => expect(isAnthropicError(answer)).toBe(true)));

  test("a 400 MB error body", () =>
    hostileBackendCase("a 400 MB error body (500)", { kind: "error-body", capBytes: 400 * MB }, (answer) => {
      expect(isAnthropicError(answer)).toBe(true);
      expect(answer.error!.message.length).toBeLessThan(64 * 1024);
    }));

  test("a backend that sends only [DONE]", () =>
    hostileBackendCase("only [DONE]", { kind: "done-only" }, (answer) => expect(isAnthropicError(answer)).toBe(true)));

  test("negative and 1e308 usage", () =>
    hostileBackendCase("usage -5, 1e308", { kind: "absurd-usage" }, (answer) => {
      expect([answer.status, answer.stopReason, answer.error, answer.cut]).toEqual([200, "end_turn", undefined, undefined]);
      for (const value of answer.usageNumbers.filter((value) => typeof value === "number"))
        expect([value, Number.isSafeInteger(value) && (value as number) >= 0]).toEqual([value, true]);
    }));

  test("a backend that repeats tool-call ids", () =>
    hostileBackendCase("two tool calls with one id", { kind: "repeated-tool-ids" }, (answer) => {
      expect([answer.status, answer.stopReason, answer.error]).toEqual([200, "tool_use", undefined]);
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
    await withDaemon(backend, undefined, async (daemon) => {
      const answer = await readAnswer(await post(daemon, ask), READ_LIMITS);
      backend.setBehavior({ kind: "stream", chunks: 2, intervalMs: 5 });
      const row = record("a connection reset mid-stream", daemon, describeAnswer(answer), await nextRequest(daemon));
      expect(row.peakMb).toBeLessThan(PEAK_LIMIT_MB);
      expect(isAnthropicError(answer)).toBe(true);
      expect(row.next).toBe("ok");
    });
  });
});

const port = (daemon: DaemonProcess) => Number(new URL(daemon.url).port);
const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
// How long the daemon may leave a silent connection open: its idle timeout (30 s), Bun's ticks of
// ~4 s, room for a busy machine.
const IDLE_CLOSE_WITHIN_MS = 45_000;

// A long session as Claude Code sends it: tool calls and their results, turn after turn (31 MB
// at 37,000 messages: the shape that costs the daemon most per byte).
function longConversation(messages: number): object[] {
  const turns = Array.from({ length: messages - 2 }, (_, index) =>
    index % 2
      ? { role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${index - 1}`, content: "z".repeat(1_500) }] }
      : { role: "assistant", content: [{ type: "tool_use", id: `toolu_${index}`, name: "Bash", input: { command: "ls ".repeat(20) } }] },
  );
  return [{ role: "user", content: "Start" }, ...turns, { role: "user", content: "Say ok" }];
}

const errorType = (body: string) => {
  try {
    return JSON.parse(body).error.type as string;
  } catch {
    return "and no Anthropic error";
  }
};

describe("hostile clients", () => {
  // Bun closes a connection that never sent a request after ~10 s by itself; one kept alive after
  // its answer, or a body sent half, only the daemon's idle timeout closes. Requests without a
  // token from one address are answered one by one, slowed (three at once, then up to 3 s each):
  // most of these are closed unanswered, and an answered one may stay open for the idle timeout.
  test("2,000 idle unauthenticated connections and 100 half-sent bodies", async () => {
    const backend = await startHostileBackend({ kind: "normal" });
    await withDaemon(backend, TOKEN, async (daemon) => {
      const silent = await holdConnections(port(daemon), 1_000);
      const unauthenticated = await holdConnections(port(daemon), 1_000, "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      const head = `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"model": "claude`;
      const halfSent = await holdConnections(port(daemon), 100, head);
      const all = [silent, unauthenticated, halfSent];
      const open = () => 2_100 - all.reduce((sum, held) => sum + held.closed(), 0);
      let fds = 0;
      const countFds = () => void (fds = Math.max(fds, openFds(daemon.pid)));
      const next = await nextRequest(daemon, TOKEN); // while all of them are held
      const closedAfterMs = await waitFor(() => (countFds(), open() === 0), IDLE_CLOSE_WITHIN_MS);
      const forgotten = all.reduce((sum, held) => sum + held.silentFor(IDLE_CLOSE_WITHIN_MS - 5_000), 0);
      const answers = tally(
        unauthenticated
          .received()
          .map((text) => (text ? `${text.split("\r\n")[0]} ${errorType(text.slice(text.indexOf("\r\n\r\n") + 4))}` : "closed unanswered")),
      );
      const halfAnswers = new Set(halfSent.received().map((text) => text.split("\r\n")[0] || "closed, no answer"));
      const closing =
        closedAfterMs === undefined
          ? `after ${IDLE_CLOSE_WITHIN_MS / 1000} s ${open()} open, ${forgotten} of them silent for ${IDLE_CLOSE_WITHIN_MS / 1000 - 5} s`
          : `all closed by the daemon after ${(closedAfterMs / 1000).toFixed(0)} s`;
      for (const held of all) held.destroy();
      const row = record(
        "2,000 idle connections (1,000 sent a request without a token) + 100 half-sent bodies",
        daemon,
        `${fds} fds at most; unauthenticated: ${answers.join(", ")}; half-sent: ${[...halfAnswers].join(", ")}; ${closing}`,
        next,
      );
      expect(row.peakMb).toBeLessThan(PEAK_LIMIT_MB);
      // 401 each, slowed; past 30 s of slowed answers queued for one address, 429 at once.
      expect(
        answers.filter(
          (answer) => !/^(HTTP\/1.1 401 Unauthorized authentication_error|HTTP\/1.1 429 Too Many Requests rate_limit_error|closed unanswered) x/.test(answer),
        ),
      ).toEqual([]);
      expect(answers[0]).toStartWith("HTTP/1.1 401 Unauthorized authentication_error"); // the first are answered at once
      expect(forgotten).toBe(0);
      expect(row.next).toBe("ok");
    });
  }, 90_000); // the idle timeout waited for, and 2,100 connections opened and closed

  test("a 31 MB body while another stream runs: that stream goes on", async () => {
    const backend = await startFaultBackend({ kind: "stream", chunks: 400, intervalMs: 20 });
    await withDaemon(backend, TOKEN, async (daemon) => {
      // 400 words, one each 20 ms: 8 s, its max_tokens large enough for all of them.
      const running = post(daemon, { ...normal, max_tokens: 32_000 }, TOKEN).then((response) => readAnswer(response, READ_LIMITS));
      await Bun.sleep(1_000);
      const large = { ...ask, stream: true, messages: longConversation(37_000) };
      const bigAnswer = await readAnswer(await post(daemon, large, TOKEN), READ_LIMITS);
      const stream = await running;
      const answer = `${JSON.stringify(large).length >> 20} MB body: ${describeAnswer(bigAnswer)}; the other stream's longest gap ${stream.longestGapMs.toFixed(0)} ms, ${describeAnswer(stream)}`;
      const row = record("a 31 MB body while another stream runs", daemon, answer, await nextRequest(daemon, TOKEN));
      expect(row.peakMb).toBeLessThan(PEAK_LIMIT_MB);
      expect(stream.events.at(-1)).toBe("message_stop");
      expect(stream.longestGapMs).toBeLessThan(1_000);
      expect(bigAnswer.events.at(-1) === "message_stop" || isAnthropicError(bigAnswer)).toBe(true);
      expect(row.next).toBe("ok");
    });
  });

  test("rebinding Hosts (127.evil.example) on a daemon without a token", async () => {
    const backend = await startHostileBackend({ kind: "normal" });
    await withDaemon(backend, undefined, async (daemon) => {
      const answers: string[] = [];
      for (const host of ["127.evil.example", "127.0.0.1.nip.io", "localhost.evil.example", "evil.example"])
        for (const [method, path, body] of [
          ["GET", "/anyclaude/status"],
          ["GET", "/v1/models"],
          ["POST", "/v1/messages", JSON.stringify(normal)],
        ] as const) {
          const exchange = await rawHttpRequest(port(daemon), method, path, body, { Host: `${host}:${port(daemon)}`, Connection: "close" });
          answers.push(`${exchange.status} ${errorType(exchange.body)}`);
        }
      const counts = tally(answers);
      const row = record("rebinding Hosts (127.evil.example, ...)", daemon, counts.join(", "), await nextRequest(daemon));
      expect(row.peakMb).toBeLessThan(PEAK_LIMIT_MB);
      expect(counts).toEqual(["403 permission_error x12"]);
      expect(row.next).toBe("ok");
    });
  });

  test("wrong tokens in a loop", async () => {
    const backend = await startHostileBackend({ kind: "normal" });
    await withDaemon(backend, TOKEN, async (daemon) => {
      const tried = await tryWrongTokens(daemon.url, 5_000, 2);
      const answer = `${tried.attempts} attempts in 5 s: ${Object.entries(tried.statuses)
        .map(([status, count]) => `${status} x${count}`)
        .join(", ")} (${Object.keys(tried.errorTypes).join(", ")})`;
      const row = record("wrong tokens for 5 s (2 at a time)", daemon, answer, await nextRequest(daemon, TOKEN));
      expect(row.peakMb).toBeLessThan(PEAK_LIMIT_MB);
      expect(tried).toMatchObject({ statuses: { 401: tried.attempts }, errorTypes: { authentication_error: tried.attempts } });
      expect(row.next).toBe("ok");
    });
  });
});

afterAll(() => {
  const table = ["| case | peak MB (VmHWM) | MB at the end (VmRSS) | the client's answer | next request |", "|---|---|---|---|---|"];
  for (const row of rows) table.push(`| ${row.name} | ${row.peakMb} | ${row.rssMb} | ${row.answer} | ${row.next} |`);
  const text = `${table.join("\n")}\n`;
  mkdirSync(join(import.meta.dir, "../../.tmp"), { recursive: true });
  writeFileSync(join(import.meta.dir, "../../.tmp/reliability.md"), text);
  process.stdout.write(`\n${text}`);
});
