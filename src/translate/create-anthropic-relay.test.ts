import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { StreamEvent } from "../protocol/anthropic";
import { createAnthropicRelay, type RelayEvent } from "./create-anthropic-relay";
import type { Reply } from "./reply";

async function relay(events: object[]): Promise<{ out: StreamEvent[]; reply?: Reply }> {
  let reply: Reply | undefined;
  const relayStream = createAnthropicRelay({
    backend: "llama",
    model: "local",
    messageId: "msg_test",
    inputTokens: 10,
    toolUseId: (index) => `toolu_test_${index}`,
    onReply: (value) => (reply = value),
  });
  const source = new ReadableStream<RelayEvent>({
    start(controller) {
      for (const event of events) controller.enqueue({ kind: "data", data: JSON.stringify(event) });
      controller.close();
    },
  });
  const out: StreamEvent[] = [];
  for await (const event of source.pipeThrough(relayStream)) out.push(event);
  return { out, reply };
}

const reply = (delta: object) => [
  { type: "message_start", message: { usage: { input_tokens: 10, output_tokens: 0 } } },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "1, 2, 3" } },
  { type: "content_block_stop", index: 0 },
  { type: "message_delta", delta, usage: { output_tokens: 5 } },
  { type: "message_stop" },
];

test("llama-server's end_turn with the stop word set is relayed as stop_sequence, the word passed through", async () => {
  // tools/server/server-task.cpp, to_json_anthropic_stream: stop_reason end_turn, stop_sequence = stopping_word
  const { out, reply: recorded } = await relay(reply({ stop_reason: "end_turn", stop_sequence: ", 4" }));
  expect(out.find((event) => event.type === "message_delta")).toMatchObject({ delta: { stop_reason: "stop_sequence", stop_sequence: ", 4" } });
  expect(recorded?.stopReason).toBe("stop_sequence");
});

test("stop_sequence, refusal and pause_turn pass through; no sequence is end_turn", async () => {
  const stopped = await relay(reply({ stop_reason: "stop_sequence", stop_sequence: "END" }));
  expect(stopped.out.find((event) => event.type === "message_delta")).toMatchObject({ delta: { stop_reason: "stop_sequence", stop_sequence: "END" } });
  const refused = await relay(reply({ stop_reason: "refusal", stop_sequence: null }));
  expect(refused.reply?.stopReason).toBe("refusal");
  const plain = await relay(reply({ stop_reason: "end_turn", stop_sequence: null }));
  expect(plain.out.find((event) => event.type === "message_delta")).toMatchObject({ delta: { stop_reason: "end_turn", stop_sequence: null } });
});

test("message_delta carries the whole usage: the input and cache reads of llama-server's message_start, its own output_tokens", async () => {
  // llama.cpp 0.3.36's message_delta says only output_tokens; langchain-anthropic reads usage there.
  const start = { type: "message_start", message: { usage: { input_tokens: 1, cache_read_input_tokens: 14, output_tokens: 0 } } };
  const { out } = await relay([start, ...reply({ stop_reason: "end_turn", stop_sequence: null }).slice(1)]);
  expect(out.find((event) => event.type === "message_delta")).toMatchObject({ usage: { input_tokens: 1, cache_read_input_tokens: 14, output_tokens: 5 } });
  const withoutStart = await relay(reply({ stop_reason: "end_turn", stop_sequence: null }).slice(1));
  expect(withoutStart.out.find((event) => event.type === "message_delta")).toMatchObject({
    usage: { input_tokens: 10, cache_read_input_tokens: 0, output_tokens: 5 },
  });
});

// Recorded as llama-server's own /v1/messages streams it (llama.cpp 0.3.36, server-task.cpp: the
// partial results start each block, the final one sends an empty signature_delta and every stop).
const fixture = (name: string): object[] =>
  readFileSync(new URL(`../../test/fixtures/chunks/${name}.chunks.txt`, import.meta.url), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));

test("llama-server's overlapping blocks without input or signature come out one at a time, in Anthropic's shape", async () => {
  const { out, reply: recorded } = await relay(fixture("llama-server-messages-overlapping-blocks-without-input-or-signature"));
  const shape = out.map((event) =>
    event.type === "content_block_delta" ? `${event.type} ${event.index} ${event.delta.type}` : "index" in event ? `${event.type} ${event.index}` : event.type,
  );
  expect(shape).toEqual([
    "message_start",
    "ping",
    "content_block_start 0",
    "content_block_delta 0 thinking_delta",
    "content_block_delta 0 signature_delta",
    "content_block_stop 0",
    "content_block_start 1",
    "content_block_delta 1 text_delta",
    "content_block_stop 1",
    "content_block_start 2",
    "content_block_delta 2 input_json_delta",
    "content_block_delta 2 input_json_delta",
    "content_block_stop 2",
    "message_delta",
    "message_stop",
  ]);
  const starts = out.flatMap((event) => (event.type === "content_block_start" ? [event.content_block] : []));
  expect(starts).toEqual([
    { type: "thinking", thinking: "", signature: "" },
    { type: "text", text: "" },
    { type: "tool_use", id: "toolu_test_2", name: "get_weather", input: {} },
  ]);
  const signature = out.find((event) => event.type === "content_block_delta" && event.delta.type === "signature_delta");
  expect(signature).toMatchObject({ delta: { signature: expect.stringMatching(/.{20,}/) } });
  expect(recorded?.toolCalls).toEqual([{ id: "toolu_test_2", name: "get_weather", arguments: '{"city":"Paris"}' }]);
});

test("a second message_delta, and a message_stop without one, still make exactly one of each", async () => {
  const start = { type: "message_start", message: { usage: { input_tokens: 10 } } };
  const twice = await relay([
    start,
    { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 1 } },
    { type: "message_delta", delta: { stop_reason: "max_tokens" }, usage: { output_tokens: 2 } },
    { type: "message_stop" },
  ]);
  expect(twice.out.filter((event) => event.type === "message_delta")).toHaveLength(1);
  const none = await relay([start, { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }, { type: "message_stop" }]);
  expect(none.out.map((event) => event.type).slice(-4)).toEqual(["content_block_start", "content_block_stop", "message_delta", "message_stop"]);
});

test("the final message_delta carries the backend's prompt counts from its message_start, as Anthropic's does", async () => {
  // llama-server (tools/server/server-task.cpp of 0.3.36's llama.cpp) counts the prompt in its
  // message_start only; ours went out with an estimate before it did.
  const events: object[] = reply({ stop_reason: "end_turn", stop_sequence: null });
  events[0] = { type: "message_start", message: { usage: { input_tokens: 1, cache_read_input_tokens: 39, output_tokens: 0 } } };
  const { out, reply: recorded } = await relay(events);
  expect(out.find((event) => event.type === "message_delta")).toMatchObject({ usage: { input_tokens: 1, cache_read_input_tokens: 39, output_tokens: 5 } });
  expect(recorded).toMatchObject({ promptTokens: 40, cachedTokens: 39, completionTokens: 5 });
  // A server that reports them (cumulative) at the end: the later counts win.
  events[4] = {
    type: "message_delta",
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: { input_tokens: 3, cache_read_input_tokens: 37, output_tokens: 5 },
  };
  expect((await relay(events)).out.find((event) => event.type === "message_delta")).toMatchObject({ usage: { input_tokens: 3, cache_read_input_tokens: 37 } });
});
