import { describe, expect, test } from "bun:test";
import { CacheModel } from "./cache-model";
import type { Segment } from "./prefix-chain";

const chain = (...names: string[]): Segment[] => names.map((hash) => ({ hash, tokens: 100 }));
const cold = { segments: 0, tokens: 0 };

describe("CacheModel", () => {
  test("a prompt is warm as far as it agrees with a cached one from the start", () => {
    const cache = new CacheModel(4, "lru");
    cache.record(chain("head", "q1", "a1"), cold, {});
    expect(cache.warmth(chain("head", "q1", "a1", "q2"))).toEqual({ segments: 3, tokens: 300 });
    expect(cache.warmth(chain("head", "other"))).toEqual({ segments: 1, tokens: 100 });
    expect(cache.warmth(chain("new-head", "q1"))).toEqual(cold);
  });

  test("a single-slot cache (mlx-lm up to 0.28.3) thrashes between two conversations; ten slots do not", () => {
    for (const [slots, expected] of [[1, 1], [10, 3]] as const) {
      const cache = new CacheModel(slots, "lru");
      cache.record(chain("head", "a-q1", "a-r1"), cold, {});
      cache.record(chain("head", "b-q1", "b-r1"), cold, {});
      expect(cache.warmth(chain("head", "a-q1", "a-r1", "a-q2")).segments).toBe(expected);
    }
  });

  test("a prompt that extends a cached one replaces it, so slots hold distinct conversations", () => {
    const cache = new CacheModel(2, "lru");
    cache.record(chain("head", "q1", "r1"), cold, {});
    cache.record(chain("head", "q1", "r1", "q2", "r2"), { segments: 3, tokens: 300 }, { cachedTokens: 300, promptTokens: 400 });
    expect(cache.size).toBe(1);
  });

  test("a reported miss where a hit was predicted forgets the entry (the backend evicted it)", () => {
    const cache = new CacheModel(4, "lru");
    cache.record(chain("head", "q1", "r1"), cold, {});
    cache.record(chain("other", "x"), cold, {});
    cache.record(chain("head", "q1", "r1", "q2"), { segments: 3, tokens: 300 }, { cachedTokens: 0, promptTokens: 400 });
    expect(cache.warmth(chain("head", "q1", "r1", "q2")).segments).toBe(4); // the new prompt itself is now held
    expect(cache.warmth(chain("head", "q1", "r1", "q3")).segments).toBe(3);
  });

  test("a backend that never reports a hit is never treated as warm", () => {
    const cache = new CacheModel(4, "lru");
    cache.record(chain("head", "q1"), cold, {});
    cache.record(chain("head", "q1", "q2"), { segments: 2, tokens: 200 }, { cachedTokens: 0 });
    cache.record(chain("head", "q1", "q2", "q3"), { segments: 3, tokens: 300 }, {});
    expect(cache.warmth(chain("head", "q1", "q2", "q3", "q4"))).toEqual(cold);
  });
});
