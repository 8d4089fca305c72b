// Parallel subagents through the daemon, against the emulated LM Studio (llama.cpp slots, a real
// prefill delay): three requests with the same system prompt and tools, different questions. The
// first computes the prefix; the others wait ("waiting for a shared prefill" in their session's
// record), go once its slot is free, and find the prefix cached. (test/real/parallel-agents.test.ts
// measures the same on the real servers.)
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/start-stack";

const LONG_SYSTEM = Array.from({ length: 500 }, (_, index) => `Rule ${index}: keep every function short.`).join("\n");
const TOOLS = [{ name: "Read", description: "Read a file", input_schema: { type: "object", properties: { path: { type: "string" } } } }];

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ lmstudio: { prefillTokensPerSecond: 3_000 } });
});
afterAll(() => stack.stop());

function ask(session: string, question: string): Promise<Response> {
  return fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-claude-code-session-id": session },
    body: JSON.stringify({
      model: "claude-opus-5-5",
      max_tokens: 50,
      stream: true,
      system: LONG_SYSTEM,
      tools: TOOLS,
      messages: [{ role: "user", content: question }],
    }),
  });
}

const sessionRecord = async (id: string) => (await fetch(`${stack.url}/anyclaude/sessions/${id}`)).json() as Promise<any>;

test("requests sharing a prefix in flight wait for it, say so, and then find it cached", async () => {
  const leader = ask("agent-1", "Find where routing happens.");
  await Bun.sleep(50);
  const followers = [ask("agent-2", "Find where caching happens."), ask("agent-3", "Find where logging happens.")];
  let waiting: any;
  for (let tries = 0; tries < 100 && waiting?.state !== "waiting"; tries++) {
    await Bun.sleep(20);
    waiting = await sessionRecord("agent-2");
  }
  expect(waiting).toMatchObject({ backend: "lmstudio", state: "waiting" });
  // The follower's stream is open meanwhile: message_start before the leader has answered.
  const reader = (await followers[0]!).body!.getReader();
  const firstBytes = await reader.read();
  expect(new TextDecoder().decode(firstBytes.value)).toContain("event: message_start");
  expect((await sessionRecord("agent-1")).state).not.toBe("done");

  await (await leader).text();
  while (!(await reader.read()).done);
  await (await followers[1]!).text();

  const [first, ...rest] = stack.lmstudio.requests;
  expect(first!.cachedTokens).toBe(0);
  for (const request of rest) expect(request.cachedTokens!).toBeGreaterThan(0.9 * request.promptTokens!);
  const done = await sessionRecord("agent-2");
  expect(done.waitedMs).toBeGreaterThan(0);
  expect((await stack.status()).sharedPrefills).toEqual({ "leader-ready": 2 });
});
