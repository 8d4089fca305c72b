// One pass over a request body's bytes before any of it is parsed, for what the parse cannot give:
// - how deeply it nests: a body nested 100,000 deep parses, but every recursive step after it
//   (validation, hashing, translation, serialization) would overflow the stack;
// - where each member of the top-level object lies in the body, so that the tool list Claude Code
//   resends unchanged with every request (~80% of the body) is known by its bytes and parsed once
//   (tool-list-cache.ts), and the messages a request of the session sent before are stepped over
//   (conversation-cache.ts).
// Bytes, not text: the body is never decoded whole when most of it is known, and UTF-8 puts every
// byte of a multi-byte character above 0x7f, so JSON's quotes and brackets are found as they are.
import { decodeUtf8 } from "./body-bytes";

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;
const COLON = 58;
const COMMA = 44;

// A member's value in the body: from after its colon to its comma or the object's closing brace.
export type Span = { start: number; end: number };

export type JsonScan = {
  tooDeep: boolean; // some value sits deeper than the limit
  // Where each element of the array member `elementsOf` ends (the comma after it, or the closing
  // bracket), for those scanned: not those of a known prefix stepped over.
  elementEnds?: number[];
  // Undefined when the body is not one object, or a key appears twice or is written with escapes:
  // what JSON.parse makes of such a member is not simply its span.
  members?: Map<string, Span>;
};

// knownEnd(key, start): where the value of member `key` starting at `start` ends when its bytes are
// one already scanned at the top level of an earlier body (so not too deep), else -1.
// knownPrefix(key, start): the same for the start of an array up to the end of one of its
// elements (a conversation's messages a request before sent): the scan goes on inside the array.
export function scanJson(
  body: Uint8Array,
  limit: number,
  knownEnd: (key: string, start: number) => number = () => -1,
  knownPrefix: (key: string, start: number) => number = () => -1,
  elementsOf?: string,
): JsonScan {
  const members = new Map<string, Span>();
  const elementEnds: number[] = [];
  let located = body[firstNonSpace(body)] === OPEN_BRACE;
  let depth = 0;
  let key: string | undefined; // the top-level member being read, once its key is read
  let valueStart = 0;
  const close = (end: number) => {
    if (key === undefined) return; // {}
    if (members.has(key) || key.includes("\\")) located = false;
    members.set(key, { start: valueStart, end });
    key = undefined;
  };
  for (let index = 0; index < body.length; index++) {
    const code = body[index];
    if (code === QUOTE) {
      const end = closingQuote(body, index);
      if (end < 0) return { tooDeep: false }; // unterminated: JSON.parse will say so
      if (depth === 1 && key === undefined) key = decodeUtf8(body.subarray(index + 1, end));
      index = end;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return { tooDeep: true };
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      if (depth === 2 && code === CLOSE_BRACKET && elementsOf !== undefined && key === elementsOf) elementEnds.push(index);
      if (--depth === 0) close(index);
    } else if (depth === 1 && code === COLON) {
      valueStart = index + 1;
      if (key === undefined) continue;
      const end = knownEnd(key, valueStart);
      const inside = end > 0 ? -1 : knownPrefix(key, valueStart);
      if (end > 0) index = end - 1;
      else if (inside > 0) [index, depth] = [inside - 1, 2];
    } else if (depth === 1 && code === COMMA) {
      close(index);
    } else if (depth === 2 && code === COMMA && elementsOf !== undefined && key === elementsOf) {
      elementEnds.push(index);
    }
  }
  return { tooDeep: false, members: located ? members : undefined, elementEnds };
}

function firstNonSpace(body: Uint8Array): number {
  let index = 0;
  while (index < body.length && body[index]! <= 32) index++;
  return index;
}

// The index of the quote that ends the string opened at `open`, or -1. A plain loop: measured,
// it is twice as fast as a typed array's indexOf here.
function closingQuote(body: Uint8Array, open: number): number {
  for (let index = open + 1; index < body.length; index++) {
    const code = body[index];
    if (code === BACKSLASH) index++;
    else if (code === QUOTE) return index;
  }
  return -1;
}
