import { expect, test } from "bun:test";
import { deepFreeze } from "../memoize-by-identity";
import { serializeBody } from "./serialize-body";

const tools = deepFreeze([{ type: "function", function: { name: "Read", parameters: { type: "object", properties: { "a\"b": { type: "string" } } } } }]);
const kept = deepFreeze({ role: "user", content: "é \u2028 🙂" });

test("shared (frozen) tool lists and messages: byte for byte what JSON.stringify makes, from the first request on", () => {
  const body = { model: "m", messages: [kept, { role: "assistant", content: null }, kept], tools, tool_choice: "auto", stream: true };
  for (let request = 0; request < 2; request++) expect(serializeBody(body)).toBe(JSON.stringify(body));
  expect(serializeBody({ tools })).toBe(JSON.stringify({ tools }));
});

test("what JSON.stringify leaves out or writes as null is left out or null", () => {
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  const body = { a: undefined, b: () => 1, c: [undefined, () => 1, Symbol("s"), kept], d: sparse, e: new Date(0), f: [], g: {} };
  expect(serializeBody(body)).toBe(JSON.stringify(body));
  expect(serializeBody({})).toBe("{}");
  expect(serializeBody(deepFreeze({ model: "m" }))).toBe('{"model":"m"}');
});
