// One Anthropic Messages request -> the chat-completions body for one backend. Pure: the caller
// passes what it knows about the target (model name, limits, what it takes) and logs the warnings.
import type { ReplyControls } from "../backends/backend-quirks";
import type { LocalRequest } from "../protocol/anthropic";
import type { ChatRequest } from "../protocol/openai";
import { convertToOpenAIMessages, type ReplayLookup, type ReuseConversation } from "./convert-to-openai-messages";
import { jsonSchemaFormat } from "./json-schema-format";
import { prepareTools } from "./prepare-tools";

export type TranslationTarget = {
  backend: string;
  model: string;
  maxTokens?: number;
  contextLength?: number; // the backend's loaded context, when its probe learned it
  chatTemplateKwargs?: Record<string, unknown>; // from the backend's config
  images: boolean;
  // false when the request goes to a backend without tool support (routing.toolsWhen "used").
  includeTools: boolean;
  cleanToolSchemas: boolean; // for servers that compile tool schemas to grammars
  contentKeepsSeparators?: boolean; // mlx-lm: see withoutTemplateSeparators
  askPrefillProgress?: boolean; // llama-server's `return_progress` on a stream
  controls?: ReplyControls; // how a forced tool, a schema and a stop word are asked for (default: OpenAI's way)

  replay?: ReplayLookup;
  reuse?: ReuseConversation; // what an earlier request of the conversation translated
};

const OPENAI_CONTROLS: ReplyControls = { forcedTool: "named", responseFormat: true, asksStoppingWord: false };

export type OpenAITranslation = { body: ChatRequest; warnings: string[]; contentAsTool?: string };

export function convertToOpenAIRequest(request: LocalRequest, target: TranslationTarget): OpenAITranslation {
  const stream = request.stream ?? false;
  const controls = target.controls ?? OPENAI_CONTROLS;
  const tools = target.includeTools ? prepareTools(request.tools, request.tool_choice, target.cleanToolSchemas, controls.forcedTool) : { warnings: [] };
  const { warnings, contentAsTool, ...toolFields } = tools;
  const asksStoppingWord = controls.asksStoppingWord && Boolean(request.stop_sequences?.length);
  const body: ChatRequest = {
    model: target.model,
    messages: convertToOpenAIMessages(request.system, request.messages, target),
    // Always sent: mlx_lm.server's own default is 512 tokens, which cuts Claude Code's replies short.
    max_tokens: maxTokensFor(request.max_tokens, target),
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    ...(stream && target.askPrefillProgress ? { return_progress: true } : {}),
    ...toolFields,
    ...(toolFields.response_format ? {} : outputFormat(request, target, controls, warnings)),
    ...(request.stop_sequences?.length ? { stop: request.stop_sequences } : {}),
    ...(asksStoppingWord ? { verbose: true } : {}),
    ...optionalNumber("temperature", request.temperature),
    ...optionalNumber("top_p", request.top_p),
    ...optionalNumber("top_k", request.top_k),
    ...(target.chatTemplateKwargs ? { chat_template_kwargs: target.chatTemplateKwargs } : {}),
  };
  if (target.maxTokens && request.max_tokens > target.maxTokens) {
    warnings.push(`max_tokens ${request.max_tokens} clamped to backend "${target.backend}" limit ${target.maxTokens}`);
  }
  return { body, warnings, ...(contentAsTool ? { contentAsTool } : {}) };
}

// Structured output (output_config.format, or the older beta's output_format): the reply's text
// is JSON that follows the schema, where the server can be made to.
function outputFormat(request: LocalRequest, target: TranslationTarget, controls: ReplyControls, warnings: string[]): Pick<ChatRequest, "response_format"> {
  const format = request.output_config?.format ?? request.output_format;
  if (!format) return {};
  if (!controls.responseFormat) {
    warnings.push(`output format not enforced: backend "${target.backend}" does not read response_format`);
    return {};
  }
  return { response_format: jsonSchemaFormat("response", format.schema, target.cleanToolSchemas) };
}

// The request's, within the backend's configured limit and its context: vLLM refuses a max_tokens
// above its max_model_len (HTTP 400 "max_tokens=128000 cannot be greater than max_model_len=40960",
// Claude Code asks for 128000), and no server can write a reply longer than its context, so
// that cap changes nothing elsewhere and is not warned about.
export function maxTokensFor(requested: number, target: { maxTokens?: number; contextLength?: number }): number {
  return Math.min(requested, target.maxTokens ?? Number.POSITIVE_INFINITY, target.contextLength ?? Number.POSITIVE_INFINITY);
}

function optionalNumber<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
