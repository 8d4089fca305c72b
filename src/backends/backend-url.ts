// Where a backend's endpoints are. Servers with their own paths (mlx_lm.server, LM Studio, a
// Messages API server) keep their API at /v1 whether or not the configured URL says so; a generic
// OpenAI-compatible URL is taken as given (it may be a proxy's /openai/v1 or the like). A query in
// the configured URL (a proxy's `?api_key=...`) stays at the end of every endpoint's URL.
import type { BackendConfig } from "../config/config-schema";
import { backendQuirks } from "./backend-quirks";

// "http://127.0.0.1:1234/v1", "/health" -> "http://127.0.0.1:1234/health": the server's own endpoints.
export function serverUrl(url: string, path: string): string {
  const [base, query] = splitQuery(url);
  return `${base.replace(/\/+$/, "").replace(/\/v1$/, "")}${path}${query}`;
}

// The backend's API, "/chat/completions" -> "http://127.0.0.1:1234/v1/chat/completions".
export function apiUrl(backend: Pick<BackendConfig, "kind" | "url">, path: string): string {
  if (backendQuirks(backend.kind).apiAtV1) return serverUrl(backend.url, `/v1${path}`);
  const [base, query] = splitQuery(backend.url);
  return `${base.replace(/\/+$/, "")}${path}${query}`;
}

// "http://h/v1?api_key=K#x" -> ["http://h/v1", "?api_key=K#x"]
function splitQuery(url: string): [string, string] {
  const start = url.search(/[?#]/);
  return start < 0 ? [url, ""] : [url.slice(0, start), url.slice(start)];
}
