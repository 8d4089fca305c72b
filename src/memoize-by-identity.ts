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

// Frozen all the way down, so that sharing it between requests cannot go wrong: a write throws.
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  for (const item of Object.values(value)) deepFreeze(item);
  return Object.freeze(value);
}
