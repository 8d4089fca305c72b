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

// Frozen all the way down, so that sharing it between requests cannot go wrong: a write throws.
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  for (const item of Object.values(value)) deepFreeze(item);
  return Object.freeze(value);
}
