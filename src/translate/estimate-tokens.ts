// A tokenizer-free estimate for count_tokens and message_start, before the backend reports real
// counts. Claude Code's prompts are English, code and JSON: about 3.5 characters a token.
const CHARS_PER_TOKEN = 3.5;

export function estimateTokens(characters: number): number {
  return characters > 0 ? Math.max(1, Math.ceil(characters / CHARS_PER_TOKEN)) : 0;
}
