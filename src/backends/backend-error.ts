// Everything a backend can do wrong, turned into an ApiError that names the backend and its URL.
import * as v from "valibot";
import { ApiError } from "../api-error";
import type { BackendConfig } from "../config/config-schema";
import { ErrorBody } from "../protocol/openai";

// LM Studio (llama.cpp) context overflow texts. Claude Code compacts the conversation when an
// error message starts with "prompt is too long", so overflow is reported in those words.
const CONTEXT_OVERFLOW = [/keep the first \d+ tokens when context the overflows/i, /cannot truncate prompt with n_keep/i, /context length|context size|exceeds? (the )?(maximum )?context/i];

export function backendLabel(backend: BackendConfig): string {
  return `backend "${backend.name}" (${backend.kind} at ${backend.url})`;
}

export function upstreamHttpError(backend: BackendConfig, status: number, bodyText: string): ApiError {
  const detail = readErrorMessage(bodyText);
  const message = `${backendLabel(backend)} answered HTTP ${status}: ${detail}`;
  if (CONTEXT_OVERFLOW.some((pattern) => pattern.test(detail))) {
    return new ApiError(400, "invalid_request_error", `prompt is too long for ${message}`);
  }
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

export function upstreamNetworkError(backend: BackendConfig, error: unknown): ApiError {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return new ApiError(504, "api_error", `${backendLabel(backend)} did not answer within ${backend.timeoutMs} ms`);
  }
  const reason = describeNetworkFailure(error);
  return new BackendUnreachable(`${backendLabel(backend)} is not reachable: ${reason}`, reason);
}

// Bun words a refused connection "Unable to connect. Is the computer able to access the url?".
export function describeNetworkFailure(error: unknown): string {
  if ((error as { code?: unknown } | undefined)?.code === "ECONNREFUSED") return "nothing is listening there (connection refused)";
  return error instanceof Error ? error.message : String(error);
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
  return bodyText.trim().slice(0, 500) || "(empty body)";
}
