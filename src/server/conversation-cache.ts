// Claude Code resends the whole conversation with every request, one turn longer each time: at
// 400 KB, parsing and validating it again took ~7 ms a request on this machine. Per session, the
// messages of the last request are kept as the validated objects they made, frozen, with the
// bytes they were sent as and where each ended. The next request whose messages start with the
// same bytes reuses those objects: only the messages after are parsed and validated (and checked
// against the rules across messages, given the tool uses the kept ones hold), and what is
// derived from a message (its prefix-chain segment, its translation) is computed once per object.
// Claude Code moves its cache_control marker to the newest message every turn, so the last message
// or two usually differ: they are read again.
//
// The bytes are copied into a buffer each session keeps and grows, not kept as the request's own
// body. Measured (`bun scripts/bench-team.ts`, 16 sessions growing to 400 KB): keeping each
// session's last body, as a string, raised the daemon's peak from ~140 to ~330 MB: every request
// left the previous body behind, long-lived enough to outlast the young collections, and those
// bodies were freed only much later. A buffer written in place leaves nothing behind, and only
// the bytes after the known ones are copied.
import { deepFreeze } from "../memoize-by-identity";
import { toolUseIds, type RequestMessage } from "../protocol/anthropic";
import { GrowingBytes } from "../growing-bytes";
import { bytesAt } from "./body-bytes";

// Sessions at once (a team's, their subagents), and the bytes kept for them in all: a long
// session's parsed messages take about as much memory as its ~0.5 MB of bytes (up to twice for
// text outside Latin-1): 12 MB are 16 such sessions and more, well inside the daemon's 150 MB. A
// body past PER_SESSION_BYTES (pasted images, logs) is not kept: that session is read whole.
const SESSIONS = 64;
const TOTAL_BYTES = 12 * 1024 * 1024;
const PER_SESSION_BYTES = 2 * 1024 * 1024;
// How far back from the newest message a match is looked for: past that, the conversation changed
// (compacted, edited) and is read whole.
const LOOK_BACK = 4;

type Known = {
  bytes: GrowingBytes; // the messages array as sent, from its `[` to its last message's end
  ends: number[]; // where each message ends (the comma or bracket after it), from the array's `[`
  messages: RequestMessage[]; // each validated and frozen
  toolUses: Map<string, number>; // each tool_use id, and the first message that holds it
};

export type PrefixMatch = {
  count: number; // messages known
  end: number; // in the body: where the last of them ends
  ends: number[]; // where each of them but the last ends, from the array's `[`
  messages: readonly RequestMessage[];
  heldBefore: (id: string, index: number) => boolean; // whether a message before index holds that tool_use
  known: Known;
};

export class ConversationCache {
  private readonly sessions = new Map<string, Known>(); // least recently used first
  private bytes = 0;

  // The longest run of known messages the body at `start` (the messages array's `[`) begins with.
  match(key: string, body: Uint8Array, start: number): PrefixMatch | undefined {
    const known = this.sessions.get(key);
    if (!known) return undefined;
    const count = sameMessages(known, body, start);
    if (count === 0) return undefined;
    const heldBefore = (id: string, index: number) => (known.toolUses.get(id) ?? index) < index;
    return { count, end: start + known.ends[count - 1]!, ends: known.ends.slice(0, count - 1), messages: known.messages.slice(0, count), heldBefore, known };
  }

  // After a request was read: its messages, for the next one of the session; `reused`, the match
  // it was read with (its bytes, up to the known messages' end, are the kept ones).
  remember(key: string, body: Uint8Array, start: number, ends: number[], messages: readonly RequestMessage[], reused?: PrefixMatch): void {
    const length = ends.at(-1) ?? 0;
    const kept = reused && reused.known === this.sessions.get(key) ? reused : undefined;
    if (!kept) this.forget(key);
    if (length > PER_SESSION_BYTES || ends.length !== messages.length) return this.forget(key);
    const known: Known = kept ? truncated(kept.known, kept.count) : { bytes: new GrowingBytes(), ends: [], messages: [], toolUses: new Map() };
    const from = kept ? kept.end - start : 0;
    this.bytes -= known.bytes.capacity;
    known.bytes.writeAt(from, body.subarray(start + from, start + length));
    this.bytes += known.bytes.capacity;
    for (let index = known.messages.length; index < messages.length; index++) {
      const message = deepFreeze(messages[index]!);
      for (const id of toolUseIds(message)) if (!known.toolUses.has(id)) known.toolUses.set(id, index);
      known.messages.push(message);
      known.ends.push(ends[index]!);
    }
    this.sessions.delete(key);
    this.sessions.set(key, known);
    for (const [oldest] of this.sessions) {
      if (this.sessions.size <= SESSIONS && this.bytes <= TOTAL_BYTES) break;
      this.forget(oldest);
    }
  }

  get size(): { sessions: number; bytes: number } {
    return { sessions: this.sessions.size, bytes: this.bytes };
  }

  private forget(key: string): void {
    const known = this.sessions.get(key);
    if (!known) return;
    this.bytes -= known.bytes.capacity;
    this.sessions.delete(key);
  }
}

// How many of the known messages the body at `start` begins with: the most that hold the same
// bytes, looked for among the last few (one memcmp each).
function sameMessages(known: Known, body: Uint8Array, start: number): number {
  for (let count = known.ends.length; count > 0 && count >= known.ends.length - LOOK_BACK; count--) {
    if (bytesAt(body, start, known.bytes.view(known.ends[count - 1]))) return count;
  }
  return 0;
}

// The first `count` messages of what a session kept, in place: the tool uses only the dropped
// messages held are dropped with them.
function truncated(known: Known, count: number): Known {
  for (const message of known.messages.splice(count)) {
    for (const id of toolUseIds(message)) if (known.toolUses.get(id)! >= count) known.toolUses.delete(id);
  }
  known.ends.length = count;
  return known;
}
