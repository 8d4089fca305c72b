import { describe, expect, test } from "bun:test";
import { PromptCache } from "./prompt-cache";
import { encodeTokens } from "./encode-tokens";

// Turns end on a full stop, so an earlier turn's tokens are an exact prefix of a later one's.
const conversation = (name: string, turns: number) =>
  encodeTokens(`shared system prompt with tools.${Array.from({ length: turns }, (_, turn) => ` ${name} turn ${turn}.`).join("")}`);

describe("PromptCache", () => {
  test("lookup is the longest common token prefix over what it holds, short of the last token", () => {
    const cache = new PromptCache({ slots: 10 });
    cache.store(conversation("A", 1));
    expect(cache.lookup(conversation("A", 2))).toBe(conversation("A", 1).length);
    expect(cache.lookup(conversation("A", 1))).toBe(conversation("A", 1).length - 1); // the last token is always computed
    const unrelated = encodeTokens("something else entirely");
    expect(cache.lookup(unrelated)).toBe(0);
    expect([cache.totalPromptTokens, cache.totalCachedTokens]).toEqual([
      conversation("A", 2).length + conversation("A", 1).length + unrelated.length,
      conversation("A", 1).length * 2 - 1,
    ]);
  });

  test("one slot thrashes between two interleaved conversations; ten do not", () => {
    for (const [slots, keepsBoth] of [
      [1, false],
      [10, true],
    ] as const) {
      const cache = new PromptCache({ slots });
      for (const name of ["A", "B"]) cache.lookup(conversation(name, 1)), cache.store(conversation(name, 1));
      expect(cache.lookup(conversation("A", 2)) === conversation("A", 1).length).toBe(keepsBoth);
    }
  });

  test("lru: an entry a newer one extends is replaced; the oldest insert goes when full, lookups do not refresh", () => {
    const cache = new PromptCache({ slots: 2 });
    cache.store(conversation("A", 1));
    cache.store(conversation("A", 2)); // extends A1: replaces it
    expect(cache.size).toBe(1);
    cache.store(conversation("B", 1));
    cache.lookup(conversation("A", 3)); // a hit changes no order
    cache.store(conversation("C", 1)); // full: A2, the oldest insert, goes
    expect(cache.lookup(conversation("A", 3))).toBeLessThan(conversation("A", 2).length);
  });

  test("slots: a request takes the most similar slot and overwrites it, even with free slots left", () => {
    const cache = new PromptCache({ slots: 4, policy: "slots" });
    const a = conversation("A", 1);
    cache.lookup(a), cache.store(a, a);
    const b = conversation("B", 1);
    expect(cache.lookup(b)).toBeGreaterThan(b.length / 2);
    cache.store(b, b);
    expect(cache.size).toBe(1);
  });
});
