// A backend request's JSON, as the bytes sent. Claude Code resends its tool list and every earlier
// message with each request, and those are the same frozen objects each time (the tool list cache,
// the conversation cache, the translation kept per session: src/server/): each is serialized and
// encoded once, and its bytes copied in. So a request costs what its new messages do, not what the
// whole conversation does. `messages` and `tools` go last; JSON ignores the order of keys.
import { memoizeByIdentity } from "../memoize-by-identity";

const encoder = new TextEncoder();
const encode = (json: string): Uint8Array => encoder.encode(json);
const frozenJson = memoizeByIdentity((value: object) => encode(JSON.stringify(value)));
const [OPEN_BRACKET, COMMA, CLOSE_BRACKET, CLOSE_BRACE] = ["[", ",", "]", "}"].map(encode) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];

export function serializeBody(body: unknown): Uint8Array {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return encode(JSON.stringify(body));
  const { messages, tools, ...rest } = body as Record<string, unknown>;
  const head = JSON.stringify(rest);
  const parts = [encode(head.slice(0, -1))];
  let separator = head === "{}" ? "" : ",";
  for (const [key, value] of [["messages", messages], ["tools", tools]] as const) {
    if (value === undefined) continue;
    parts.push(encode(`${separator}"${key}":`), ...valueBytes(value));
    separator = ",";
  }
  parts.push(CLOSE_BRACE);
  return Buffer.concat(parts);
}

// A frozen list in one piece (a tool list), any other list element by element.
function valueBytes(value: unknown): Uint8Array[] {
  if (!Array.isArray(value)) return [encode(JSON.stringify(value))];
  if (Object.isFrozen(value)) return [frozenJson(value)];
  const parts = [OPEN_BRACKET];
  for (const [index, item] of value.entries()) parts.push(...(index > 0 ? [COMMA] : []), itemBytes(item));
  parts.push(CLOSE_BRACKET);
  return parts;
}

function itemBytes(item: unknown): Uint8Array {
  if (typeof item === "object" && item !== null && Object.isFrozen(item)) return frozenJson(item);
  return encode(JSON.stringify(item) ?? "null");
}
