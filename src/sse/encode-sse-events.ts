// Anthropic stream events -> SSE bytes, one `event:` + `data:` frame each, written as they come.
import type { StreamEvent } from "../protocol/anthropic";

const encoder = new TextEncoder();

export function formatSseEvent(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function encodeSseEvents(): TransformStream<StreamEvent, Uint8Array> {
  return new TransformStream({
    transform(event, controller) {
      controller.enqueue(encoder.encode(formatSseEvent(event)));
    },
  });
}
