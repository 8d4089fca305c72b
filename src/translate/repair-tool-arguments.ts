// Tool-call arguments as the model wrote them -> the object Claude Code runs the tool with.
// Both reply paths, streamed and whole, come through here (settle-tool-calls.ts).
//
// Local models now and then write almost-JSON, and a user who auto-approves tools runs whatever
// goes out, so a repair must never change what the model said. The rule: a repair is made only
// when every value of the result was written whole by the model. The text is read as one object
// of a relaxed JSON, token by token, and nothing is ever added but a comma between two whole
// members and quotes around a bare key. Accepted slips:
//   - a trailing comma before `}` or `]`;
//   - a missing comma between two whole members of an object or elements of an array;
//   - strings in single quotes, `\'` escapes, raw control characters (a literal newline) inside a
//     string;
//   - bare keys (`{command: "ls"}`);
//   - Python's `True`, `False`, `None`, written as whole words;
//   - a ``` or ```json code fence around the whole object.
// Everything else is refused, in particular all that a call cut off inside its arguments (a stop
// sequence or EOS, a server that misreports `finish_reason`) leaves: a string, number, literal or
// escape left open, a key without its colon or value (`"x": }` is not `"x": null`), a bracket
// left open or closed by another kind, two commas in a row, anything after the object. So every
// string, number and literal of the result is one token of the source, decoded; every bracket of
// the source is closed by its own; and no key maps to a value the source does not hold.
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
  const repaired = readRelaxedObject(withoutFence(args));
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

// The text inside a fence that opens it and closes it; otherwise the text itself.
function withoutFence(text: string): string {
  const trimmed = text.trim();
  const firstLine = trimmed.indexOf("\n");
  if (!trimmed.startsWith("```") || !trimmed.endsWith("```") || firstLine < 0 || firstLine > trimmed.length - 4) return text;
  const info = trimmed.slice(3, firstLine).trim();
  return info === "" || info === "json" ? trimmed.slice(firstLine + 1, -3) : text;
}

// Where the reader is inside an open object or array: what may come next.
//   object: "key" (after `{` or `,`), "colon", "value" (after `:`), "next" (after a member)
//   array:  "item" (after `[` or `,`), "next" (after an element)
type Frame = { kind: "object" | "array"; expect: "key" | "colon" | "value" | "item" | "next" };

const LITERALS: Record<string, string> = { true: "true", false: "false", null: "null", True: "true", False: "false", None: "null" };
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const IDENTIFIER = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const DELIMITER = /[\s,}\]]/;

// The relaxed object above as strict JSON text, or undefined when the text is not one. Iterative,
// with its own stack: a deeply nested reply cannot overflow the call stack.
function readRelaxedObject(text: string): string | undefined {
  const out: string[] = [];
  const stack: Frame[] = [];
  let started = false;
  let at = 0;
  while (true) {
    while (at < text.length && /\s/.test(text[at]!)) at++;
    if (at === text.length) return started && stack.length === 0 ? out.join("") : undefined;
    if (started && stack.length === 0) return undefined; // something after the object
    const frame = stack.at(-1);
    const char = text[at]!;
    // A member or element right after another: the comma the model left out.
    const implicitComma = frame?.expect === "next" && char !== "," && char !== "}" && char !== "]" && char !== ":";
    if (implicitComma) {
      out.push(",");
      frame.expect = frame.kind === "object" ? "key" : "item";
    }
    const slot = !frame ? (started ? "none" : "top") : frame.expect;
    if (char === "{" || char === "[") {
      if (slot !== "value" && slot !== "item" && !(slot === "top" && char === "{")) return undefined;
      started = true;
      out.push(char);
      stack.push(char === "{" ? { kind: "object", expect: "key" } : { kind: "array", expect: "item" });
      at++;
    } else if (char === "}" || char === "]") {
      const kind = char === "}" ? "object" : "array";
      // Closing after an opening bracket or a comma (an empty or trailing-comma container), or a member.
      if (frame?.kind !== kind || !(slot === "next" || slot === (kind === "object" ? "key" : "item"))) return undefined;
      if (out.at(-1) === ",") out.pop(); // a trailing comma
      out.push(char);
      stack.pop();
      valueRead(stack);
      at++;
    } else if (char === "," || char === ":") {
      if (char === "," ? slot !== "next" : slot !== "colon") return undefined;
      out.push(char);
      frame!.expect = char === "," ? (frame!.kind === "object" ? "key" : "item") : "value";
      at++;
    } else if (char === '"' || char === "'") {
      const read = readString(text, at);
      if (!read || (slot !== "key" && slot !== "value" && slot !== "item")) return undefined;
      out.push(JSON.stringify(read.value));
      if (slot === "key") frame!.expect = "colon";
      else valueRead(stack);
      at = read.end;
    } else {
      const token = readToken(text, at, slot === "key");
      if (token === undefined || (slot !== "key" && slot !== "value" && slot !== "item")) return undefined;
      out.push(token.json);
      if (slot === "key") frame!.expect = "colon";
      else valueRead(stack);
      at = token.end;
    }
  }
}

// After a whole value: the container it is in expects the next member (nothing, at the top).
function valueRead(stack: Frame[]): void {
  const frame = stack.at(-1);
  if (frame) frame.expect = "next";
}

// A number or literal (a value), or a bare key; each must end where a delimiter begins, so a
// token cut short (`tru`, `1.`, `-`) is not one.
function readToken(text: string, at: number, key: boolean): { json: string; end: number } | undefined {
  const pattern = key ? IDENTIFIER : /[-0-9]/.test(text[at]!) ? NUMBER : IDENTIFIER;
  pattern.lastIndex = at;
  const match = pattern.exec(text);
  if (!match) return undefined;
  const end = at + match[0].length;
  if (end < text.length && !DELIMITER.test(text[end]!) && !(key && text[end] === ":")) return undefined;
  if (key) return { json: JSON.stringify(match[0]), end };
  const json = pattern === NUMBER ? match[0] : Object.hasOwn(LITERALS, match[0]) ? LITERALS[match[0]] : undefined;
  return json === undefined ? undefined : { json, end };
}

const ESCAPES: Record<string, string> = { '"': '"', "'": "'", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

// A string in the quote it opens with, decoded; undefined when it is not closed or holds an
// escape JSON does not know (`\d`: what the model meant by it is a guess).
function readString(text: string, start: number): { value: string; end: number } | undefined {
  const quote = text[start]!;
  const parts: string[] = [];
  let from = start + 1;
  for (let at = from; at < text.length; at++) {
    const char = text[at]!;
    if (char === quote) {
      parts.push(text.slice(from, at));
      return { value: parts.join(""), end: at + 1 };
    }
    if (char !== "\\") continue;
    parts.push(text.slice(from, at));
    const escape = text[at + 1];
    if (escape === "u") {
      const hex = text.slice(at + 2, at + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
      parts.push(String.fromCharCode(parseInt(hex, 16)));
      at += 5;
    } else {
      if (escape === undefined || !Object.hasOwn(ESCAPES, escape)) return undefined;
      parts.push(ESCAPES[escape]!);
      at += 1;
    }
    from = at + 1;
  }
  return undefined;
}
