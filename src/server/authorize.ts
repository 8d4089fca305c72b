// With an authToken set (required off loopback), clients present it as x-api-key or a Bearer token.
import { ApiError } from "../api-error";

export function authorize(request: Request, authToken: string | undefined): void {
  if (!authToken) return;
  const bearer = request.headers.get("authorization")?.replace(/^Bearer\s+/i, "");
  const presented = request.headers.get("x-api-key") ?? bearer;
  if (presented !== authToken) {
    throw new ApiError(401, "authentication_error", "this anyclaude daemon requires its authToken as x-api-key or Authorization: Bearer");
  }
}
