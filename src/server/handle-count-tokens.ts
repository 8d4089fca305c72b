// POST /v1/messages/count_tokens: counted as the backend the request would go to counts it
// (count-prompt-tokens.ts), never a generation and never 0 for a non-empty request.
import { CountTokensRequest } from "../protocol/anthropic";
import { normalizeRequest } from "../routing/normalize-request";
import { countPromptTokens } from "./count-prompt-tokens";
import type { Daemon } from "./daemon";
import { readRequestBody } from "./read-request-body";

export async function handleCountTokens(daemon: Daemon, request: Request, person?: string): Promise<Response> {
  const body = await readRequestBody(request, CountTokensRequest, daemon.bodyLimits);
  const normalized = normalizeRequest({ ...body, max_tokens: 1 }, request.headers, person);
  return Response.json({ input_tokens: await countPromptTokens(daemon, normalized) });
}
