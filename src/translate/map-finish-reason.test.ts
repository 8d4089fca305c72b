import { expect, test } from "bun:test";
import { mapFinishReason, matchedStopSequence } from "./map-finish-reason";

const none = { toolCalls: 0, cutOff: false };

test("OpenAI finish reasons map to Anthropic stop reasons", () => {
  expect(mapFinishReason("stop", none)).toBe("end_turn");
  expect(mapFinishReason("length", none)).toBe("max_tokens");
  expect(mapFinishReason("content_filter", none)).toBe("refusal");
  expect(mapFinishReason("stop", { ...none, stopSequence: "END" })).toBe("stop_sequence");
  expect(mapFinishReason("eos", none)).toBe("end_turn");
  expect(mapFinishReason(null, none)).toBe("end_turn");
});

test("tool calls: tool_use whatever the server said, unless the limit cut one off; none left is end_turn", () => {
  expect(mapFinishReason("stop", { toolCalls: 1, cutOff: false })).toBe("tool_use");
  expect(mapFinishReason("length", { toolCalls: 1, cutOff: true })).toBe("max_tokens");
  expect(mapFinishReason("tool_calls", none)).toBe("end_turn");
});

test("a reported stop string counts only when the request asked for it", () => {
  expect(matchedStopSequence("END", ["END"])).toBe("END");
  expect(matchedStopSequence("END", undefined)).toBeUndefined();
  expect(matchedStopSequence(151645, ["END"])).toBeUndefined(); // vLLM: a stop token id
});
