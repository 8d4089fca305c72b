// Where a backend's endpoints are. Servers with their own paths (mlx_lm.server, LM Studio, a
// Messages API server) keep their API at /v1 whether or not the configured URL says so; a generic
// OpenAI-compatible URL is taken as given (it may be a proxy's /openai/v1 or the like).
import type { BackendConfig } from "../config/config-schema";
import { backendQuirks } from "./backend-quirks";

// "http://127.0.0.1:1234/v1" -> "http://127.0.0.1:1234": where servers keep their own endpoints.
export function serverRoot(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v1$/, "");
}

export function apiBase(backend: Pick<BackendConfig, "kind" | "url">): string {
  return backendQuirks(backend.kind).apiAtV1 ? `${serverRoot(backend.url)}/v1` : backend.url.replace(/\/+$/, "");
}
