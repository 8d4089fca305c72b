// A deterministic stand-in for a BPE tokenizer, calibrated to about 3.5 characters a token on
// Claude Code's prompts (English, code, JSON schemas) as real tokenizers are: a word with its
// leading space, up to three digits, a run of whitespace, or up to two punctuation marks; long
// words in 6-character pieces. Like a real tokenizer it is prefix-friendly: tokenize(a + b)
// starts with tokenize(a) except, at most, at the token that straddles the boundary.
// `bench` sizes its prompt with it; the test emulators count their prompts with it.
const PIECES = / ?[A-Za-z]+| ?[0-9]{1,3}|\s+|[^A-Za-z0-9\s]{1,2}/g;
const MAX_PIECE = 6;

export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.matchAll(PIECES)) {
    const piece = match[0];
    for (let offset = 0; offset < piece.length; offset += MAX_PIECE) tokens.push(piece.slice(offset, offset + MAX_PIECE));
  }
  return tokens;
}
