// Issue 27: a call cut off inside its arguments (a stop sequence, EOS, a server that misreports
// finish_reason) was closed by jsonrepair into one the model never wrote, and handed over as
// runnable: `{"command": "rm -rf /tmp/bui` ran as `rm -rf /tmp/bui`.
import { describe, expect, test } from "bun:test";
import { repairToolArguments } from "./repair-tool-arguments";

describe("repairToolArguments", () => {
  test("valid JSON passes byte for byte: the same bytes are replayed for the backend's prompt cache", () => {
    const args = '{"file_path":  "/a.ts" ,"limit": 10}';
    expect(repairToolArguments(args)).toEqual({ kind: "valid", arguments: args, input: { file_path: "/a.ts", limit: 10 } });
  });

  test("no arguments is a call without parameters", () => {
    expect(repairToolArguments("")).toEqual({ kind: "valid", arguments: "{}", input: {} });
  });

  // Slips that leave every value as the model wrote it: repaired, into strict JSON.
  const repaired: [string, string, Record<string, unknown>][] = [
    ["a trailing comma", '{"command": "ls",}', { command: "ls" }],
    ["trailing commas in nested containers", '{"a": [1, 2,], "b": {"c": 3,},}', { a: [1, 2], b: { c: 3 } }],
    ["single quotes", "{'command': 'ls'}", { command: "ls" }],
    ["single quotes around a double quote, an escaped apostrophe", `{'command': 'echo "it\\'s"'}`, { command: `echo "it's"` }],
    ["a missing comma between two whole members", '{"a": "b" "c": 1}', { a: "b", c: 1 }],
    ["a missing comma before a bare key, and on a new line", '{"a": 1\n b: 2}', { a: 1, b: 2 }],
    ["a missing comma between array elements", '{"a": [1 2 "x" {"b": true}]}', { a: [1, 2, "x", { b: true }] }],
    ["bare keys", '{file_path: "/a.ts", limit_2: 5}', { file_path: "/a.ts", limit_2: 5 }],
    ["Python's literals, whole", "{'a': True, 'b': False, 'c': None}", { a: true, b: false, c: null }],
    ["a raw newline and tab inside a string", '{"content": "line 1\nline\t2"}', { content: "line 1\nline\t2" }],
    ["a ```json fence around the object", '```json\n{"command": "ls"}\n```', { command: "ls" }],
    ["a bare fence around a repaired object", "\n```\n{'command': 'ls',}\n```\n", { command: "ls" }],
    ["escapes decoded, unicode too", "{'a': '\\u00e9\\n\\\\d \\/'}", { a: "é\n\\d /" }],
    ["an explicit null the model wrote", "{'a': null, 'b': -1.5e3}", { a: null, b: -1500 }],
    ["an empty object with a fence", "```\n{}\n```", {}],
  ];
  test.each(repaired)("repaired: %s", (_, args, input) => {
    const result = repairToolArguments(args);
    expect(result).toMatchObject({ kind: "repaired", input });
    expect(result.kind === "repaired" && JSON.parse(result.arguments)).toEqual(input); // strict JSON, for the replay
  });

  // What a cut-off or garbled call looks like: never completed, never invented, never run.
  const refused: [string, string][] = [
    ["cut off inside a string", '{"command": "rm -rf /tmp/bui'],
    ["a missing value made null, brackets closed that were never opened", '{"command": "ls" "x": }}} ]]'],
    ["cut off inside a number", '{"n": 12'],
    ["cut off after a colon", '{"command":'],
    ["cut off after a key", '{"command"'],
    ["cut off after a comma", '{"a": 1,'],
    ["cut off after the opening brace", "{"],
    ["cut off inside a literal", '{"a": tru'],
    ["a whole literal, the object left open", "{'a': True"],
    ["cut off inside a fraction", '{"a": 1.'],
    ["cut off inside an exponent", '{"a": 1e'],
    ["a lone minus", '{"a": -'],
    ["cut off inside an escape", '{"a": "x\\'],
    ["cut off inside a unicode escape", '{"a": "\\u00'],
    ["the object closed but a nested array not", '{"a": [1, 2}'],
    ["the object closed but a nested object not", '{"a": {"b": 1}'],
    ["a nested array never closed", '{"a": [1, 2'],
    ["a missing value between members", '{"a": , "b": 1}'],
    ["a missing colon", '{"a" 1}'],
    ["two commas", '{"a": 1,, "b": 2}'],
    ["a hole in an array", '{"a": [1,,2]}'],
    ["a comma right after the opening brace", '{, "a": 1}'],
    ["a bare word as a value", '{"a": yes}'],
    ["a literal glued to more", '{"a": Truex}'],
    ["a number glued to more", '{"a": 12abc}'],
    ["a number JSON does not know", '{"a": 0x10, "b": .5}'],
    ["NaN", '{"a": NaN}'],
    ["an escape JSON does not know", "{'pattern': '\\d+'}"],
    ["text after the object", '{"a": 1} and then some'],
    ["a second object after the first", '{"file_path": "/a.ts"} {"old_string": "x"}'],
    ["a surplus closing brace", "{'a': 1}}"],
    ["brackets swapped", "{'a': [1}]"],
    ["an array, not an object", "[1, 2]"],
    ["a string, not an object", "'ls'"],
    ["plain words", "just words"],
    ["closing first", "}{"],
    ["a fence never closed", '```json\n{"command": "ls"}'],
    ["a fence around a cut-off call", '```json\n{"command": "rm -rf /tmp/bui\n```'],
    ["a key that is a number", "{1: 'a'}"],
    ["a colon after a value", '{"a": 1: 2}'],
    ["deep nesting never closed", "{'a': " + "[".repeat(100_000)],
  ];
  test.each(refused)("refused: %s", (_, args) => {
    expect(repairToolArguments(args)).toEqual({ kind: "unparseable" });
  });

  test("a key written __proto__ stays a key, as JSON.parse keeps it", () => {
    const result = repairToolArguments("{'__proto__': {'polluted': 1},}");
    expect(result.kind).toBe("repaired");
    expect(result.kind === "repaired" && Object.keys(result.input)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
