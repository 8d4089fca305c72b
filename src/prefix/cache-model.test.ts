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
    for (const [slots, expected] of [
      [1, 1],
      [10, 3],
    ] as const) {
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

  test("a backend that reports no hit where one was predicted is never treated as warm", () => {
    const cache = new CacheModel(4, "lru");
    cache.record(chain("head", "q1"), cold, {});
    cache.record(chain("head", "q1", "q2"), { segments: 2, tokens: 200 }, { cachedTokens: 0 });
    cache.record(chain("head", "q1", "q2", "q3"), { segments: 3, tokens: 300 }, { cachedTokens: 0 });
    expect(cache.warmth(chain("head", "q1", "q2", "q3", "q4"))).toEqual(cold);
  });

  test("a backend that reports no cached tokens at all (LM Studio, mlx-lm < 0.31) is not taken as cold", () => {
    const cache = new CacheModel(4, "lru");
    cache.record(chain("head", "q1"), cold, {});
    cache.record(chain("head", "q1", "q2"), { segments: 2, tokens: 200 }, { promptTokens: 300 });
    cache.record(chain("head", "q1", "q2", "q3"), { segments: 3, tokens: 300 }, { promptTokens: 400 });
    expect(cache.warmth(chain("head", "q1", "q2", "q3", "q4")).segments).toBe(4);
  });

  test('"slots" (llama.cpp): a new conversation sharing the system prompt overwrites the most similar slot', () => {
    const cache = new CacheModel(4, "slots");
    cache.record(chain("head", "a1", "a2"), cold, {}, 1);
    cache.record(chain("head", "b1"), cold, {}, 2);
    expect(cache.size).toBe(1); // b took a's slot: they share more than a tenth
    expect(cache.warmth(chain("head", "a1", "a2", "a3")).segments).toBe(1);
  });

  test("evictionCost: what a prompt would push out of a conversation still in use", () => {
    const slots = new CacheModel(4, "slots");
    slots.record(chain("head", "a1", "a2"), cold, {}, 10);
    expect(slots.evictionCost(chain("head", "b1"), 11, 5)).toBe(200); // a1, a2 lost
    expect(slots.evictionCost(chain("head", "b1"), 20, 5)).toBe(0); // a is idle: finished
    expect(slots.evictionCost(chain("head", "a1", "a2", "a3"), 11, 5)).toBe(0); // extending a itself
    const lru = new CacheModel(2, "lru");
    lru.record(chain("head", "a1"), cold, {}, 1);
    expect(lru.evictionCost(chain("head", "b1"), 2, 5)).toBe(0); // a free slot
    lru.record(chain("head", "b1"), cold, {}, 2);
    expect(lru.evictionCost(chain("head", "c1"), 3, 5)).toBe(100); // the oldest, a, would go
  });
});
