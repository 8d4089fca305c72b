// An Anthropic stream event as its SSE frame: `event:` + `data:`.
import type { StreamEvent } from "../protocol/anthropic";

export function formatSseEvent(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
