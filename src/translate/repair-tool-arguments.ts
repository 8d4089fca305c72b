// Tool-call arguments as the model wrote them -> the object Claude Code runs the tool with.
// Local models now and then write almost-JSON (a trailing comma, single quotes, a missing comma);
// `jsonrepair` mends what can be mended. Both reply paths, streamed and whole, come through here.
import { jsonrepair } from "jsonrepair";

export type ToolArguments =
  | { kind: "valid"; arguments: string; input: Record<string, unknown> } // the model's bytes, unchanged
  | { kind: "repaired"; arguments: string; input: Record<string, unknown> }
  | { kind: "unparseable" };

export function repairToolArguments(args: string): ToolArguments {
  // No arguments at all is a call without parameters, as OpenAI servers send it.
  if (args.trim() === "") return { kind: "valid", arguments: "{}", input: {} };
  // Valid JSON goes on byte for byte: the same bytes are replayed to the backend on the next turn
  // (src/prefix/replay-memory.ts), so re-serializing them would break its prompt cache.
  const input = parseJsonObject(args);
  if (input) return { kind: "valid", arguments: args, input };
  const repaired = tryRepair(args);
  const repairedInput = repaired === undefined ? undefined : parseJsonObject(repaired);
  return repaired !== undefined && repairedInput ? { kind: "repaired", arguments: repaired, input: repairedInput } : { kind: "unparseable" };
}

// A JSON object, or nothing. A prefix of a JSON text that parses as an object is the whole text
// (anything after the closing brace would be a syntax error), so this also tells whether a call
// cut off by max_tokens had in fact been written to the end.
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function tryRepair(text: string): string | undefined {
  try {
    return jsonrepair(text);
  } catch {
    return undefined; // jsonrepair throws on what it cannot mend
  }
}
