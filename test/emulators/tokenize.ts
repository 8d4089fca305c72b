// A deterministic stand-in for a BPE tokenizer: words, runs of spaces and single punctuation,
// long words cut in 4-character pieces, so counts land near 1 token per 4 characters of English
// or JSON. Like a real tokenizer it is prefix-friendly: tokenize(a + b) starts with tokenize(a)
// except, at most, at the token that straddles the boundary.
const PIECES = /[A-Za-z]+|[0-9]+|\s+|[^A-Za-z0-9\s]/g;
const MAX_PIECE = 4;

export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.matchAll(PIECES)) {
    const piece = match[0];
    for (let offset = 0; offset < piece.length; offset += MAX_PIECE) tokens.push(piece.slice(offset, offset + MAX_PIECE));
  }
  return tokens;
}
