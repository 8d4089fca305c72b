// The body for a backend that speaks the Messages API itself. Only the fields local servers
// implement go through (Claude Code's context_management, output_config.effort or adaptive thinking would
// be rejected or misread); the billing line is already gone, so the prefix stays cacheable.
// The prompt is laid out as for chat completions (system-prompt.ts): the session's first system
// messages go ahead of the first question, and all system messages become user text (llama.cpp's
// /v1/messages copies a mid-conversation system message into the chat, and Qwen templates raise
// on one that is not first).
import { deepFreeze, memoizeByIdentity } from "../memoize-by-identity";
import type { LocalRequest, Message, Tool } from "../protocol/anthropic";
import { cleanJsonSchema } from "./clean-json-schema";
import { maxTokensFor } from "./convert-to-openai-request";
import { leaveOutImages } from "./leave-out-images";
import { layOutPrompt } from "./system-prompt";

export type AnthropicTarget = { model: string; maxTokens?: number; contextLength?: number; includeTools: boolean; cleanToolSchemas: boolean; images: boolean };

const PASSED_FIELDS = ["stop_sequences", "temperature", "top_p", "top_k", "stream", "tool_choice"] as const;

export function convertToAnthropicUpstream(request: LocalRequest, target: AnthropicTarget): Record<string, unknown> {
  const { systemText, messages } = layOutPrompt(request.system, request.messages);
  const body: Record<string, unknown> = {
    model: target.model,
    max_tokens: maxTokensFor(request.max_tokens, target), // vLLM's /v1/messages refuses one above max_model_len too
    ...(systemText ? { system: systemText } : {}),
    messages: messages.map((message) => asChatMessage(message, target.images)),
  };
  for (const field of PASSED_FIELDS) if (request[field] !== undefined) body[field] = request[field];
  if (target.includeTools && request.tools?.length) {
    body.tools = (target.cleanToolSchemas ? withCleanSchemas : withSchemasAsSent)(request.tools);
  } else {
    delete body.tool_choice;
  }
  if (request.thinking?.type === "enabled") body.thinking = request.thinking;
  const format = request.output_config?.format ?? request.output_format;
  // Structured output, without the rest of output_config (Claude Code's `effort`); under the
  // current name whichever the client used.
  if (format) body.output_config = { format: target.cleanToolSchemas ? { ...format, schema: cleanJsonSchema(format.schema) } : format };
  return body;
}

function asChatMessage(message: Message, images: boolean): Message {
  const placed = message.role === "system" ? { ...message, role: "user" as const } : message;
  return images ? placed : leaveOutImages(placed);
}

// Once per tool list, as in prepare-tools.ts; server tools (no input_schema) cannot run locally,
// and `defer_loading` is the API's own business (deferred-tools.ts decides what is declared).
const upstreamTool = ({ defer_loading: _deferred, ...tool }: Tool) => tool;
const withCleanSchemas = memoizeByIdentity((tools: Tool[]) =>
  deepFreeze(tools.flatMap((tool) => (tool.input_schema ? [{ ...upstreamTool(tool), input_schema: cleanJsonSchema(tool.input_schema) }] : []))),
);
const withSchemasAsSent = memoizeByIdentity((tools: Tool[]) => deepFreeze(tools.flatMap((tool) => (tool.input_schema ? [upstreamTool(tool)] : []))));
