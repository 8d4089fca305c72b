// Claude Code gives up after ~40 s without a byte, and a cold prefill of its prompt on a Mac takes
// 30-60 s. While the backend is silent, a heartbeat every few seconds keeps the stream alive
// (the converters send it on as an Anthropic `ping`).
export async function* withHeartbeat<T>(events: AsyncIterable<T>, intervalMs: number, heartbeat: T): AsyncGenerator<T> {
  const iterator = events[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    while (true) {
      let timer: Timer | undefined;
      const tick = new Promise<"tick">((resolve) => (timer = setTimeout(resolve, intervalMs, "tick")));
      const result = await Promise.race([next, tick]);
      clearTimeout(timer);
      if (result === "tick") {
        yield heartbeat;
        continue;
      }
      if (result.done) return;
      yield result.value;
      next = iterator.next();
    }
  } finally {
    await iterator.return?.(undefined);
  }
}
