// Which of llama-server's slots a conversation's request goes to (its `id_slot`). Left to itself,
// llama-server puts a request into the idle slot whose prompt shares the longest prefix with it
// (tools/server/server-context.cpp, get_available_slot), and an empty slot shares none: Claude Code
// sessions, which share their system prompt, all land in one slot and each evicts the others'
// conversations (measured, test/real/interleaved-sessions.test.ts: every follow-up of 4 interleaved
// sessions on 4 slots computed its whole task again, ~700 tokens, against 13 when each kept its
// slot). anyclaude keeps the model of each slot's prompt (the prefix chain it last sent there) and
// picks the slot that costs least: the tokens to compute there, plus, when that slot holds
// another live conversation, what it will cost that conversation to compute its part again on
// each of its next turns. A busy slot is never picked: a task pinned to one waits inside the
// server, where anyclaude can no longer bound or cancel it.
import { chainTokens, type Segment } from "../prefix/prefix-chain";

// How many more turns a live conversation is expected to take: Claude Code sessions take many,
// so a cold slot (the shared prompt computed once more) soon costs less than sharing one. With
// Claude Code's ~12k-token system prompt and tools, sessions whose own part passes ~750 tokens
// get slots of their own; parallel agents (their own parts a few dozen tokens) share one.
const EXPECTED_TURNS = 16;
// A conversation not seen for this long is taken as over: its slot is free to take.
const LIVE_MS = 10 * 60_000;
// get_available_slot (server-context.cpp): a slot whose prompt the request shares at most this
// share of is not "similar" (--slot-prompt-similarity, 0.1 by default)...
const SIMILAR_SHARE = 0.1;
// ...and one whose prompt the request keeps less than this share of is saved to the RAM prompt
// cache, and the request's best match there restored into it.
const KEPT_SHARE = 0.5;
// A restore from the RAM cache, in tokens: a copy of the slot's state, cheap beside computing, but
// a slot that holds the prefix already wins a tie.
const RESTORE_COST = 1;

// A request running in a slot: the slot is busy until it has ended. Asked rather than told, so a
// request that waited for this one (src/prefix/shared-prefill.ts) and is told of its end first
// already finds the slot free.
export type SlotHolder = { readonly ended: boolean };

// `seeded`: it holds a prompt that shares nothing with any request, not nothing (see restores).
type Slot = { conversation?: string; segments: readonly Segment[]; usedAt: number; holders: Set<SlotHolder>; seeded?: boolean };

export class SlotAssignment {
  private readonly slots: Slot[];
  // The server has a RAM prompt cache (--cache-ram, on by default): learned by slot-pinning.ts.
  restoresFromCache = false;

  constructor(
    count: number,
    private readonly now: () => number = Date.now,
  ) {
    this.slots = Array.from({ length: count }, () => ({ segments: [], usedAt: 0, holders: new Set<SlotHolder>() }));
  }

  get size(): number {
    return this.slots.length;
  }

  // The slot for `holder`, a request of `conversation` whose prompt is `segments`, busy until the
  // holder has ended; undefined when every slot is busy (the server then queues it wherever it likes).
  // `joining`: the request waited for another to compute the prefix it shares (parallel agents,
  // src/prefix/shared-prefill.ts): it goes where that prefix is, whoever's slot it is.
  take(conversation: string, segments: readonly Segment[], holder: SlotHolder, joining = false): number | undefined {
    const slot = this.cheapest(conversation, segments, joining);
    if (slot === undefined) return undefined;
    const state = this.slots[slot]!;
    Object.assign(state, { conversation, segments, usedAt: this.now(), seeded: false });
    state.holders.add(holder);
    return slot;
  }

  // What the server holds in a slot that no request of ours put there (slot-pinning.ts): a request
  // sent unpinned, or a one-token prompt that keeps the slot from being empty (`segments` []).
  place(slot: number, conversation: string | undefined, segments: readonly Segment[]): void {
    const state = this.slots[slot];
    if (state) Object.assign(state, { conversation, segments, usedAt: this.now(), seeded: segments.length === 0 });
  }

  private cheapest(conversation: string, segments: readonly Segment[], joining: boolean): number | undefined {
    let best: { slot: number; cost: number; usedAt: number } | undefined;
    const cached = this.restoresFromCache ? Math.max(...this.slots.map((state) => sharedTokens(state.segments, segments))) : 0;
    this.slots.forEach((state, slot) => {
      for (const holder of state.holders) if (holder.ended) state.holders.delete(holder);
      if (state.holders.size > 0) return;
      const cost = this.cost(state, conversation, segments, joining, cached);
      if (!best || cost < best.cost || (cost === best.cost && state.usedAt < best.usedAt)) best = { slot, cost, usedAt: state.usedAt };
    });
    return best?.slot;
  }

  // `cached`: the longest prefix the request shares with any slot's prompt, which a RAM prompt
  // cache holds too (idle slots are copied there whenever a task starts: cache_idle_slots).
  private cost(state: Slot, conversation: string, segments: readonly Segment[], joining: boolean, cached: number): number {
    const shared = sharedTokens(state.segments, segments);
    const total = chainTokens(segments);
    const held = chainTokens(state.segments);
    // An empty slot is never restored into (its f_keep is 0/0); a seeded one always is.
    const restored = this.restoresFromCache && (state.seeded || (held > 0 && (shared <= total * SIMILAR_SHARE || shared < held * KEPT_SHARE)));
    // What it held is saved, not lost; a copy in from RAM still costs more than a prefix in place.
    if (restored) return total - Math.max(shared, cached) + RESTORE_COST;
    const evicts = !joining && state.conversation !== undefined && state.conversation !== conversation && this.now() - state.usedAt < LIVE_MS;
    return total - shared + (evicts ? (held - shared) * EXPECTED_TURNS : 0);
  }
}

function sharedTokens(held: readonly Segment[], wanted: readonly Segment[]): number {
  let tokens = 0;
  for (let index = 0; index < Math.min(held.length, wanted.length); index++) {
    if (held[index]!.hash !== wanted[index]!.hash) break;
    tokens += wanted[index]!.tokens;
  }
  return tokens;
}
