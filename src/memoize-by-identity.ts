// What is derived from an object that is never changed once made, computed once per object: the
// tool lists requests share (src/server/tool-list-cache.ts) are translated, hashed and serialized
// once per list, not once per request.
export function memoizeByIdentity<K extends object, V>(derive: (key: K) => V): (key: K) => V {
  const derived = new WeakMap<K, V>();
  return (key) => {
    if (derived.has(key)) return derived.get(key)!;
    const value = derive(key);
    derived.set(key, value);
    return value;
  };
}

// Derived once per frozen object and every time for any other: Claude Code resends the whole
// conversation each request, and the messages a session sent before come back as the same frozen
// objects (src/server/conversation-cache.ts), so what is derived from them costs nothing as the
// conversation grows; the newest messages, not frozen, are read as they come.
export function memoizeFrozen<K extends object, V>(derive: (key: K) => V): (key: K) => V {
  const known = memoizeByIdentity(derive);
  return (key) => (Object.isFrozen(key) ? known(key) : derive(key));
}

// What is derived from each element of a list, for lists that grow at their end: a conversation's
// messages, which Claude Code resends with each request, the earlier ones the same frozen objects
// (src/server/conversation-cache.ts). The values the list before derived are reused as far as
// its elements are the same objects, compared by pointer: the lists are told apart by their first
// frozen element (one per conversation), so a request costs a lookup, not one per message.
// `derive` is also given the value derived for the element before, for values that sum up the
// list so far (whether any message holds an image).
export function memoizeByPrefix<K, V>(derive: (key: K, before: V | undefined) => V): (keys: readonly K[]) => V[] {
  const last = new WeakMap<object, { keys: FrozenPrefix<K>; values: V[] }>();
  const deriveFrom = (keys: readonly K[], values: V[], from: number) => {
    for (let index = from; index < keys.length; index++) values.push(derive(keys[index]!, values[index - 1]));
    return values;
  };
  return (keys) => {
    const first = keys[0];
    if (!isFrozenObject(first)) return deriveFrom(keys, [], 0);
    const before = last.get(first);
    const same = before ? sameCount(before.keys, keys) : 0;
    const values = deriveFrom(keys, before ? before.values.slice(0, same) : [], same);
    last.set(first, { keys: frozenPrefix(keys, same), values });
    return values;
  };
}

// A list kept to compare the next one with, and how many of its first elements are frozen.
export type FrozenPrefix<K> = { items: readonly K[]; frozen: number };

// The list (copied: the caller's may change), whose first `known` elements are frozen.
export function frozenPrefix<K>(items: readonly K[], known: number): FrozenPrefix<K> {
  let frozen = known;
  while (frozen < items.length && isFrozenObject(items[frozen])) frozen++;
  return { items: items.slice(), frozen };
}

// How many elements from the start are the same frozen objects: compared by pointer only, as
// far as those kept were frozen (one unfrozen was derived as it was, and may have changed since).
export function sameCount<K>(before: FrozenPrefix<K>, items: readonly K[]): number {
  const limit = Math.min(before.frozen, items.length);
  let same = 0;
  while (same < limit && items[same] === before.items[same]) same++;
  return same;
}

export function isFrozenObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && Object.isFrozen(value);
}

// Frozen all the way down, so that sharing it between requests cannot go wrong: a write throws.
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  for (const item of Object.values(value)) deepFreeze(item);
  return Object.freeze(value);
}
