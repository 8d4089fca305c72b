// Plays a recorded chunk fixture (one JSON chunk a line, `: comment` lines, `[DONE]`) as the SSE
// bytes a backend would send, cut into small pieces so framing across reads is exercised too.
import { readFileSync } from "node:fs";
import type { StreamEvent } from "../../src/protocol/anthropic";
import { readChatChunks } from "../../src/backends/read-chat-chunks";
import { createStreamConverter, type StreamContext } from "../../src/translate/create-stream-converter";
import type { Reply } from "../../src/translate/reply";

export function fixtureSse(name: string): string {
  const lines = readFileSync(new URL(`../fixtures/chunks/${name}.chunks.txt`, import.meta.url), "utf8")
    .split("\n")
    .filter(Boolean);
  return lines.map((line) => (line.startsWith(":") ? `${line}\n\n` : `data: ${line}\n\n`)).join("");
}

export function byteStream(text: string, pieceSize = 7): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + pieceSize));
      offset += pieceSize;
    },
  });
}

export async function convertFixture(name: string, context: Partial<StreamContext> = {}): Promise<{ events: StreamEvent[]; reply?: Reply }> {
  let reply: Reply | undefined;
  const converter = createStreamConverter({
    backend: "test-backend",
    model: "claude-sonnet-test",
    messageId: "msg_test",
    inputTokens: 100,
    toolUseId: (index) => `toolu_test_${index}`,
    onReply: (value) => (reply = value),
    ...context,
  });
  const upstream = readChatChunks(byteStream(fixtureSse(name)), "test-backend");
  const source = new ReadableStream({
    async pull(controller) {
      const { done, value } = await upstream.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
  });
  const events: StreamEvent[] = [];
  for await (const event of source.pipeThrough(converter)) events.push(event);
  return { events, reply };
}

// One line per event, enough to read the order and content at a glance.
export function summarize(events: StreamEvent[]): string[] {
  return events.map((event) => {
    switch (event.type) {
      case "content_block_start": {
        const block = event.content_block;
        return `start ${event.index} ${block.type}${block.type === "tool_use" ? ` ${block.name} ${block.id}` : ""}`;
      }
      case "content_block_delta": {
        const delta = event.delta;
        const value =
          delta.type === "text_delta"
            ? delta.text
            : delta.type === "thinking_delta"
              ? delta.thinking
              : delta.type === "input_json_delta"
                ? delta.partial_json
                : "<signature>";
        return `delta ${event.index} ${delta.type} ${value}`;
      }
      case "content_block_stop":
        return `stop ${event.index}`;
      case "message_delta":
        return `message_delta ${event.delta.stop_reason} in=${event.usage.input_tokens} out=${event.usage.output_tokens} cached=${event.usage.cache_read_input_tokens}`;
      case "error":
        return `error ${event.error.type}: ${event.error.message}`;
      default:
        return event.type;
    }
  });
}
