// A long tool call on the real mlx_lm.server 0.32.2 (issue 18): it writes nothing while its model
// is inside a tool call, then the whole call at once (its `silentToolCalls` quirk,
// src/backends/backend-quirks.ts). The test model qwen3-coder-long-write answers "I'll write it."
// and then a Write call whose content runs 300 tokens (scripts/real/make-test-models.py,
// Repeat): on this CPU that is seconds of silence after text, many times the idleTimeoutMs given
// here. Through anyclaude the call must arrive whole, with pings to the client meanwhile.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { daemonFor, type RealStack } from "./real-stack";
import { describeReal, startMlxLmServer, type RealServer } from "./real-servers";

const IDLE_TIMEOUT_MS = 1_000;
const HEARTBEAT_MS = 250;
const WRITE = {
  name: "Write",
  description: "Write a file",
  input_schema: { type: "object", properties: { file_path: { type: "string" }, content: { type: "string" } }, required: ["file_path", "content"] },
};

type TimedEvent = { event: string; data: any; at: number };

describeReal("a long tool call on mlx_lm.server 0.32.2, which sends it whole", () => {
  let real: RealServer;
  let stack: RealStack;

  beforeAll(async () => {
    real = await startMlxLmServer("qwen3-coder-long-write", "0.32.2");
    stack = await daemonFor(real, "mlx-lm", "mlx-lm", { limits: { idleTimeoutMs: IDLE_TIMEOUT_MS }, heartbeatMs: HEARTBEAT_MS });
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    await real?.stop();
  });

  test("arrives whole through anyclaude although it takes many times idleTimeoutMs, and the client is pinged meanwhile", async () => {
    const response = await fetch(`${stack.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: "claude-opus-5-5",
        max_tokens: 1_000,
        stream: true,
        tools: [WRITE],
        messages: [{ role: "user", content: "Write a long file." }],
      }),
    });
    const events = await readEvents(response);
    const text = events.filter((event) => event.data?.delta?.type === "text_delta");
    const callStart = events.find((event) => event.event === "content_block_start" && event.data.content_block.type === "tool_use");
    expect(events.at(-1)?.event).toBe("message_stop"); // not an error event: not cut
    expect(text.map((event) => event.data.delta.text).join("")).toBe("I'll write it.");
    expect(callStart?.data.content_block.name).toBe("Write");
    const input = JSON.parse(
      events
        .filter((event) => event.data?.delta?.type === "input_json_delta")
        .map((event) => event.data.delta.partial_json)
        .join(""),
    );
    expect(input.file_path).toBe("/tmp/long.txt");
    expect(input.content).toStartWith("Lorem ipsum dolor sit amet, Lorem ipsum");
    expect(input.content.length).toBeGreaterThan(1_000);
    expect(events.find((event) => event.event === "message_delta")?.data.delta.stop_reason).toBe("tool_use");

    // The server was silent while it wrote the call: longer than the limit, many times over.
    const silenceMs = callStart!.at - text.at(-1)!.at;
    console.info(
      `mlx_lm.server 0.32.2 held a ${input.content.length}-character Write call back for ${Math.round(silenceMs)} ms (idleTimeoutMs ${IDLE_TIMEOUT_MS})`,
    );
    expect(silenceMs).toBeGreaterThan(3 * IDLE_TIMEOUT_MS);
    // Pings all along (timers run late on a loaded machine: half of them, and no long gap).
    const pings = events.filter((event) => event.event === "ping" && event.at > text.at(-1)!.at && event.at < callStart!.at);
    expect(pings.length).toBeGreaterThanOrEqual(Math.floor(silenceMs / HEARTBEAT_MS / 2));
    const gaps = [text.at(-1)!, ...pings, callStart!].slice(1).map((event, index, rest) => event.at - (index === 0 ? text.at(-1)!.at : rest[index - 1]!.at));
    expect(Math.max(...gaps)).toBeLessThan(8 * HEARTBEAT_MS);
  }, 180_000);
});

// Every SSE event of a reply, with when it arrived.
async function readEvents(response: Response): Promise<TimedEvent[]> {
  const events: TimedEvent[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of response.body!) {
    buffered += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      events.push({ event: /^event: (.*)$/m.exec(frame)?.[1] ?? "", data: data ? JSON.parse(data) : undefined, at: performance.now() });
    }
  }
  return events;
}
