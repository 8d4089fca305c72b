// How much anyclaude reads from a backend, whatever the backend sends: a broken or hostile server
// can write a line that never ends (500 MB with no newline took the daemon to 1.17 GB), a body
// that never ends (a 1 GB web page with HTTP 200: 3 GB), an error page of any size. Each limit is
// far above what a real reply needs: Claude Code asks for at most 128,000 output tokens, ~0.5 MB
// of text, ~1 MB once JSON-escaped. The watch of each call enforces them (upstream-watch.ts).
export type ReadLimits = {
  // One SSE event (its lines up to the blank line). mlx_lm.server sends a whole tool call in one
  // delta: the largest reply in one event is ~1 MB; 16 MB leaves 16 times that.
  eventBytes: number;
  // A whole (non-streaming) answer: one reply's JSON, ~1 MB at most; 32 MB leaves room for what
  // servers add (timings, logprobs).
  bodyBytes: number;
  // An error's body: only its head is read. The message is in the first few hundred bytes (and
  // only 500 characters of it are quoted); 64 KB is plenty for a JSON error with a stack trace.
  errorBodyBytes: number;
};

export const READ_LIMITS: ReadLimits = { eventBytes: 16 * 1024 * 1024, bodyBytes: 32 * 1024 * 1024, errorBodyBytes: 64 * 1024 };
