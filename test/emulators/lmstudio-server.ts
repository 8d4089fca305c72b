// An emulated LM Studio server (0.3.x/0.4.x OpenAI-compatible API, default port 1234), quirks
// included: tool calls streamed in fragments; "role" only in the first delta; reasoning in
// `delta.reasoning_content`; unknown model ids refused as `model_not_found` (JIT loading on);
// a prompt over the loaded context length refused with llama.cpp's overflow text; the model list
// in three shapes (/v1/models, /api/v0/models, /api/v1/models); and, as the real Express app does,
// HTTP 200 {"error": "Unexpected endpoint or method. (GET /health)"} for anything else: there is
// no health endpoint, and a wrong path does not fail by status.
import { ContextOverflow, emulateCompletion, type Completion } from "./emulate-completion";
import type { EmulatorHandle, RecordedRequest } from "./emulator-handle";
import { FaultQueue } from "./faults";
import { completionBody, lmStudioChunks } from "./lmstudio-chunks";
import { DOWNLOADED_MODELS, modelsResponse } from "./lmstudio-models";
import { PromptCache } from "./prompt-cache";
import { TemplateError, templateNeedsObjectArguments, type ChatTemplateName } from "./render-chat-template";
import { scriptedModel, type ChatBody, type Respond } from "./scripted-model";

export type LmStudioOptions = {
  model?: string; // the loaded model's id
  cacheSlots?: number; // llama.cpp parallel slots: 4 by default
  contextLength?: number; // the loaded context length: 32768 by default
  modelLoaded?: boolean; // false: the model lists show it on disk, not loaded (chat still answers, as JIT loading would)
  trainedForToolUse?: boolean; // its capabilities in /api/v1/models: true by default
  respond?: Respond; // the emulated model; the scripted one by default
  reasoning?: boolean; // the scripted model thinks first (ignored with `respond`)
  decodeDelayMs?: number; // pause between streamed chunks
  prefillTokensPerSecond?: number; // uncached prompt tokens per second; Infinity (default): no wait
  // JIT loading (on by default since 0.3.x): a model id it does not have is refused. Off, any id
  // is answered by the loaded model.
  jitLoading?: boolean;
  interleaveToolCalls?: boolean; // parallel calls' argument fragments round-robin (real: one call after another)
  overflowMessage?: "trying-to-keep" | "n-keep"; // llama.cpp's older or newer wording
  port?: number; // a free one by default; a test restarts a server on the port it had
  // The model's chat template: Qwen3-Coder's for the default model, Qwen3's (a thinking model)
  // with `reasoning`.
  chatTemplate?: ChatTemplateName;
  // LM Studio reports no cached_tokens (its tracker: #778, #2390, #2419, open), so usage has no
  // prompt_tokens_details. On: usage says what the emulated cache reused, as a server that
  // reports it would. Either way `requests[n].cachedTokens` records it.
  reportsCachedTokens?: boolean;
};

export const LMSTUDIO_DEFAULT_MODEL = "qwen/qwen3-coder-30b";
const CREATED_EPOCH = 1763800000;

export async function startLmStudioServer(options: LmStudioOptions = {}): Promise<EmulatorHandle> {
  const model = options.model ?? LMSTUDIO_DEFAULT_MODEL;
  const contextLength = options.contextLength ?? 32768;
  const cache = new PromptCache(options.cacheSlots ?? 4, "slots");
  const respondWith = options.respond ?? scriptedModel({ reasoning: options.reasoning });
  const template = options.chatTemplate ?? (options.reasoning ? "qwen3" : "qwen3-coder");
  const reportsCachedTokens = options.reportsCachedTokens ?? false;
  const requests: RecordedRequest[] = [];
  const faults = new FaultQueue();
  let counter = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    idleTimeout: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method === "GET")
        return (
          modelsResponse(path, { id: model, contextLength, loaded: options.modelLoaded ?? true, toolUse: options.trainedForToolUse ?? true }) ??
          unexpectedEndpoint(request.method, path)
        );
      if (request.method !== "POST" || path !== "/v1/chat/completions") return unexpectedEndpoint(request.method, path);
      let body: ChatBody;
      try {
        body = (await request.json()) as ChatBody;
      } catch {
        return openAiError(400, "'messages' field is required", "invalid_request_error", "messages", null);
      }
      const record: RecordedRequest = { body, headers: Object.fromEntries(request.headers) };
      requests.push(record);
      const fault = faults.next();
      if (fault?.kind === "drop-connection") return dropped();
      if (fault?.kind === "error-status")
        return openAiError(
          fault.status ?? 500,
          fault.message ?? "The model has crashed without additional information. (Exit code: 6)",
          "server_error",
          null,
          null,
        );
      if (!Array.isArray(body.messages)) return openAiError(400, "'messages' field is required", "invalid_request_error", "messages", null);
      const known = [model, ...DOWNLOADED_MODELS];
      if (body.model && !known.includes(body.model) && options.jitLoading !== false) {
        return openAiError(
          400,
          `Invalid model identifier "${body.model}". Please specify a valid downloaded model (e.g., ${known.join(", ")}).`,
          "invalid_request_error",
          "model",
          "model_not_found",
        );
      }
      const served = body.model && known.includes(body.model) ? body.model : model;
      let completion: Completion;
      try {
        const maxTokens = body.max_tokens ?? (body as { max_completion_tokens?: number }).max_completion_tokens ?? Number.POSITIVE_INFINITY;
        completion = emulateCompletion(body, {
          cache,
          respond: respondWith,
          maxTokens: maxTokens < 0 ? Number.POSITIVE_INFINITY : maxTokens,
          template,
          templateArguments: (args) => lmStudioTemplateArguments(args, template),
          nextId: () => String(100000000 + ++counter * 7919),
          contextLength,
        });
      } catch (problem) {
        // Prediction errors come back as a bare string, unlike the request checks above.
        if (problem instanceof ContextOverflow) return Response.json({ error: overflowText(problem, options.overflowMessage) }, { status: 400 });
        if (problem instanceof TemplateError) return Response.json({ error: templateErrorText(problem.message) }, { status: 400 });
        throw problem;
      }
      Object.assign(record, {
        promptText: completion.promptText,
        generatedText: completion.generatedText,
        promptTokens: completion.promptTokens,
        cachedTokens: completion.cachedTokens,
      });
      const context = {
        id: `chatcmpl-${(counter * 7919 + requests.length).toString(36).padStart(22, "0")}`,
        model: served,
        created: CREATED_EPOCH + requests.length,
      };
      const prefillMs = ((completion.promptTokens - completion.cachedTokens) / (options.prefillTokensPerSecond ?? Number.POSITIVE_INFINITY)) * 1000;
      if (!body.stream) {
        if (prefillMs > 0) await Bun.sleep(prefillMs);
        if (fault?.kind === "break-stream") return dropped();
        completion.commit();
        return Response.json(completionBody(completion, { ...context, reportsCachedTokens }));
      }
      const chunks = lmStudioChunks(completion, {
        ...context,
        includeUsage: body.stream_options?.include_usage === true,
        reportsCachedTokens,
        interleaveToolCalls: options.interleaveToolCalls ?? false,
      });
      const breakAfter = fault?.kind === "break-stream" ? fault.afterChunks : undefined;
      return new Response(sse(chunks, { breakAfter, prefillMs, delayMs: options.decodeDelayMs ?? 0, onDone: () => completion.commit() }), {
        headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-powered-by": "Express" },
      });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    port: server.port!,
    requests,
    cache,
    setFault: (fault, times) => faults.add(fault, times),
    stop: async () => void server.stop(true),
  };
}

