// Claude Code resends the whole conversation with every request, one turn longer each time: at
// 400 KB, parsing and validating it again took ~7 ms a request on this machine, hashing it 2 ms.
// Per session, the messages of the last request are kept as the validated objects they made,
// frozen, with where each ended in the body and a hash of each one's text. The next request whose
// first messages' text hashes the same reuses those objects: only the messages after are parsed
// and validated, and what is derived from a message (its prefix-chain segment) is computed once
// per object (memoize-by-identity.ts).
// Claude Code moves its cache_control marker to the newest message every turn, so the last message
// or two usually differ: they are read again.
//
// The body itself is not kept. Measured (`bun scripts/bench-team.ts`, 16 sessions growing to
// 400 KB): keeping each session's last body, as a string, raised the daemon's peak from ~140 to
// ~330 MB: every request leaves the previous body behind, long-lived enough to outlast the
// young collections, and those bodies are freed only much later. A hash is two numbers.
import { deepFreeze } from "../memoize-by-identity";

// Sessions at once (a team's, their subagents), and the bodies their kept messages came from, in
// all: a long session's parsed messages take about as much memory as its ~0.5 MB of text (up to
// twice for text outside Latin-1): 12 M characters are 16 such sessions and more, well inside the
// daemon's 150 MB. A body past PER_SESSION_CHARS (pasted images, logs) is not kept: that session
// is read whole.
const SESSIONS = 64;
const TOTAL_CHARS = 12 * 1024 * 1024;
const PER_SESSION_CHARS = 2 * 1024 * 1024;
// How far back from the newest message a match is looked for: past that, the conversation changed
// (compacted, edited) and is read whole.
const LOOK_BACK = 4;

type Known = {
  ends: number[]; // where each message ends (the comma or bracket after it), from the messages' start
  hashes: string[]; // each message's text (from the previous message's end to its own), hashed
  messages: readonly unknown[]; // each validated and frozen
  chars: number; // the length of the body they came in: what the cache's bound counts
};

export type PrefixMatch = { count: number; end: number; ends: number[]; messages: readonly unknown[]; hashes: string[] };

export class ConversationCache {
  private readonly sessions = new Map<string, Known>(); // least recently used first
  private chars = 0;

  // The longest run of known messages the text at `start` begins with, or undefined.
  match(key: string, text: string, start: number): PrefixMatch | undefined {
    const known = this.sessions.get(key);
    if (!known) return undefined;
    const count = sameMessages(known, text, start);
    if (count === 0 || count < known.ends.length - LOOK_BACK) return undefined;
    const end = start + known.ends[count - 1]!;
    return { count, end, ends: known.ends.slice(0, count - 1), messages: known.messages.slice(0, count), hashes: known.hashes.slice(0, count) };
  }

  // After a request was read: its messages, for the next one of the session; `reused`, the match
  // it was read with, whose hashes hold for its messages.
  remember(key: string, text: string, start: number, ends: number[], messages: readonly unknown[], reused?: PrefixMatch): void {
    this.forget(key);
    if (text.length > PER_SESSION_CHARS || ends.length !== messages.length) return;
    for (const message of messages) deepFreeze(message);
    const hashes = reused?.hashes ?? []; // the match's own copy
    for (let index = hashes.length; index < ends.length; index++) hashes.push(hashOf(text, start + (ends[index - 1] ?? 0), start + ends[index]!));
    this.sessions.set(key, { ends, hashes, messages, chars: text.length });
    this.chars += text.length;
    for (const [oldest] of this.sessions) {
      if (this.sessions.size <= SESSIONS && this.chars <= TOTAL_CHARS) break;
      this.forget(oldest);
    }
  }

  get size(): { sessions: number; chars: number } {
    return { sessions: this.sessions.size, chars: this.chars };
  }

  private forget(key: string): void {
    const known = this.sessions.get(key);
    if (!known) return;
    this.chars -= known.chars;
    this.sessions.delete(key);
  }
}

// How many of the known messages the text at `start` begins with, compared by their hashes.
function sameMessages(known: Known, text: string, start: number): number {
  let count = 0;
  while (count < known.ends.length) {
    const from = start + (known.ends[count - 1] ?? 0);
    const to = start + known.ends[count]!;
    if (to > text.length || hashOf(text, from, to) !== known.hashes[count]) break;
    count++;
  }
  return count;
}

// 128 bits over one message's text (two seeds of Bun's wyhash) and its length: a match by chance
// is not a concern at any number of requests. One message at a time: hashing a long span made a
// copy of it as long, which outlived the request (see above).
function hashOf(text: string, from: number, to: number): string {
  const span = text.substring(from, to);
  return `${to - from}:${Bun.hash(span, 1).toString(36)}:${Bun.hash(span, 2).toString(36)}`;
}
