import { expect, test } from "bun:test";
import { deepFreeze } from "../memoize-by-identity";
import { serializeBody } from "./serialize-body";

const tools = deepFreeze([{ type: "function", function: { name: "Read", parameters: { type: "object", properties: { "a\"b": { type: "string" } } } } }]);

test("a body with a shared (frozen) tool list: the same JSON value as JSON.stringify makes", () => {
  const body = { model: "m", messages: [{ role: "user", content: "é \u2028 🙂" }], tools, tool_choice: "auto", stream: true };
  expect(JSON.parse(serializeBody(body))).toEqual(body);
  expect(JSON.parse(serializeBody({ tools }))).toEqual({ tools });
});

test("a tool list that is not shared, or no list, is serialized as it is", () => {
  const open = [{ name: "x" }];
  expect(serializeBody({ model: "m", tools: open })).toBe(JSON.stringify({ model: "m", tools: open }));
  expect(serializeBody({ model: "m" })).toBe('{"model":"m"}');
});
