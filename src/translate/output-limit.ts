// The request's max_tokens, enforced on what a backend writes: a server may ignore it (or never
// stop: endless text passes JSC's 2^31-1 character limit after ~2 GB, endless tool-call
// arguments reached 869 MB in 4 s), and every character of a reply is held until it ends.
// Tokens are counted cheaply: the backend's own count when it reports one as it goes, else the
// characters, at a generous 16 a token (real replies average 3-4; a token of 16 characters is
// already a long run of spaces or dashes), so a real reply is never cut short by the estimate.
const MAX_CHARS_PER_TOKEN = 16;
// A tiny max_tokens still lets a reply of a few long tokens through.
const MIN_CHARS = 1024;

// `reportedTokens`: the output tokens the backend says it wrote so far, if it says.
export function pastOutputLimit(maxTokens: number, chars: number, reportedTokens?: number): boolean {
  return chars > Math.max(MIN_CHARS, maxTokens * MAX_CHARS_PER_TOKEN) || (reportedTokens ?? 0) > maxTokens;
}
