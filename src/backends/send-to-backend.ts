// One HTTP call to a backend, watched for silence (see upstream-watch.ts) rather than limited in
// total: a long reply may stream for many minutes. The response's body comes back wrapped so
// that every byte read counts as life, and a limit passed ends it with the error that says so.
import { ApiError } from "../api-error";
import type { BackendConfig } from "../config/config-schema";
import { backendLabel, unexpectedContent, upstreamHttpError, upstreamNetworkError } from "./backend-error";
import { apiUrl } from "./backend-url";
import { fetchFreshOnReset, isResetBeforeResponse } from "./fetch-fresh-on-reset";
import { releaseBytes } from "../release-bytes";
import { serializeBody } from "./serialize-body";
import type { UpstreamWatch } from "./upstream-watch";

export type SendOptions = {
  path: string;
  body: unknown;
  stream: boolean; // an event stream is expected, else one JSON body
  signal: AbortSignal; // the client's: aborted when it goes away
  watch: UpstreamWatch;
  fetcher: typeof fetch;
  headers?: Record<string, string>;
};

export async function sendToBackend(backend: BackendConfig, options: SendOptions): Promise<Response> {
  const { watch } = options;
  watch.start(options.stream);
  let response: Response;
  const body = serializeBody(options.body);
  try {
    response = await fetchFreshOnReset(options.fetcher, apiUrl(backend, options.path), {
      method: "POST",
      headers: { "content-type": "application/json", ...authorization(backend), ...options.headers },
      body,
      signal: AbortSignal.any([options.signal, watch.signal]),
      // Bun's own idle timer off: the watch decides (Bun's would cut every call near 360 s).
      timeout: false,
    });
  } catch (error) {
    watch.stop();
    if (watch.timedOut) throw watch.timedOut;
    if (options.signal.aborted) throw clientClosed();
    // A new connection accepted and then reset: the server is up but would not take this request
    // (mlx_lm.server drops the connection on a bad parameter). Not a reason to call it down.
    if (isResetBeforeResponse(error)) throw new ApiError(502, "api_error", `${backendLabel(backend)} closed the connection without answering, twice`);
    throw upstreamNetworkError(backend, error);
  } finally {
    // Sent, or never to be: Bun's fetch copies a body as it takes it, and a retry after a reset
    // is over by now.
    releaseBytes(body);
  }
  watch.activity();
  try {
    if (!response.ok) throw upstreamHttpError(backend, response.status, await readHead(response, watch.limits.errorBodyBytes));
    const contentType = response.headers.get("content-type") ?? "";
    // A web page with HTTP 200 (a proxy's or portal's), or one JSON object where a stream was
    // asked for (an error some servers send that way): said as what it is, not as a broken stream.
    if (/html/i.test(contentType) || (options.stream && /json/i.test(contentType))) {
      const text = await readHead(response, watch.limits.errorBodyBytes);
      throw /json/i.test(contentType) && !/html/i.test(contentType)
        ? upstreamHttpError(backend, response.status, text)
        : unexpectedContent(backend, contentType, text);
    }
  } catch (error) {
    watch.stop();
    throw error;
  }
  return response.body ? new Response(watchedBody(response.body, watch), response) : response;
}

export function clientClosed(): ApiError {
  return new ApiError(499, "invalid_request_error", "the client closed the request");
}

// Every read is a sign of life; a read that fails because a limit was passed fails with the
// watch's error; cancelling (the client went away) cancels the backend's body and its socket.
function watchedBody(body: ReadableStream<Uint8Array>, watch: UpstreamWatch): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          watch.stop();
          return controller.error(watch.timedOut ?? error);
        }
        if (result.done) {
          watch.stop();
          return controller.close();
        }
        const tooLarge = watch.received(result.value);
        if (tooLarge) {
          void reader.cancel(tooLarge).catch(() => {});
          return controller.error(tooLarge);
        }
        controller.enqueue(result.value);
      },
      cancel(reason) {
        watch.stop();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

// The first `maxBytes` of a body that is not a reply (an error, a web page), as text; the rest is
// never read: a server's error page may be of any size (a 400 MB one was read whole).
async function readHead(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
    }
  } catch {
    // a connection dropped while the error was read: what came is the best description
  }
  void reader.cancel().catch(() => {});
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxBytes));
}

export function authorization(backend: BackendConfig): Record<string, string> {
  if (!backend.apiKey) return {};
  return backend.kind === "anthropic" ? { "x-api-key": backend.apiKey } : { authorization: `Bearer ${backend.apiKey}` };
}
