// Claude Code gives up after ~40 s without a byte, and a cold prefill of its prompt on a Mac takes
// 30-60 s. While the backend is silent, a heartbeat every few seconds keeps the stream alive
// (the stream converter sends it as an Anthropic `ping`).
import type { UpstreamEvent } from "../translate/create-stream-converter";

export async function* withHeartbeat(events: AsyncIterator<UpstreamEvent>, intervalMs: number): AsyncGenerator<UpstreamEvent> {
  let next = events.next();
  while (true) {
    let timer: Timer | undefined;
    const tick = new Promise<"tick">((resolve) => (timer = setTimeout(resolve, intervalMs, "tick")));
    const result = await Promise.race([next, tick]);
    clearTimeout(timer);
    if (result === "tick") {
      yield { kind: "comment" };
      continue;
    }
    if (result.done) return;
    yield result.value;
    next = events.next();
  }
}
