// Claude Code resends the whole conversation with every request, one turn longer each time: at
// 400 KB, parsing and validating it again took ~7 ms a request on this machine, hashing it 2 ms.
// Per session, the messages of the last request are kept as the text they came in (the body
// itself, not a copy: one string per session) with where each ends, and as the validated objects
// they made, frozen. The next request whose messages start with the same text, up to the end of
// one of them, reuses those objects: only the messages after are parsed and validated, and what
// is derived from a message (its prefix-chain segment) is computed once per object
// (memoize-by-identity.ts). Claude Code moves its cache_control marker to the newest message every
// turn, so the last message or two usually differ: they are read again.
import { deepFreeze } from "../memoize-by-identity";

// Sessions at once (a team's, their subagents), and the text they may hold in all: a long session
// is ~0.5 MB of text, and its parsed messages about as much again (up to twice for text outside
// Latin-1): 12 M characters are 16 such sessions and more, well inside the daemon's 150 MB. A body
// past PER_SESSION_CHARS (pasted images, logs) is not kept: that session is read whole.
const SESSIONS = 64;
const TOTAL_CHARS = 12 * 1024 * 1024;
const PER_SESSION_CHARS = 2 * 1024 * 1024;
// How far back from the newest message a match is looked for: past that, the conversation changed
// (compacted, edited) and is read whole.
const LOOK_BACK = 4;

type Known = {
  text: string; // the whole body the messages came in
  start: number; // where the messages' value starts in it
  ends: number[]; // where each message ends (the comma or bracket after it), from `start`
  messages: readonly unknown[]; // each validated and frozen
};

export type PrefixMatch = { count: number; end: number; ends: number[]; messages: readonly unknown[] };

export class ConversationCache {
  private readonly sessions = new Map<string, Known>(); // least recently used first
  private chars = 0;

  // The longest run of known messages the text at `start` begins with, or undefined.
  match(key: string, text: string, start: number): PrefixMatch | undefined {
    const known = this.sessions.get(key);
    if (!known) return undefined;
    for (let count = known.ends.length; count > 0 && count >= known.ends.length - LOOK_BACK; count--) {
      const length = known.ends[count - 1]!;
      if (text.startsWith(known.text.substring(known.start, known.start + length), start)) {
        return { count, end: start + length, ends: known.ends.slice(0, count - 1), messages: known.messages.slice(0, count) };
      }
    }
    return undefined;
  }

  // After a request was read: its messages, for the next one of the session.
  remember(key: string, text: string, start: number, ends: number[], messages: readonly unknown[]): void {
    this.forget(key);
    if (text.length > PER_SESSION_CHARS || ends.length !== messages.length) return;
    for (const message of messages) deepFreeze(message);
    this.sessions.set(key, { text, start, ends, messages });
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
    this.chars -= known.text.length;
    this.sessions.delete(key);
  }
}
