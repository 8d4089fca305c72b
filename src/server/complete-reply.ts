// A non-streaming reply: wait for the whole completion, then answer with one Anthropic message.
import * as v from "valibot";
import { malformedResponse } from "../backends/backend-error";
import type { BackendConfig } from "../config/config-schema";
import { ChatCompletion } from "../protocol/openai";
import { convertFromOpenAICompletion, type CompletionContext } from "../translate/convert-from-openai-completion";
import type { Reply } from "../translate/reply";

export async function completeReply(upstream: Promise<Response>, backend: BackendConfig, context: CompletionContext & { onReply: (reply: Reply) => void }): Promise<Response> {
  const response = await upstream;
  const json = await response.json().catch(() => undefined);
  const parsed = v.safeParse(ChatCompletion, json);
  if (!parsed.success) throw malformedResponse(backend, v.summarize(parsed.issues));
  const { message, reply } = convertFromOpenAICompletion(parsed.output, context);
  context.onReply(reply);
  return Response.json(message);
}
