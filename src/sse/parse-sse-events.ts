// Upstream SSE bytes -> UpstreamEvents. Framing, comments and [DONE] are eventsource-parser's job;
// a connection that drops mid-stream simply ends the events, and the stream converter, seeing no
// finish_reason, reports the break to the client.
import { createParser } from "eventsource-parser";
import * as v from "valibot";
import { ChatChunk } from "../protocol/openai";
import type { UpstreamEvent } from "../translate/create-stream-converter";

export async function* parseSseEvents(body: ReadableStream<Uint8Array>, backend: string): AsyncGenerator<UpstreamEvent> {
  const pending: UpstreamEvent[] = [];
  const parser = createParser({
    onEvent: (event) => pending.push(toUpstreamEvent(event.data, backend)),
    onComment: () => pending.push({ kind: "comment" }),
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      yield* pending.splice(0);
    }
  } catch {
    // A dropped connection (mlx_lm.server on a bad parameter, a killed LM Studio) ends the events.
  } finally {
    reader.releaseLock();
  }
  parser.feed("\n\n"); // flush a last event that lacked its blank line (close-delimited HTTP/1.0)
  yield* pending.splice(0);
}

function toUpstreamEvent(data: string, backend: string): UpstreamEvent {
  if (data.trim() === "[DONE]") return { kind: "done" };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { kind: "failure", errorType: "api_error", message: `backend "${backend}" sent a stream chunk that is not JSON: ${data.slice(0, 200)}` };
  }
  const parsed = v.safeParse(ChatChunk, json);
  if (!parsed.success) {
    return { kind: "failure", errorType: "api_error", message: `backend "${backend}" sent a malformed chunk: ${v.summarize(parsed.issues)}` };
  }
  return { kind: "chunk", chunk: parsed.output };
}
