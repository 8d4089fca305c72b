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

  test("a trailing comma, single quotes and a missing comma are repaired", () => {
    expect(repairToolArguments('{"command": "ls",}')).toMatchObject({ kind: "repaired", input: { command: "ls" } });
    expect(repairToolArguments("{'command': 'ls'}")).toMatchObject({ kind: "repaired", input: { command: "ls" } });
    expect(repairToolArguments('{"a": "b" "c": 1}')).toEqual({ kind: "repaired", arguments: '{"a": "b", "c": 1}', input: { a: "b", c: 1 } });
  });

  test("what cannot be repaired into an object is unparseable", () => {
    expect(repairToolArguments("}{")).toEqual({ kind: "unparseable" });
    expect(repairToolArguments('{"a": 1} and then some')).toEqual({ kind: "unparseable" });
    expect(repairToolArguments("[1, 2]")).toEqual({ kind: "unparseable" });
    expect(repairToolArguments("just words")).toEqual({ kind: "unparseable" });
  });
});
