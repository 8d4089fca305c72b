import { describe, expect, test } from "bun:test";
import { convertFixture, summarize } from "../../test/support/replay-chunks";

describe("stream converter on recorded backend streams", () => {
  test("LM Studio streams tool arguments in fragments: the call goes out whole once the reply has finished", async () => {
    const { events, reply } = await convertFixture("lmstudio-fragmented-tool-arguments");
    expect(summarize(events)).toEqual([
      "message_start",
      "ping",
      "start 0 text",
      "delta 0 text_delta I'll create it.",
      "stop 0",
      "start 1 tool_use Write 512846378",
      'delta 1 input_json_delta {"file_path": "/tmp/a/test.txt", "content": "Hello World"}',
      "stop 1",
      "message_delta tool_use in=490 out=31 cached=18000",
      "message_stop",
    ]);
    expect(reply?.toolCalls).toEqual([{ id: "512846378", name: "Write", arguments: '{"file_path": "/tmp/a/test.txt", "content": "Hello World"}' }]);
  });

  test("mlx-lm sends the whole tool call in one delta and repeats role in every delta", async () => {
    const { events } = await convertFixture("mlx-lm-whole-tool-call-role-in-every-delta");
    expect(summarize(events)).toEqual([
      "message_start",
      "ping",
      "start 0 tool_use Bash call_a1",
      'delta 0 input_json_delta {"command": "ls -la"}',
      "stop 0",
      "message_delta tool_use in=100 out=6 cached=0",
      "message_stop",
    ]);
  });

  test("parallel tool calls become consecutive tool_use blocks", async () => {
    const { events, reply } = await convertFixture("lmstudio-parallel-tool-calls");
    expect(summarize(events).filter((line) => line.startsWith("start") || line.startsWith("stop"))).toEqual([
      "start 0 tool_use Read call_r1",
      "stop 0",
      "start 1 tool_use Read call_r2",
      "stop 1",
    ]);
    expect(reply?.toolCalls.map((call) => call.arguments)).toEqual(['{"file_path": "/a.ts"}', '{"file_path": "/b.ts"}']);
  });

  test("interleaved fragments of parallel calls are gathered per call, each whole", async () => {
    const { events, reply } = await convertFixture("lmstudio-interleaved-parallel-tool-calls");
    expect(summarize(events).slice(2, -2)).toEqual([
      "start 0 tool_use Read call_r1",
      'delta 0 input_json_delta {"file_path": "/a.ts"}',
      "stop 0",
      "start 1 tool_use Read call_r2",
      'delta 1 input_json_delta {"file_path": "/b.ts"}',
      "stop 1",
    ]);
    expect(reply?.toolCalls.map((call) => call.arguments)).toEqual(['{"file_path": "/a.ts"}', '{"file_path": "/b.ts"}']);
  });

  test("mlx-lm reasoning becomes a signed thinking block before the text", async () => {
    const { events, reply } = await convertFixture("mlx-lm-reasoning-then-text");
    expect(summarize(events)).toEqual([
      "message_start",
      "ping",
      "start 0 thinking",
      "delta 0 thinking_delta The user asks 2+2.",
      "delta 0 thinking_delta  That is 4.",
      "delta 0 signature_delta <signature>",
      "stop 0",
      "start 1 text",
      "delta 1 text_delta 4",
      "stop 1",
      "message_delta end_turn in=100 out=9 cached=0",
      "message_stop",
    ]);
    expect(reply).toMatchObject({ thinking: "The user asks 2+2. That is 4.", text: "4" });
  });

  test("LM Studio's reasoning_content is thinking too", async () => {
    const { events } = await convertFixture("lmstudio-reasoning-content");
    expect(summarize(events).slice(2, 5)).toEqual(["start 0 thinking", "delta 0 thinking_delta Thinking", "delta 0 thinking_delta  hard."]);
  });

  test("keepalive comments during prefill become pings, not content", async () => {
    const { events } = await convertFixture("mlx-lm-keepalive-comments-during-prefill");
    expect(summarize(events)).toEqual([
      "message_start",
      "ping",
      "ping",
      "ping",
      "ping",
      "start 0 text",
      "delta 0 text_delta Hi",
      "stop 0",
      "message_delta end_turn in=100 out=1 cached=0",
      "message_stop",
    ]);
  });

  test("a usage-only last chunk after finish_reason sets the final usage: input excludes cache reads", async () => {
    const { events, reply } = await convertFixture("mlx-lm-usage-only-last-chunk");
    expect(summarize(events).at(-2)).toBe("message_delta end_turn in=100 out=2 cached=1100");
    expect(reply).toMatchObject({ promptTokens: 1200, cachedTokens: 1100 });
  });

  test("finish_reason length maps to max_tokens", async () => {
    const { events } = await convertFixture("mlx-lm-max-tokens");
    expect(summarize(events).at(-2)).toStartWith("message_delta max_tokens");
  });

  test("a tool call cut off by max_tokens is not sent as a tool_use: a note instead, and stop_reason max_tokens", async () => {
    const { events, reply } = await convertFixture("lmstudio-tool-call-cut-by-length");
    expect(summarize(events)).toEqual([
      "message_start",
      "ping",
      "start 0 text",
      "delta 0 text_delta Cleaning up.",
      "stop 0",
      "start 1 text",
      "delta 1 text_delta [tool call to Bash cut off by max_tokens; it was not run]",
      "stop 1",
      // The call written before the limit is whole: it goes out (and runs).
      "start 2 tool_use Bash call_ls",
      'delta 2 input_json_delta {"command": "ls /tmp/build"}',
      "stop 2",
      "message_delta max_tokens in=900 out=64 cached=0",
      "message_stop",
    ]);
    expect(reply?.toolCalls).toEqual([{ id: "call_ls", name: "Bash", arguments: '{"command": "ls /tmp/build"}' }]);
    expect(reply?.stopReason).toBe("max_tokens");
    expect(reply?.warnings).toEqual(['backend "test-backend" hit max_tokens inside a call to Bash; the call was dropped']);
  });

  test("malformed tool JSON is repaired before it goes out, with a warning for the log", async () => {
    const { events, reply } = await convertFixture("lmstudio-malformed-tool-arguments");
    expect(summarize(events).slice(2)).toEqual([
      "start 0 tool_use Write call_w",
      'delta 0 input_json_delta {"file_path":"/tmp/a.txt","content":"hi"}',
      "stop 0",
      "message_delta tool_use in=100 out=13 cached=0",
      "message_stop",
    ]);
    expect(reply?.toolCalls[0]?.arguments).toBe('{"file_path":"/tmp/a.txt","content":"hi"}');
    expect(reply?.warnings?.[0]).toStartWith('backend "test-backend" wrote malformed JSON arguments for Write; repaired');
  });

  // Issue 27: a stop sequence or EOS inside the arguments, or a server that misreports, ends a
  // call early with finish_reason tool_calls: those calls were closed into ones the model never
  // wrote (rm -rf /tmp/bui, "x": null) and handed over to run.
  test("calls cut off or garbled under finish_reason tool_calls are notes, never tool_use; a slip that keeps every value is still repaired", async () => {
    const { events, reply } = await convertFixture("lmstudio-tool-calls-cut-with-finish-tool-calls");
    expect(summarize(events).slice(2)).toEqual([
      "start 0 text",
      "delta 0 text_delta Cleaning up.",
      "stop 0",
      "start 1 text",
      "delta 1 text_delta [the model wrote arguments for Bash that are not valid JSON; the call was not run]\n[the model wrote arguments for Bash that are not valid JSON; the call was not run]",
      "stop 1",
      "start 2 tool_use Bash call_pwd",
      'delta 2 input_json_delta {"command":"pwd"}',
      "stop 2",
      "message_delta tool_use in=900 out=64 cached=0",
      "message_stop",
    ]);
    expect(reply?.toolCalls).toEqual([{ id: "call_pwd", name: "Bash", arguments: '{"command":"pwd"}' }]);
  });

  test("tool JSON past repair ends the turn with a note, not a tool_use", async () => {
    const { events, reply } = await convertFixture("lmstudio-unparseable-tool-arguments");
    expect(summarize(events).slice(2)).toEqual([
      "start 0 text",
      "delta 0 text_delta [the model wrote arguments for Edit that are not valid JSON; the call was not run]",
      "stop 0",
      "message_delta end_turn in=100 out=12 cached=0",
      "message_stop",
    ]);
    expect(reply?.toolCalls).toEqual([]);
    expect(reply?.warnings?.[0]).toStartWith('backend "test-backend" wrote unparseable arguments for Edit');
  });

  test("vLLM names the stop string it stopped on: stop_sequence, when the request asked for it", async () => {
    const asked = await convertFixture("vllm-stop-sequence", { stopSequences: [", 4"] });
    expect(asked.events.at(-2)).toMatchObject({ type: "message_delta", delta: { stop_reason: "stop_sequence", stop_sequence: ", 4" } });
    expect(asked.reply?.stopReason).toBe("stop_sequence");
    const notAsked = await convertFixture("vllm-stop-sequence");
    expect(notAsked.events.at(-2)).toMatchObject({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null } });
  });

  test("a stream that breaks off before finishing ends in an error event", async () => {
    const { events, reply } = await convertFixture("lmstudio-stream-breaks-off");
    expect(summarize(events).slice(-2)).toEqual([
      "delta 0 text_delta Half an ans",
      'error api_error: backend "test-backend" closed the stream before the reply was finished',
    ]);
    expect(reply).toBeUndefined();
  });

  test("an error chunk mid-stream becomes an error event naming the backend", async () => {
    const { events } = await convertFixture("lmstudio-error-chunk-mid-stream");
    expect(summarize(events).at(-1)).toBe('error api_error: backend "test-backend" failed mid-reply: Model crashed while generating');
  });

  test("tool calls finished with 'stop' (llama.cpp) still stop for tool_use", async () => {
    const { events } = await convertFixture("llama-cpp-tool-call-with-finish-stop");
    expect(summarize(events).at(-2)).toStartWith("message_delta tool_use");
  });

  test("a tool call without an id gets one from the caller", async () => {
    const { events } = await convertFixture("vllm-tool-call-without-id");
    expect(summarize(events)).toContain("start 0 tool_use Read toolu_test_0");
  });

  test("message_start echoes the client's model and the estimated input tokens", async () => {
    const { events } = await convertFixture("mlx-lm-max-tokens", { inputTokens: 4321 });
    expect(events[0]).toMatchObject({ type: "message_start", message: { model: "claude-sonnet-test", usage: { input_tokens: 4321 } } });
  });
});

test("llama-server's timings in its last chunk reach the reply; its progress chunks are pings", async () => {
  const { events, reply } = await convertFixture("llama-cpp-prompt-progress-and-timings");
  expect(summarize(events)).toEqual([
    "message_start",
    "ping",
    "ping",
    "ping",
    "ping",
    "start 0 text",
    "delta 0 text_delta Hello",
    "stop 0",
    "message_delta end_turn in=18000 out=2 cached=490",
    "message_stop",
  ]);
  expect(reply?.serverTimings).toMatchObject({ prompt_n: 18000, prompt_ms: 15000.5, predicted_per_second: 49.75 });
});
