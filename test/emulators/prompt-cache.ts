// A model of a server's prompt (KV) cache, measured in tokens. It keeps the last `slots` token
// sequences it computed, least recently used first out, and answers how much of a new prompt
// it already holds: mlx_lm.server 0.28.4+ keeps an LRU of 10 prompts (1 before), LM Studio's
// llama.cpp engine one prompt per slot (4 by default). After a reply it holds the prompt plus
// the generated tokens, so a client that replays the turn byte-for-byte hits all of it.
export class PromptCache {
  private entries: string[][] = [];
  totalPromptTokens = 0;
  totalCachedTokens = 0;

  constructor(readonly slots: number) {}

  // cached_tokens for this prompt; the entry used moves to the most recent place.
  lookup(tokens: string[]): number {
    let best = 0;
    let bestIndex = -1;
    this.entries.forEach((entry, index) => {
      const common = commonPrefix(entry, tokens);
      if (common > best) [best, bestIndex] = [common, index];
    });
    // A prompt must compute at least its last token, as real servers do.
    const cached = Math.min(best, Math.max(0, tokens.length - 1));
    if (bestIndex >= 0) this.entries.push(...this.entries.splice(bestIndex, 1));
    this.totalPromptTokens += tokens.length;
    this.totalCachedTokens += cached;
    return cached;
  }

  // The server computed these tokens (prompt + reply): it now holds them. An entry they extend
  // is replaced, as a trie-backed cache does.
  store(tokens: string[]): void {
    this.entries = this.entries.filter((entry) => !(entry.length <= tokens.length && commonPrefix(entry, tokens) === entry.length));
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
