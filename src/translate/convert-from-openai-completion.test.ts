import { describe, expect, test } from "bun:test";
import type { ChatCompletion } from "../protocol/openai";
import { convertFromOpenAICompletion, type CompletionContext } from "./convert-from-openai-completion";

const context: CompletionContext = {
  backend: "test-backend",
  model: "local",
  messageId: "msg_test",
  inputTokens: 100,
  toolUseId: (index) => `toolu_test_${index}`,
};
const call = (id: string, name: string, args: string) => ({ id, type: "function", function: { name, arguments: args } });
const completion = (message: object, finish_reason: string, extra: object = {}): ChatCompletion =>
  ({ choices: [{ message, finish_reason, ...extra }] }) as ChatCompletion;

describe("a whole (non-streamed) chat completion", () => {
  test("a tool call cut off by max_tokens is not sent as a tool_use: a note instead, and stop_reason max_tokens", () => {
    const { message, reply } = convertFromOpenAICompletion(
      completion({ content: null, tool_calls: [call("call_rm", "Bash", '{"command": "rm -rf /tmp/bui')] }, "length"),
      context,
    );
    expect(message.content).toEqual([{ type: "text", text: "[tool call to Bash cut off by max_tokens; it was not run]" }]);
    expect(message.stop_reason).toBe("max_tokens");
    expect(reply.toolCalls).toEqual([]);
    expect(reply.warnings).toEqual(['backend "test-backend" hit max_tokens inside a call to Bash; the call was dropped']);
  });

  test("a whole tool call before the limit struck stays a tool call", () => {
    const { message } = convertFromOpenAICompletion(
      completion({ content: null, tool_calls: [call("call_ls", "Bash", '{"command": "ls"}')] }, "length"),
      context,
    );
    expect(message).toMatchObject({ content: [{ type: "tool_use", id: "call_ls", name: "Bash", input: { command: "ls" } }], stop_reason: "tool_use" });
  });

  test("malformed tool JSON is repaired as on the streaming path; valid JSON is replayed byte for byte", () => {
    const { message, reply } = convertFromOpenAICompletion(
      completion(
        { content: null, tool_calls: [call("call_w", "Write", "{'file_path': '/a.txt',}"), call("call_r", "Read", '{"file_path":  "/b.txt"}')] },
        "tool_calls",
      ),
      context,
    );
    expect(message.content).toEqual([
      { type: "tool_use", id: "call_w", name: "Write", input: { file_path: "/a.txt" } },
      { type: "tool_use", id: "call_r", name: "Read", input: { file_path: "/b.txt" } },
    ]);
    expect(reply.toolCalls.map((each) => each.arguments)).toEqual(['{"file_path":"/a.txt"}', '{"file_path":  "/b.txt"}']);
    expect(reply.warnings).toHaveLength(1);
  });

  test("tool JSON past repair ends the turn with a note, as on the streaming path (no {_raw} input)", () => {
    const { message } = convertFromOpenAICompletion(
      completion({ content: "Editing.", tool_calls: [call("call_e", "Edit", '{"a": 1} {"b": 2}')] }, "tool_calls"),
      context,
    );
    expect(message.content).toEqual([
      { type: "text", text: "Editing." },
      { type: "text", text: "[the model wrote arguments for Edit that are not valid JSON; the call was not run]" },
    ]);
    expect(message.stop_reason).toBe("end_turn");
  });

  // Issue 27: the same calls as the streamed path's lmstudio-tool-calls-cut-with-finish-tool-calls.
  test("calls cut off or garbled under finish_reason tool_calls are notes, never tool_use", () => {
    const calls = [call("call_ls", "Bash", '{"command": "ls" "x": }}} ]]'), call("call_rm", "Bash", '{"command": "rm -rf /tmp/bui')];
    const { message, reply } = convertFromOpenAICompletion(completion({ content: null, tool_calls: calls }, "tool_calls"), context);
    const note = "[the model wrote arguments for Bash that are not valid JSON; the call was not run]";
    expect(message.content).toEqual([{ type: "text", text: `${note}\n${note}` }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(reply.toolCalls).toEqual([]);
  });

  test("vLLM's stop_reason names the stop sequence; content_filter is a refusal", () => {
    const stopped = convertFromOpenAICompletion(completion({ content: "1, 2, 3" }, "stop", { stop_reason: ", 4" }), { ...context, stopSequences: [", 4"] });
    expect(stopped.message).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: ", 4" });
    expect(stopped.reply.stopReason).toBe("stop_sequence");
    const filtered = convertFromOpenAICompletion(completion({ content: "" }, "content_filter"), context);
    expect(filtered.message).toMatchObject({ stop_reason: "refusal", stop_sequence: null });
  });
});
