// A model of what one backend's prompt cache holds: the last `slots` prompts it computed (with the
// reply each produced), least recently used first out. mlx_lm.server >= 0.28.4 keeps an LRU of 10
// prompts; LM Studio's llama.cpp engine keeps one prompt per slot (4 by default).
import type { Segment } from "./prefix-chain";

type Entry = { hashes: string[]; tokens: number[] };

export type Warmth = { segments: number; tokens: number };

export class CacheModel {
  private entries: Entry[] = [];
  private reportedHits = 0;
  private missedPredictions = 0;

  constructor(private readonly slots: number) {}

  // How much of this prompt the backend should find in its cache.
  warmth(chain: Segment[]): Warmth {
    if (this.neverHits()) return { segments: 0, tokens: 0 };
    const hashes = chain.map((part) => part.hash);
    let best: Warmth = { segments: 0, tokens: 0 };
    for (const entry of this.entries) {
      const segments = commonPrefix(entry.hashes, hashes);
      if (segments > best.segments) best = { segments, tokens: sumTokens(chain, segments) };
    }
    return best;
  }

  // After a reply: the backend now holds this prompt and its reply. `reported` is the
  // cached_tokens the backend counted, `promptTokens` its own count for the whole prompt.
  record(chain: Segment[], predicted: Warmth, report: { cachedTokens?: number; promptTokens?: number }): void {
    this.learnFromReport(chain, predicted, report);
    const hashes = chain.map((part) => part.hash);
    // A prompt that extends a cached one takes its place, as a trie-backed cache does.
    this.entries = this.entries.filter((entry) => !isPrefix(entry.hashes, hashes));
    this.entries.push({ hashes, tokens: chain.map((part) => part.tokens) });
    if (this.entries.length > this.slots) this.entries.splice(0, this.entries.length - this.slots);
  }

  get size(): number {
    return this.entries.length;
  }

  // A backend that never reports a hit (caching off, or no cached_tokens in its usage) is not
  // treated as warm, whatever the model predicts.
  private neverHits(): boolean {
    return this.reportedHits === 0 && this.missedPredictions >= 2;
  }

  private learnFromReport(chain: Segment[], predicted: Warmth, report: { cachedTokens?: number; promptTokens?: number }): void {
    const cached = report.cachedTokens ?? 0;
    if (cached > 0) this.reportedHits++;
    if (predicted.tokens === 0) return;
    const expected = report.promptTokens ? (predicted.tokens / Math.max(1, sumTokens(chain, chain.length))) * report.promptTokens : predicted.tokens;
    if (cached < expected / 2) {
      // The backend evicted what we thought it held: forget the entry that made the prediction.
      this.missedPredictions++;
      const hashes = chain.slice(0, predicted.segments).map((part) => part.hash);
      this.entries = this.entries.filter((entry) => commonPrefix(entry.hashes, hashes) < predicted.segments);
    }
  }
}

function commonPrefix(a: string[], b: string[]): number {
  let index = 0;
  while (index < a.length && index < b.length && a[index] === b[index]) index++;
  return index;
}

function isPrefix(shorter: string[], longer: string[]): boolean {
  return shorter.length <= longer.length && commonPrefix(shorter, longer) === shorter.length;
}

function sumTokens(chain: Segment[], segments: number): number {
  let tokens = 0;
  for (let index = 0; index < segments; index++) tokens += chain[index]!.tokens;
  return tokens;
}
