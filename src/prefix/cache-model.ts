// A model of what one backend's prompt cache holds: the prompts it computed (each with the reply
// it produced), in one of the two ways local servers keep them:
// - "lru" (mlx_lm.server 0.28.4+): up to `slots` prompts in a trie; a prompt that extends a cached
//   one replaces it; the oldest goes when full. (One slot is mlx-lm up to 0.28.3.)
// - "slots" (llama.cpp, so LM Studio, llama-server, Ollama): `slots` sequences; a prompt takes the
//   slot most similar to it (sharing more than a tenth of it) and overwrites it, else the oldest.
//   Claude Code conversations share a long system prompt, so a new one overwrites a live one.
import { chainHashes, chainTokens, type Segment } from "./prefix-chain";

export type CachePolicy = "lru" | "slots";

// owner: the person whose request put it there (authorize.ts); none for a daemon without tokens
// and for a prewarm (the head alone, sent by the daemon itself).
type Entry = { segments: readonly Segment[]; hashes: readonly string[]; tick: number; owner?: string };

export type Warmth = { segments: number; tokens: number };

// A chain's first segment is its head (prefix-chain.ts): system prompt and tools.
const HEAD_SEGMENTS = 1;
const SLOT_SIMILARITY = 0.1; // llama-server's --slot-prompt-similarity default (checked on the real server)

export class CacheModel {
  private entries: Entry[] = []; // oldest first
  private reportedHits = 0;
  private missedPredictions = 0;

  constructor(
    private readonly slots: number,
    private readonly policy: CachePolicy,
  ) {}

  // How much of this prompt the backend should find in its cache, as far as `person` may know: of
  // another person's prompt only the head (the system prompt and tools, the same for everyone on
  // purpose). Beyond it, a warm prefix would confirm what someone else sent (a first message
  // guessed right is 14 tokens warmer than one guessed wrong); what the backend physically keeps
  // (which slot a prompt overwrites) is modelled unscoped.
  warmth(chain: readonly Segment[], person?: string): Warmth {
    if (this.neverHits()) return { segments: 0, tokens: 0 };
    const best = this.nearest(chain, person);
    return best ? { segments: best.segments, tokens: sumTokens(chain, best.segments) } : { segments: 0, tokens: 0 };
  }

  // After a reply: the backend now holds this prompt and its reply (`tick` orders entries by
  // age). `report` is what the backend counted: cached_tokens, and its own prompt length.
  record(chain: readonly Segment[], predicted: Warmth, report: { cachedTokens?: number; promptTokens?: number }, tick = 0, owner?: string): void {
    this.learnFromReport(chain, predicted, report);
    const entry = { segments: chain, hashes: chainHashes(chain), tick, owner };
    const replaced = this.victim(chain);
    if (replaced) this.entries.splice(this.entries.indexOf(replaced), 1);
    if (this.policy === "lru") this.entries = this.entries.filter((other) => !isPrefix(other.hashes, entry.hashes));
    this.entries.push(entry);
  }

  // What serving this prompt here would destroy: the tokens of a conversation still in use
  // (extended within `idleTicks` replies) that its entry would overwrite, beyond what the two share.
  evictionCost(chain: readonly Segment[], now: number, idleTicks: number): number {
    const replaced = this.victim(chain);
    if (!replaced || replaced.tick <= now - idleTicks) return 0;
    const shared = commonPrefix(replaced.hashes, chainHashes(chain));
    return chainTokens(replaced.segments) - sumTokens(replaced.segments, shared);
  }

  // Whether some cached prompt starts with this head (system prompt and tools), by the model alone:
  // unlike warmth(), not zeroed for a backend that never reports a hit (see prewarm).
  holdsHead(headHash: string): boolean {
    return this.entries.some((entry) => entry.hashes[0] === headHash);
  }

  get size(): number {
    return this.entries.length;
  }

  // The entry a new prompt would overwrite: the one it extends, llama.cpp's most similar slot,
  // else the oldest when full.
  private victim(chain: readonly Segment[]): Entry | undefined {
    const hashes = chainHashes(chain);
    const extended = this.entries.find((entry) => isPrefix(entry.hashes, hashes));
    if (extended) return extended;
    if (this.policy === "slots") {
      const best = this.nearest(chain);
      if (best && sumTokens(chain, best.segments) >= SLOT_SIMILARITY * chainTokens(chain)) return best.entry;
    }
    return this.entries.length >= this.slots ? this.entries[0] : undefined;
  }

  // viewer: see warmth(); none sees every entry whole.
  private nearest(chain: readonly Segment[], viewer?: string): { entry: Entry; segments: number } | undefined {
    const hashes = chainHashes(chain);
    let best: { entry: Entry; segments: number } | undefined;
    for (const entry of this.entries) {
      const shared = commonPrefix(entry.hashes, hashes);
      const segments = viewer !== undefined && entry.owner !== viewer ? Math.min(shared, HEAD_SEGMENTS) : shared;
      if (segments > (best?.segments ?? 0)) best = { entry, segments };
    }
    return best;
  }

  // A backend whose reports show no hit where the model predicted some (caching off) is not
  // treated as warm. One that reports nothing (LM Studio, mlx-lm before 0.31: no cached_tokens
  // in usage) is not taken as cold either: the model stands.
  private neverHits(): boolean {
    return this.reportedHits === 0 && this.missedPredictions >= 2;
  }

  private learnFromReport(chain: readonly Segment[], predicted: Warmth, report: { cachedTokens?: number; promptTokens?: number }): void {
    const cached = report.cachedTokens;
    if (cached === undefined) return;
    if (cached > 0) this.reportedHits++;
    if (predicted.tokens === 0) return;
    const expected = report.promptTokens ? (predicted.tokens / Math.max(1, chainTokens(chain))) * report.promptTokens : predicted.tokens;
    if (cached < expected / 2) {
      // The backend evicted what we thought it held: forget the entry that made the prediction.
      this.missedPredictions++;
      const hashes = chain.slice(0, predicted.segments).map((part) => part.hash);
      this.entries = this.entries.filter((entry) => commonPrefix(entry.hashes, hashes) < predicted.segments);
    }
  }
}

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let index = 0;
  while (index < a.length && index < b.length && a[index] === b[index]) index++;
  return index;
}

function isPrefix(shorter: readonly string[], longer: readonly string[]): boolean {
  return shorter.length <= longer.length && commonPrefix(shorter, longer) === shorter.length;
}

function sumTokens(chain: readonly Segment[], segments: number): number {
  let tokens = 0;
  for (let index = 0; index < segments; index++) tokens += chain[index]!.tokens;
  return tokens;
}
