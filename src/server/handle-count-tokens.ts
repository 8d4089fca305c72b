// POST /v1/messages/count_tokens: an estimate from the same normalized prompt the router sees,
// never a generation and never 0 for a non-empty request.
import * as v from "valibot";
import { CountTokensRequest } from "../protocol/anthropic";
import { normalizeRequest } from "../routing/normalize-request";
import { validationError } from "../validation-error";
import type { Daemon } from "./daemon";
import { readJsonBody } from "./read-json-body";

export async function handleCountTokens(daemon: Daemon, request: Request): Promise<Response> {
  const parsed = v.safeParse(CountTokensRequest, await readJsonBody(request, daemon.config.maxBodyBytes));
  if (!parsed.success) throw validationError(parsed.issues);
  const normalized = normalizeRequest({ ...parsed.output, max_tokens: 1 }, request.headers);
  return Response.json({ input_tokens: Math.max(1, normalized.estimatedTokens) });
}
