// A streaming reply. The Anthropic stream starts at once, before the backend has answered:
// message_start, then pings while the backend prefills (30-60 s cold on a Mac for Claude Code's
// prompt), then each upstream chunk translated the moment it arrives.
import { ApiError } from "../api-error";
import { BackendUnreachable } from "../backends/backend-error";
import { encodeSseEvents } from "../sse/encode-sse-events";
import { parseSseEvents } from "../sse/parse-sse-events";
import { withHeartbeat } from "../sse/with-heartbeat";
import { createStreamConverter, type StreamContext, type UpstreamEvent } from "../translate/create-stream-converter";
import type { Daemon } from "./daemon";

// Errors that come this fast (connection refused, an HTTP error) still get a proper status code.
const EARLY_ANSWER_MS = 1_500;
const HEARTBEAT_MS = 10_000;

export const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" };

export async function streamReply(upstream: Promise<Response>, context: StreamContext, daemon: Daemon): Promise<Response> {
  await Promise.race([upstream, Bun.sleep(EARLY_ANSWER_MS)]); // an early failure throws here
  const events = withHeartbeat(upstreamEvents(upstream, context.backend, daemon), HEARTBEAT_MS);
  const body = streamOf(events).pipeThrough(createStreamConverter(context)).pipeThrough(encodeSseEvents());
  return new Response(body, { headers: SSE_HEADERS });
}

async function* upstreamEvents(upstream: Promise<Response>, backend: string, daemon: Daemon): AsyncGenerator<UpstreamEvent> {
  let response: Response;
  try {
    response = await upstream;
  } catch (error) {
    if (error instanceof BackendUnreachable) daemon.pool.markDown(daemon.pool.get(backend), error.message);
    const apiError = error instanceof ApiError ? error : new ApiError(502, "api_error", String(error));
    yield { kind: "failure", errorType: apiError.type, message: apiError.message };
    return;
  }
  if (!response.body) return;
  yield* parseSseEvents(response.body, backend);
}

function streamOf<T>(iterator: AsyncIterator<T>): ReadableStream<T> {
  return new ReadableStream<T>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      // The client went away: stop reading upstream, which aborts the backend's generation.
      await iterator.return?.(undefined);
    },
  });
}
