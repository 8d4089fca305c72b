// One HTTP call to a backend. The timeout covers the wait for the response to begin, not the
// generation that follows: a long reply may stream for many minutes.
import { ApiError } from "../api-error";
import type { BackendConfig } from "../config/config-schema";
import { backendLabel, upstreamHttpError, upstreamNetworkError } from "./backend-error";
import { apiBase } from "./backend-url";

export type SendOptions = { path: string; body: unknown; signal: AbortSignal; fetcher: typeof fetch; headers?: Record<string, string> };

export async function sendToBackend(backend: BackendConfig, options: SendOptions): Promise<Response> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), backend.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout.signal]);
  let response: Response;
  try {
    response = await post(backend, options, signal, true).catch((error) => {
      if (signal.aborted || !isResetBeforeResponse(error)) throw error;
      // llama-server closes idle keep-alive connections after 5 s; a request sent on one as it
      // closes is reset before any byte of a response. Sent again, once, on a new connection.
      return post(backend, options, signal, false);
    });
  } catch (error) {
    if (options.signal.aborted) throw new ApiError(499, "invalid_request_error", "the client closed the request");
    // A new connection accepted and then reset: the server is up but would not take this request.
    if (isResetBeforeResponse(error)) throw new ApiError(502, "api_error", `${backendLabel(backend)} closed the connection without answering, twice`);
    throw upstreamNetworkError(backend, timeout.signal.aborted ? new DOMException("timeout", "TimeoutError") : error);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) throw upstreamHttpError(backend, response.status, await response.text().catch(() => ""));
  return response;
}

// `keepalive: false` makes Bun open a connection of its own rather than take a pooled one.
function post(backend: BackendConfig, options: SendOptions, signal: AbortSignal, pooled: boolean): Promise<Response> {
  return options.fetcher(`${apiBase(backend)}${options.path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...authorization(backend), ...options.headers },
    body: JSON.stringify(options.body),
    signal,
    keepalive: pooled,
  });
}

// Bun: ECONNRESET "The socket connection was closed unexpectedly"; Node: ECONNRESET or EPIPE.
function isResetBeforeResponse(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "ECONNRESET" || code === "EPIPE" || /socket connection was closed unexpectedly/i.test(error instanceof Error ? error.message : "");
}

function authorization(backend: BackendConfig): Record<string, string> {
  if (!backend.apiKey) return {};
  return backend.kind === "anthropic" ? { "x-api-key": backend.apiKey } : { authorization: `Bearer ${backend.apiKey}` };
}
