// A model of a server's prompt (KV) cache, over token ids, in the two ways local servers keep one:
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
  private entries: number[][] = []; // oldest first
  // "slots": the slot each prompt took at lookup (undefined: a free one), until its reply is stored.
  private claims = new WeakMap<number[], number[] | undefined>();
  private lastPrompt: number[] | undefined;
  totalPromptTokens = 0;
  totalCachedTokens = 0;

  readonly slots: number;
  readonly policy: CachePolicy;

  // `new PromptCache({ slots: 10 })` or `new PromptCache(10, "lru")`.
  constructor(slots: number | { slots: number; policy?: CachePolicy }, policy: CachePolicy = "lru") {
    this.slots = typeof slots === "number" ? slots : slots.slots;
    this.policy = typeof slots === "number" ? policy : (slots.policy ?? "lru");
  }

  // cached_tokens for this prompt. A prompt always computes at least its last token.
  lookup(tokens: number[]): number {
    const common = this.entries.map((entry) => commonPrefix(entry, tokens));
    let best = common.reduce((bestIndex, length, index) => (length > (common[bestIndex] ?? 0) ? index : bestIndex), -1);
    if (this.policy === "slots") {
      const similar = best >= 0 && common[best]! >= SLOT_SIMILARITY_THRESHOLD * tokens.length;
      best = similar ? best : this.entries.length < this.slots ? -1 : 0;
      this.claims.set(tokens, this.entries[best]);
      this.lastPrompt = tokens;
    }
    const cached = best >= 0 ? Math.min(common[best]!, Math.max(0, tokens.length - 1)) : 0;
    this.totalPromptTokens += tokens.length;
    this.totalCachedTokens += cached;
    return cached;
  }

  // The server computed these tokens (prompt + reply): it now holds them. `prompt` is the array
  // given to lookup (requests overlap on a server); without it, the latest lookup's.
  store(tokens: number[], prompt: number[] | undefined = this.lastPrompt): void {
    if (this.policy === "slots") {
      const claimed = prompt ? this.claims.get(prompt) : undefined;
      if (prompt) this.claims.delete(prompt);
      if (claimed && this.entries.includes(claimed)) this.entries.splice(this.entries.indexOf(claimed), 1);
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

function commonPrefix(a: number[], b: number[]): number {
  const limit = Math.min(a.length, b.length);
  let index = 0;
  while (index < limit && a[index] === b[index]) index++;
  return index;
}