// data: frames, then data: [DONE]. A break ends the response mid-body (erroring the stream with
// no reason, which Bun turns into a closed connection without logging anything).
function sse(chunks: object[], options: { breakAfter?: number; prefillMs: number; delayMs: number; onDone: () => void }): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let index = 0;
  return new ReadableStream({
    async pull(controller) {
      if (index === 0 && options.prefillMs > 0) await Bun.sleep(options.prefillMs);
      if (index === options.breakAfter) {
        await Bun.sleep(5); // let what was sent reach the client first
        return controller.error();
      }
      if (index > 0 && options.delayMs) await Bun.sleep(options.delayMs);
      if (index === chunks.length) {
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
        return options.onDone();
      }
      controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunks[index++])}\n\n`));
    },
  });
}

// An assumption (LM Studio's template code is not public): a string `arguments` goes to the
// template as sent when the template can embed a string (Qwen3's does, verbatim), parsed when it
// iterates arguments as a mapping (Qwen3-Coder's, Qwen3.5's), as llama.cpp does for templates
// that need object arguments. So a client that re-serializes arguments changes the prompt only
// under the first kind.
function lmStudioTemplateArguments(args: string, template: ChatTemplateName): string | Record<string, unknown> {
  if (!templateNeedsObjectArguments(template)) return args;
  try {
    return JSON.parse(args) as Record<string, unknown>;
  } catch {
    return args; // the template then fails on it, as it would on a real server
  }
}

function openAiError(status: number, message: string, type: string, param: string | null, code: string | null): Response {
  return Response.json({ error: { message, type, param, code } }, { status });
}

// LM Studio's catch-all: logged as an error, "Returning 200 anyway".
function unexpectedEndpoint(method: string, path: string): Response {
  return Response.json({ error: `Unexpected endpoint or method. (${method} ${path})` }, { headers: { "x-powered-by": "Express" } });
}

function overflowText(overflow: ContextOverflow, style: LmStudioOptions["overflowMessage"] = "trying-to-keep"): string {
  if (style === "n-keep") {
    return `The number of tokens to keep from the initial prompt is greater than the context length (n_keep: ${overflow.promptTokens}>= n_ctx: ${overflow.contextLength}). Try to load the model with a larger context length, or provide a shorter input.`;
  }
  return `Trying to keep the first ${overflow.promptTokens} tokens when context the overflows. However, the model is loaded with context length of only ${overflow.contextLength} tokens, which is not enough. Try to load the model with a larger context length, or provide a shorter input. Error Data: n/a, Additional Data: n/a`;
}

function templateErrorText(message: string): string {
  return `Error rendering prompt with jinja template: "${message}".\n\nThis is usually an issue with the model's prompt template. If you are using a popular model, you can try to search the model under lmstudio-community, which will have fixed prompt templates. If you cannot find one, you are welcome to post this issue to our discord or issue tracker on GitHub. Alternatively, if you know how to write jinja templates, you can override the prompt template in My Models > model settings > Prompt Template.`;
}

// A socket closed before any response: what a crashed model process looks like to a client.
function dropped(): Response {
  return new Response(new ReadableStream({ start: (controller) => controller.error() }));
}
