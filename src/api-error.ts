// The few errors a client can see. Each carries its HTTP status and Anthropic error type; the
// server renders them as {type:"error", error:{type, message}} or, mid-stream, an `error` event.
import type { ErrorType } from "./protocol/anthropic";

export class ApiError extends Error {
  // Set once the request was routed, so even an error names the backend (x-anyclaude-backend).
  headers: Record<string, string> = {};
  // The request was wrong, found out after it was routed (a conversation the backend's format
  // cannot carry): not counted among the backend's errors.
  clientFault = false;

  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
  ) {
    super(message);
  }

  toBody() {
    return { type: "error" as const, error: { type: this.type, message: this.message } };
  }
}

export const invalidRequest = (message: string) => new ApiError(400, "invalid_request_error", message);
