// Timings on every reply, measured through the daemon against an emulated mlx_lm.server with a
// real prefill delay: the session's record while the prefill runs (with the backend's keepalive
// progress), then its time to first token, rates and cached share; per backend medians and errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/start-stack";

const PREFILL_TOKENS_PER_SECOND = 8_000;
const LONG_SYSTEM = Array.from({ length: 600 }, (_, index) => `Rule ${index}: keep every function short.`).join("\n");

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ mlx: { prefillTokensPerSecond: PREFILL_TOKENS_PER_SECOND, prefillStepSize: 256, decodeDelayMs: 15 } });
});
afterAll(() => stack.stop());

function ask(session: string, question: string): Promise<Response> {
  return fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-claude-code-session-id": session },
    body: JSON.stringify({ model: "claude-opus-5-5", max_tokens: 200, stream: true, system: LONG_SYSTEM, messages: [{ role: "user", content: question }] }),
  });
}

const sessionRecord = async (id: string) => (await fetch(`${stack.url}/anyclaude/sessions/${id}`)).json() as Promise<any>;

describe("timings through the daemon", () => {
  test("while the prefill runs, the session shows its progress; afterwards its timings and tokens", async () => {
    const reply = ask("session-a", "What does this project do?");
    let during: any;
    for (let tries = 0; tries < 100 && during?.progress === undefined; tries++) {
      await Bun.sleep(20);
      during = await sessionRecord("session-a");
    }
    expect(during).toMatchObject({ sessionId: "session-a", backend: "mlx-lm", model: "default_model", route: "no-tools", state: "prefill" });
    expect(during.progress.processed).toBeLessThan(during.progress.total);
    await (await reply).text();

    const recorded = stack.mlx.requests.at(-1)!;
    const done = await sessionRecord("session-a");
    const prefillMs = ((recorded.promptTokens! - recorded.cachedTokens!) / PREFILL_TOKENS_PER_SECOND) * 1000;
    expect(done).toMatchObject({ state: "done", promptTokens: recorded.promptTokens, cachedTokens: recorded.cachedTokens, stopReason: "end_turn" });
    expect(done.progress).toBeUndefined();
    expect(done.ttftMs).toBeGreaterThanOrEqual(prefillMs * 0.9);
    expect(done.ttftMs).toBeLessThan(prefillMs + 1_000);
    expect(done.totalMs).toBeGreaterThan(done.ttftMs);
    // 15 ms between streamed pieces of 3 tokens: at most 200 tokens/s.
    expect(done.decodeTokensPerSecond).toBeGreaterThan(0);
    expect(done.decodeTokensPerSecond).toBeLessThan(250);
    expect(done.prefillTokensPerSecond).toBeLessThanOrEqual(PREFILL_TOKENS_PER_SECOND * 1.1);
  });

  test("a follow-up in another session is fast from the warm prefix; status has medians and the recent replies", async () => {
    await (await ask("session-b", "What does this project do?")).text();
    const warm = await sessionRecord("session-b");
    expect(warm.cachedTokens).toBeGreaterThan(0.9 * warm.promptTokens);
    const status = await stack.status();
    const mlx = status.backends.find((backend: { name: string }) => backend.name === "mlx-lm");
    expect(mlx).toMatchObject({ requests: 2, errors: 0, lastError: null, reportsCachedTokens: true });
    expect(mlx.ttftP50Ms).toBeGreaterThan(0);
    expect(mlx.decodeTokensPerSecond).toBeGreaterThan(0);
    expect(status.recent.map((record: { sessionId: string; state: string }) => [record.sessionId, record.state])).toEqual([
      ["session-a", "done"],
      ["session-b", "done"],
    ]);
  });

  test("a stream that breaks off counts as the backend's error, with its message", async () => {
    stack.mlx.setFault({ kind: "break-stream", afterChunks: 1 });
    await (await ask("session-c", "Another question")).text();
    expect(await sessionRecord("session-c")).toMatchObject({
      state: "failed",
      error: expect.stringContaining("closed the stream before the reply was finished"),
    });
    const mlx = (await stack.status()).backends.find((backend: { name: string }) => backend.name === "mlx-lm");
    expect(mlx.errors).toBe(1);
    expect(mlx.lastError.message).toContain("closed the stream");
    expect(Date.parse(mlx.lastError.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  test("an unknown session is a 404", async () => {
    const response = await fetch(`${stack.url}/anyclaude/sessions/nobody`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as any).error.type).toBe("not_found_error");
  });
});
