// A backend request's JSON, as the bytes sent. Claude Code resends its tool list and every earlier
// message with each request, and those are the same frozen objects each time (the tool list cache,
// the conversation cache, the translation kept per session: src/server/): each is serialized and
// encoded once, and its bytes copied in. So a request costs what its new messages do, not what the
// whole conversation does. `messages` and `tools` go last; JSON ignores the order of keys.
import { GrowingBytes } from "../growing-bytes";
import { frozenPrefix, isFrozenObject, memoizeByIdentity, sameCount, type FrozenPrefix } from "../memoize-by-identity";

const encoder = new TextEncoder();
const encode = (json: string): Uint8Array => encoder.encode(json);
const frozenJson = memoizeByIdentity((value: object) => encode(JSON.stringify(value)));

export function serializeBody(body: unknown): Uint8Array {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return encode(JSON.stringify(body));
  const { messages, tools, ...rest } = body as Record<string, unknown>;
  const head = JSON.stringify(rest);
  const out = new Pieces();
  out.add(encode(head.slice(0, -1)));
  let separator = head === "{}" ? "" : ",";
  for (const [key, value] of [
    ["messages", messages],
    ["tools", tools],
  ] as const) {
    if (value === undefined) continue;
    out.add(encode(`${separator}"${key}":`));
    addValue(out, value);
    separator = ",";
  }
  out.add(CLOSE_BRACE);
  return out.join();
}

// A frozen list in one piece (a tool list); any other list element by element, from its first
// frozen element on joined as the list before was, as far as they are the same (a conversation's
// messages after its fresh system message).
function addValue(out: Pieces, value: unknown): void {
  if (!Array.isArray(value)) return out.add(encode(JSON.stringify(value)));
  if (Object.isFrozen(value)) return out.add(frozenJson(value));
  out.add(OPEN_BRACKET);
  const firstFrozen = value.findIndex(isFrozenObject);
  const each = firstFrozen < 0 ? value.length : firstFrozen;
  for (let index = 0; index < each; index++) {
    if (index > 0) out.add(COMMA);
    out.add(itemJson(value[index]));
  }
  if (firstFrozen >= 0) {
    if (firstFrozen > 0) out.add(COMMA);
    out.add(joinedFrom(value.slice(firstFrozen)));
  }
  out.add(CLOSE_BRACKET);
}

// Per list (told apart by its first element, one per conversation): its elements' JSON joined
// with commas, and where each ends.
type Joined = { items: FrozenPrefix<unknown>; bytes: GrowingBytes; ends: number[] };
const joined = new WeakMap<object, Joined>();

function joinedFrom(items: unknown[]): Uint8Array {
  const before = joined.get(items[0] as object);
  const same = before ? sameCount(before.items, items) : 0;
  const kept: Joined = before ?? { items: frozenPrefix(items, 0), bytes: new GrowingBytes(), ends: [] };
  kept.items = frozenPrefix(items, same);
  kept.ends.length = same;
  // Encoded here and kept only here: a copy per message besides would double what a session holds.
  for (let index = same; index < items.length; index++) {
    kept.bytes.writeAt(kept.ends[index - 1] ?? 0, encode(`${index > 0 ? "," : ""}${JSON.stringify(items[index]) ?? "null"}`));
    kept.ends.push(kept.bytes.length);
  }
  joined.set(items[0] as object, kept);
  return kept.bytes.view(kept.ends.at(-1) ?? 0);
}

function itemJson(item: unknown): Uint8Array {
  return encode(JSON.stringify(item) ?? "null");
}

// Byte pieces joined into one buffer, allocated once.
class Pieces {
  private readonly pieces: Uint8Array[] = [];
  private length = 0;

  add(piece: Uint8Array): void {
    this.pieces.push(piece);
    this.length += piece.length;
  }

  join(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const piece of this.pieces) {
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  }
}

const [OPEN_BRACKET, COMMA, CLOSE_BRACKET, CLOSE_BRACE] = ["[", ",", "]", "}"].map(encode) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
