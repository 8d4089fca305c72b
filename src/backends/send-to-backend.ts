// One HTTP call to a backend. The timeout covers the wait for the response to begin, not the
// generation that follows: a long reply may stream for many minutes.
import { ApiError } from "../api-error";
import type { BackendConfig } from "../config/config-schema";
import { backendLabel, upstreamHttpError, upstreamNetworkError } from "./backend-error";
import { apiBase } from "./backend-url";
import { fetchFreshOnReset, isResetBeforeResponse } from "./fetch-fresh-on-reset";

export type SendOptions = { path: string; body: unknown; signal: AbortSignal; fetcher: typeof fetch; headers?: Record<string, string> };

export async function sendToBackend(backend: BackendConfig, options: SendOptions): Promise<Response> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), backend.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout.signal]);
  let response: Response;
  try {
    response = await fetchFreshOnReset(options.fetcher, `${apiBase(backend)}${options.path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...authorization(backend), ...options.headers },
      body: JSON.stringify(options.body),
      signal,
    });
  } catch (error) {
    if (options.signal.aborted) throw new ApiError(499, "invalid_request_error", "the client closed the request");
    // A new connection accepted and then reset: the server is up but would not take this request
    // (mlx_lm.server drops the connection on a bad parameter). Not a reason to call it down.
    if (isResetBeforeResponse(error)) throw new ApiError(502, "api_error", `${backendLabel(backend)} closed the connection without answering, twice`);
    throw upstreamNetworkError(backend, timeout.signal.aborted ? new DOMException("timeout", "TimeoutError") : error);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) throw upstreamHttpError(backend, response.status, await response.text().catch(() => ""));
  return response;
}

function authorization(backend: BackendConfig): Record<string, string> {
  if (!backend.apiKey) return {};
  return backend.kind === "anthropic" ? { "x-api-key": backend.apiKey } : { authorization: `Bearer ${backend.apiKey}` };
}
