// The body for a backend that speaks the Messages API itself. Only the fields local servers
// implement go through (Claude Code's context_management, output_config or adaptive thinking would
// be rejected or misread); the billing line is already gone, so the prefix stays cacheable.
import { deepFreeze, memoizeByIdentity } from "../memoize-by-identity";
import type { MessagesRequest, Tool } from "../protocol/anthropic";
import { cleanJsonSchema } from "./clean-json-schema";

export type AnthropicTarget = { model: string; maxTokens?: number; includeTools: boolean; cleanToolSchemas: boolean };

const PASSED_FIELDS = ["system", "stop_sequences", "temperature", "top_p", "top_k", "stream", "tool_choice"] as const;

export function convertToAnthropicUpstream(request: MessagesRequest, target: AnthropicTarget): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: target.model,
    max_tokens: Math.min(request.max_tokens, target.maxTokens ?? Number.POSITIVE_INFINITY),
    messages: request.messages,
  };
  for (const field of PASSED_FIELDS) if (request[field] !== undefined) body[field] = request[field];
  if (target.includeTools && request.tools?.length) {
    body.tools = (target.cleanToolSchemas ? withCleanSchemas : withSchemasAsSent)(request.tools);
  } else {
    delete body.tool_choice;
  }
  if (request.thinking?.type === "enabled") body.thinking = request.thinking;
  return body;
}

// Once per tool list, as in prepare-tools.ts; server tools (no input_schema) cannot run locally.
const withCleanSchemas = memoizeByIdentity((tools: Tool[]) => deepFreeze(tools.flatMap((tool) => (tool.input_schema ? [{ ...tool, input_schema: cleanJsonSchema(tool.input_schema) }] : []))));
const withSchemasAsSent = memoizeByIdentity((tools: Tool[]) => deepFreeze(tools.filter((tool) => tool.input_schema)));
