// A model of a server's prompt (KV) cache, measured in tokens, in the two ways local servers keep one:
// - "lru" (mlx_lm.server 0.28.4+, mlx-lm's LRUPromptCache): up to `slots` token sequences in a
//   trie; a lookup copies the nearest one and changes nothing; an insert drops the entries it
//   extends and evicts the oldest insert when full. `slots: 1` is mlx-lm up to 0.28.3.
// - "slots" (llama.cpp, LM Studio's default engine): `slots` sequences; a request takes the slot
//   most similar to its prompt (the least recently used one when none shares at least half of
//   it) and that slot then holds the new prompt and reply, whatever it held before.
// After a reply the server holds prompt + generated tokens, so a client that replays the turn
// byte-for-byte finds all of it.
export type CachePolicy = "lru" | "slots";

const SLOT_SIMILARITY_THRESHOLD = 0.5; // llama-server's --slot-prompt-similarity default

export class PromptCache {
  private entries: string[][] = []; // oldest first
  private claimed = -1; // "slots": the slot the current request took
  totalPromptTokens = 0;
  totalCachedTokens = 0;

  constructor(
    readonly slots: number,
    readonly policy: CachePolicy = "lru",
  ) {}

  // cached_tokens for this prompt. A prompt always computes at least its last token.
  lookup(tokens: string[]): number {
    const common = this.entries.map((entry) => commonPrefix(entry, tokens));
    let best = common.reduce((bestIndex, length, index) => (length > (common[bestIndex] ?? 0) ? index : bestIndex), -1);
    if (this.policy === "slots") {
      const similar = best >= 0 && common[best]! >= SLOT_SIMILARITY_THRESHOLD * tokens.length;
      this.claimed = similar ? best : this.entries.length < this.slots ? -1 : 0;
      best = this.claimed;
    }
    const cached = best >= 0 ? Math.min(common[best]!, Math.max(0, tokens.length - 1)) : 0;
    this.totalPromptTokens += tokens.length;
    this.totalCachedTokens += cached;
    return cached;
  }

  // The server computed these tokens (prompt + reply): it now holds them.
  store(tokens: string[]): void {
    if (this.policy === "slots") {
      if (this.claimed >= 0) this.entries.splice(this.claimed, 1);
      this.claimed = -1;
    } else {
      this.entries = this.entries.filter((entry) => !(entry.length <= tokens.length && commonPrefix(entry, tokens) === entry.length));
    }
    this.entries.push(tokens);
    if (this.entries.length > this.slots) this.entries.splice(0, this.entries.length - this.slots);
  }

  get size(): number {
    return this.entries.length;
  }
}

function commonPrefix(a: string[], b: string[]): number {
  const limit = Math.min(a.length, b.length);
  let index = 0;
  while (index < limit && a[index] === b[index]) index++;
  return index;
}
