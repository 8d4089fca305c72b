import { expect, test } from "bun:test";
import { deepFreeze } from "../memoize-by-identity";
import { serializeBody } from "./serialize-body";

const tools = deepFreeze([{ type: "function", function: { name: "Read", parameters: { type: "object", properties: { 'a"b': { type: "string" } } } } }]);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test("shared (frozen) tool lists and messages: the same JSON value as JSON.stringify makes", () => {
  const kept = deepFreeze({
    role: "assistant",
    content: "é \u2028 🙂",
    tool_calls: [{ id: "a", type: "function", function: { name: "Read", arguments: '{"x": 1}' } }],
  });
  const body = {
    model: "m",
    messages: [{ role: "user", content: "first" }, kept, { role: "user", content: '"next"' }, undefined],
    tools,
    tool_choice: "auto",
    stream: true,
  };
  expect(JSON.parse(text(serializeBody(body)))).toEqual(JSON.parse(JSON.stringify(body)));
  expect(text(serializeBody(body))).toBe(text(serializeBody(structuredClone(body)))); // once serialized, the same bytes
  expect(JSON.parse(text(serializeBody({ tools })))).toEqual({ tools });
  expect(JSON.parse(text(serializeBody({ messages: [] })))).toEqual({ messages: [] });
});

test("what is not shared is serialized as it is", () => {
  const open = [{ name: "x" }];
  expect(text(serializeBody({ model: "m", tools: open }))).toBe(JSON.stringify({ model: "m", tools: open }));
  expect(text(serializeBody({ model: "m" }))).toBe('{"model":"m"}');
  expect(text(serializeBody({}))).toBe("{}");
  expect(text(serializeBody([1, "a"]))).toBe('[1,"a"]');
});
