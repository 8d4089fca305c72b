// Everything a backend can do wrong, turned into an ApiError that names the backend and its URL.
import * as v from "valibot";
import { ApiError } from "../api-error";
import type { BackendConfig } from "../config/config-schema";
import { redactUrl } from "../config/redact-url";
import type { ErrorType } from "../protocol/anthropic";
import { ErrorBody } from "../protocol/openai";

// LM Studio (llama.cpp) context overflow texts. Claude Code compacts the conversation when an
// error message starts with "prompt is too long", so overflow is reported in those words.
// A Messages API server (llama-server, LM Studio 0.4) may already say "prompt is too long".
const CONTEXT_OVERFLOW = [
  /keep the first \d+ tokens when context the overflows/i,
  /cannot truncate prompt with n_keep/i,
  /context length|context size|exceeds? (the )?(maximum )?context/i,
  /prompt is too long/i,
];

export function backendLabel(backend: Pick<BackendConfig, "name" | "kind" | "url">): string {
  return `backend "${backend.name}" (${backend.kind} at ${redactUrl(backend.url)})`;
}

export function isContextOverflow(detail: string): boolean {
  return CONTEXT_OVERFLOW.some((pattern) => pattern.test(detail));
}

export function upstreamHttpError(backend: BackendConfig, status: number, bodyText: string): ApiError {
  const detail = readErrorMessage(bodyText);
  const message = `${backendLabel(backend)} answered HTTP ${status}: ${detail}`;
  if (isContextOverflow(detail)) return new ApiError(400, "invalid_request_error", `prompt is too long: ${message}`);
  if (status === 429) return new ApiError(429, "rate_limit_error", message);
  if (status === 503) return new ApiError(529, "overloaded_error", message);
  // mlx_lm.server answers every bad request with 404 (an unknown model, a non-text content part).
  if (status >= 400 && status < 500 && status !== 401 && status !== 403) return new ApiError(400, "invalid_request_error", message);
  return new ApiError(502, "api_error", message);
}

// The backend could not be reached at all: the request may go to another one instead.
// `reason` is what is wrong, without the backend's name, for the list of down backends.
export class BackendUnreachable extends ApiError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(502, "api_error", message);
  }
}

// An error a backend reports inside a stream that had started (llama.cpp and LM Studio send a
// data chunk {"error": ...}; a Messages API server an `error` event). A context overflow is
// invalid_request_error "prompt is too long: ...", the words that make Claude Code compact.
export function streamErrorEvent(backend: string, error: unknown): { kind: "failure"; errorType: ErrorType; message: string } {
  const detail = describeError(error);
  if (isContextOverflow(detail))
    return { kind: "failure", errorType: "invalid_request_error", message: `prompt is too long: backend "${backend}" says: ${detail}` };
  const type = typeof error === "object" && error !== null && "type" in error && error.type === "overloaded_error" ? "overloaded_error" : "api_error";
  return { kind: "failure", errorType: type, message: `backend "${backend}" failed mid-reply: ${detail}` };
}

function describeError(error: unknown): string {
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
  return JSON.stringify(error) ?? String(error);
}

export function upstreamNetworkError(backend: BackendConfig, error: unknown): ApiError {
  const reason = describeNetworkFailure(error);
  return new BackendUnreachable(`${backendLabel(backend)} is not reachable: ${reason}`, reason);
}

// Bun words a refused connection "Unable to connect. Is the computer able to access the url?".
export function describeNetworkFailure(error: unknown): string {
  if ((error as { code?: unknown } | undefined)?.code === "ECONNREFUSED") return "nothing is listening there (connection refused)";
  return redactUrlsIn(error instanceof Error ? error.message : String(error));
}

// Error texts of fetch and of servers may quote the URL, credentials included.
export function redactUrlsIn(text: string): string {
  return text.includes("@") || text.includes("?") ? text.replace(/\bhttps?:\/\/[^\s"'<>]+/g, (url) => redactUrl(url)) : text;
}

// A 200 whose body is not what was asked for: a web page (a captive portal, a proxy's login),
// or JSON where a stream was expected.
export function unexpectedContent(backend: BackendConfig, contentType: string, bodyText: string): ApiError {
  const what = /html/i.test(contentType) ? `a web page (${contentType})` : contentType || "a body without a content type";
  return malformedResponse(backend, `it answered HTTP 200 with ${what} instead of a reply: ${summarizeBody(bodyText)}`);
}

function summarizeBody(text: string): string {
  const plain = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return plain.slice(0, 200) || "(empty body)";
}

// A stream of only `[DONE]`, or an answer without content or a finish reason: not an empty reply.
export function endedWithoutReply(backend: BackendConfig): ApiError {
  return new ApiError(502, "api_error", `${backendLabel(backend)} ended without a reply (no content, no tool call, no finish reason)`);
}

export function malformedResponse(backend: BackendConfig, problem: string): ApiError {
  return new ApiError(502, "api_error", `${backendLabel(backend)} sent a response anyclaude cannot read: ${problem}`);
}

function readErrorMessage(bodyText: string): string {
  try {
    const parsed = v.safeParse(ErrorBody, JSON.parse(bodyText));
    if (parsed.success) {
      const { error } = parsed.output;
      return typeof error === "string" ? error : (error.message ?? JSON.stringify(error));
    }
  } catch {
    // not JSON: the text itself is the best description
  }
  return redactUrlsIn(bodyText.trim().slice(0, 500)) || "(empty body)";
}
