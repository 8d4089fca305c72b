import { describe, expect, test } from "bun:test";
import type { Tool } from "../protocol/anthropic";
import { coerceToSchema } from "./coerce-tool-arguments";
import { settleToolCalls } from "./settle-tool-calls";

const toolSearchLike: Tool = {
  name: "mcp__notes__search",
  input_schema: {
    type: "object",
    properties: {
      query: { type: "string" },
      max_results: { type: "number" },
      exact: { type: "boolean" },
      tags: { type: "array" },
      filter: { type: ["object", "null"] },
      code: { type: "string" },
    },
  },
};

describe("arguments of a tool the server was not told of, typed by its schema", () => {
  test("numbers, booleans, arrays and objects written as text become values; strings stay strings", () => {
    // What mlx_lm's qwen3_coder parser returns for an undeclared tool: every value a string.
    const input = { query: "milk", max_results: "5", exact: "true", tags: '["a","b"]', filter: '{"done":false}', code: "42" };
    expect(coerceToSchema(input, toolSearchLike)).toEqual({
      query: "milk",
      max_results: 5,
      exact: true,
      tags: ["a", "b"],
      filter: { done: false },
      code: "42",
    });
  });

  test("text that does not spell the schema's type is left as written, and so is a tool without a schema", () => {
    const input = { max_results: "five", exact: "1", other: "7" };
    expect(coerceToSchema(input, toolSearchLike)).toBe(input);
    expect(coerceToSchema({ a: "1" }, undefined)).toEqual({ a: "1" });
  });

  test("settled calls: the client gets typed input, the replay keeps the bytes the server generated", () => {
    const args = '{"query": "milk", "max_results": "5"}';
    const settled = settleToolCalls([{ id: "t1", name: "mcp__notes__search", arguments: args }], {
      backend: "mlx-lm",
      toolUseId: (position) => `toolu_${position}`,
      undeclaredTools: new Map([[toolSearchLike.name, toolSearchLike]]),
    });
    expect(settled.calls[0]).toEqual({
      id: "t1",
      name: "mcp__notes__search",
      arguments: args,
      input: { query: "milk", max_results: 5 },
      clientJson: '{"query":"milk","max_results":5}',
    });
    const declared = settleToolCalls([{ id: "t2", name: "mcp__notes__search", arguments: args }], {
      backend: "llama",
      toolUseId: (position) => `toolu_${position}`,
    });
    expect(declared.calls[0]!.clientJson).toBe(args);
  });
});
