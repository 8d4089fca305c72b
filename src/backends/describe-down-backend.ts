// When nothing can serve a request: which backends were asked, where, what is wrong with each,
// and how to start it. Claude Code retries a 503 for minutes unless told not to, so the error
// carries x-should-retry: false; and it is an api_error, because Claude Code (2.1.197) answers an
// overloaded_error with retries of its own and "Repeated 529 Overloaded errors", hiding the text.
import { ApiError } from "../api-error";
import { redactUrl } from "../config/redact-url";
import { backendQuirks } from "./backend-quirks";
import { NO_ANSWER } from "./probe-backend";
import type { BackendState } from "./backend-pool";

export function nothingCanServe(backends: BackendState[]): ApiError {
  const error = new ApiError(503, "api_error", `no backend can serve this request. ${backends.map(describeDownBackend).join(" ")}`);
  error.headers = { "x-should-retry": "false" };
  return error;
}

export function describeDownBackend(backend: BackendState): string {
  const { name, kind, url } = backend.config;
  const what = backend.probe?.error ?? "not reachable";
  // A server that is there but silent needs a look or a restart, not a start.
  const fix = what.startsWith(NO_ANSWER) ? "see whether it is stuck, and restart it if so" : backendQuirks(kind).howToStart(portOf(url));
  return `${name} (${kind} at ${redactUrl(url)}): ${what}; ${fix}.`;
}

function portOf(url: string): string {
  const parsed = new URL(url);
  return parsed.port || (parsed.protocol === "https:" ? "443" : "80");
}
