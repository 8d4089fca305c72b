// Upstream SSE bytes -> frames (data or comment). Framing is eventsource-parser's job; a
// connection that drops mid-stream simply ends the frames, and whoever reads them, seeing no
// proper end, reports the break to the client.
import { createParser } from "eventsource-parser";
import { ApiError } from "../api-error";

export type SseFrame = { kind: "data"; data: string } | { kind: "comment"; text: string };

export async function* readSseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const pending: SseFrame[] = [];
  const parser = createParser({
    onEvent: (event) => pending.push({ kind: "data", data: event.data }),
    onComment: (text) => pending.push({ kind: "comment", text }),
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let ended = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if ((ended = done)) break;
      parser.feed(decoder.decode(value, { stream: true }));
      yield* pending.splice(0);
    }
  } catch (error) {
    // A dropped connection (mlx_lm.server on a bad parameter, a killed LM Studio) ends the frames;
    // a backend silent past its limit (an ApiError of the watch) is an error to report as such.
    if (error instanceof ApiError) throw error;
  } finally {
    // Read no further than asked: a reader that stops early (the reply ended, a limit passed)
    // cancels the body, which closes the backend's connection.
    if (!ended) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  parser.feed("\n\n"); // flush a last event that lacked its blank line (close-delimited HTTP/1.0)
  yield* pending.splice(0);
}
