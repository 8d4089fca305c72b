// An emulated LM Studio server (OpenAI-compatible API on port 1234), quirks included: tool calls
// streamed in fragments (id and name first with empty arguments, then argument pieces per index,
// one call after another); role only in the first delta; reasoning in `delta.reasoning_content`;
// errors as {"error": {message, type, param, code}}; the llama.cpp context-overflow message; the
// loaded model listed by its REST API (/api/v0/models, /api/v1/models); no /health.
import { ContextOverflow, emulateCompletion, streamPieces, type Completion } from "./emulate-completion";
import { FaultQueue, type RecordedRequest } from "./faults";
import type { EmulatorHandle } from "./mlx-lm-server";
import { PromptCache } from "./prompt-cache";
import { TemplateError } from "./render-chat-template";
import { defaultRespond, type ChatBody, type Respond } from "./scripted-model";

export type LmStudioOptions = {
  model?: string;
  cacheSlots?: number; // llama.cpp slots: 4 by default
  contextLength?: number;
  respond?: Respond;
  decodeDelayMs?: number;
};

export const LMSTUDIO_DEFAULT_MODEL = "qwen/qwen3-coder-30b";

export async function startLmStudioServer(options: LmStudioOptions = {}): Promise<EmulatorHandle> {
  const model = options.model ?? LMSTUDIO_DEFAULT_MODEL;
  const contextLength = options.contextLength ?? 32768;
  const cache = new PromptCache(options.cacheSlots ?? 4, "slots");
  const requests: RecordedRequest[] = [];
  const faults = new FaultQueue();
  let counter = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method === "GET") return listModels(path, model, contextLength);
      if (request.method !== "POST" || path !== "/v1/chat/completions") return error(404, `Unexpected endpoint or method. (${request.method} ${path})`, "invalid_request_error", null);
      const body = (await request.json()) as ChatBody;
      const record: RecordedRequest = { body, headers: Object.fromEntries(request.headers) };
      requests.push(record);
      const fault = faults.next();
      if (fault?.kind === "drop-connection") return dropped();
      if (fault?.kind === "error-status") return error(fault.status ?? 500, fault.message ?? "The model has crashed without additional information. (Exit code: 6)", "server_error", null);
      if (body.model && body.model !== model) return error(404, `Model "${body.model}" not found. Please load a model first or use a model that is loaded.`, "invalid_request_error", "model");
      let completion: Completion;
      try {
        completion = emulateCompletion(body, { cache, respond: options.respond ?? defaultRespond, defaultMaxTokens: Number.POSITIVE_INFINITY, templateArguments: (args) => args, nextId: () => String(100000000 + ++counter * 7919), contextLength });
      } catch (problem) {
        if (problem instanceof ContextOverflow) {
          return error(400, `Trying to keep the first ${problem.promptTokens} tokens when context the overflows. However, the model is loaded with context length of only ${contextLength} tokens, which is not enough. Try to load the model with a larger context length, or provide a shorter input`, "invalid_request_error", null);
        }
        if (problem instanceof TemplateError) return error(400, `Error rendering prompt with jinja template: "${problem.message}".`, "invalid_request_error", null);
        throw problem;
      }
      Object.assign(record, { promptText: completion.promptText, generatedText: completion.generatedText, promptTokens: completion.promptTokens, cachedTokens: completion.cachedTokens });
      const id = `chatcmpl-${counter}`;
      if (!body.stream) return Response.json(completionBody(completion, id, model));
      const breakAfter = fault?.kind === "break-stream" ? fault.afterChunks : undefined;
      return new Response(sse(streamChunks(completion, id, model, body), breakAfter, options.decodeDelayMs), { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
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

function streamChunks(completion: Completion, id: string, model: string, body: ChatBody): object[] {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({ id, object: "chat.completion.chunk", created: 1763800000, model, system_fingerprint: model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  const deltas: Record<string, unknown>[] = [
    ...streamPieces(completion.reasoning).map((reasoning_content) => ({ reasoning_content })),
    ...streamPieces(completion.text).map((content) => ({ content })),
  ];
  completion.toolCalls.forEach((call, index) => {
    deltas.push({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] });
    for (const piece of streamPieces(call.arguments, 2)) deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  const chunks: object[] = deltas.map((delta, index) => chunk(index === 0 ? { role: "assistant", ...delta } : delta));
  chunks.push(chunk({}, completion.finishReason));
  if (body.stream_options?.include_usage) {
    chunks.push({ id, object: "chat.completion.chunk", created: 1763800000, model, system_fingerprint: model, choices: [], usage: usage(completion) });
  }
  return chunks;
}

function sse(chunks: object[], breakAfter: number | undefined, delayMs = 0): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let index = 0;
  return new ReadableStream({
    async pull(controller) {
      if (index === breakAfter) return controller.error(new Error("emulated crash mid-stream"));
      if (delayMs) await Bun.sleep(delayMs);
      if (index === chunks.length) {
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        return controller.close();
      }
      controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunks[index++])}\n\n`));
    },
  });
}

function completionBody(completion: Completion, id: string, model: string) {
  const message: Record<string, unknown> = { role: "assistant", content: completion.text };
  if (completion.reasoning) message.reasoning_content = completion.reasoning;
  if (completion.toolCalls.length) message.tool_calls = completion.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }));
  return { id, object: "chat.completion", created: 1763800000, model, choices: [{ index: 0, logprobs: null, finish_reason: completion.finishReason, message }], usage: usage(completion), system_fingerprint: model };
}

function usage(completion: Completion) {
  return { prompt_tokens: completion.promptTokens, completion_tokens: completion.completionTokens, total_tokens: completion.promptTokens + completion.completionTokens, prompt_tokens_details: { cached_tokens: completion.cachedTokens } };
}

function listModels(path: string, model: string, contextLength: number): Response {
  if (path === "/v1/models") return Response.json({ data: [{ id: model, object: "model", owned_by: "organization_owner" }, { id: "text-embedding-nomic-embed-text-v1.5", object: "model", owned_by: "organization_owner" }], object: "list" });
  if (path === "/api/v0/models") {
    return Response.json({
      object: "list",
      data: [
        { id: "text-embedding-nomic-embed-text-v1.5", object: "model", type: "embeddings", state: "not-loaded", max_context_length: 2048 },
        { id: "google/gemma-3-12b", object: "model", type: "vlm", state: "not-loaded", max_context_length: 131072 },
        { id: model, object: "model", type: "llm", publisher: "qwen", arch: "qwen3moe", quantization: "4bit", state: "loaded", max_context_length: contextLength },
      ],
    });
  }
  if (path === "/api/v1/models") {
    return Response.json({ models: [{ type: "llm", key: model, display_name: "Qwen3 Coder 30B", loaded_instances: [{ id: model, config: { context_length: contextLength } }], max_context_length: 262144, capabilities: { vision: false, trained_for_tool_use: true } }] });
  }
  return error(404, `Unexpected endpoint or method. (GET ${path})`, "invalid_request_error", null);
}

function error(status: number, message: string, type: string, param: string | null): Response {
  return Response.json({ error: { message, type, param, code: null } }, { status });
}

// A socket closed before any response: what a crashed model process looks like to a client.
function dropped(): Response {
  return new Response(new ReadableStream({ start: (controller) => controller.error(new Error("emulated dropped connection")) }));
}
