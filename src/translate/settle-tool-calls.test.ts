// Issue 27: a backend that repeated a tool-call id had both calls handed to the client under it
// (the Messages API requires unique ids), and the replay memory, keyed by id, then replayed the
// second call's arguments for both.
import { describe, expect, test } from "bun:test";
import { settleToolCalls } from "./settle-tool-calls";

const options = { backend: "llama", toolUseId: (position: number) => `toolu_msg_${position}` };
const held = (...ids: string[]) => ids.map((id, index) => ({ id, name: "Read", arguments: `{"file_path": "/${index}"}` }));

describe("settleToolCalls: the ids the client gets", () => {
  test("the backend's own ids go out as they were while new", () => {
    expect(settleToolCalls(held("call_a", "call_b"), options).calls.map((call) => call.id)).toEqual(["call_a", "call_b"]);
  });

  test("an id repeated within the reply: the second call gets one of its own", () => {
    const settled = settleToolCalls(held("call_0", "call_0", "call_0"), options);
    expect(settled.calls.map((call) => [call.id, call.arguments])).toEqual([
      ["call_0", '{"file_path": "/0"}'],
      ["toolu_msg_1", '{"file_path": "/1"}'],
      ["toolu_msg_2", '{"file_path": "/2"}'],
    ]);
    expect(settled.warnings).toEqual([
      'backend "llama" reused the tool-call id "call_0"; the call goes out as toolu_msg_1',
      'backend "llama" reused the tool-call id "call_0"; the call goes out as toolu_msg_2',
    ]);
  });

  test("an id an earlier turn of the conversation gave out: one of our own", () => {
    const settled = settleToolCalls(held("call_0", "call_1"), { ...options, toolUseIdTaken: (id) => id === "call_0" });
    expect(settled.calls.map((call) => call.id)).toEqual(["toolu_msg_0", "call_1"]);
  });

  test("a call without an id gets one of ours; ours never collide with the backend's", () => {
    const settled = settleToolCalls(held("", "toolu_msg_2", ""), options);
    expect(settled.calls.map((call) => call.id)).toEqual(["toolu_msg_0", "toolu_msg_2", "toolu_msg_2_1"]);
    expect(settled.warnings).toEqual([]); // a server that sends no ids (vLLM's parsers at times) is no fault
  });
});
