// An emulated mlx_lm.server (ml-explore/mlx-lm, mlx_lm/server.py), quirks included:
// HTTP/1.0 with close-delimited streams; every error a 404 {"error": "..."}; `model` must be the
// loaded one or "default_model"; content arrays text-only; role repeated in every delta; reasoning
// in `delta.reasoning`; tool calls whole, in the final delta; `: keepalive N/M` comments during
// prefill; usage only with stream_options.include_usage; default max_tokens 512.
import type { Server } from "node:net";
import { emulateCompletion, streamPieces, type Completion } from "./emulate-completion";
import { FaultQueue, type Fault, type RecordedRequest } from "./faults";
import { listenHttp10, type RawResponder } from "./http1-socket";
import { PromptCache } from "./prompt-cache";
import { pythonJsonDumps } from "./python-json";
import { TemplateError } from "./render-chat-template";
import { defaultRespond, type ChatBody, type Respond } from "./scripted-model";

export type MlxLmOptions = {
  model?: string;
  cacheSlots?: number; // 10 since mlx-lm 0.28.4, 1 before
  respond?: Respond;
  keepalives?: number; // keepalive comments sent before the first token
  decodeDelayMs?: number; // pause between streamed chunks
};

export type EmulatorHandle = {
  url: string; // the OpenAI base URL, ending in /v1
  port: number;
  requests: RecordedRequest[];
  cache: PromptCache;
  setFault(fault: Fault, times?: number): void;
  stop(): Promise<void>;
};

export const MLX_DEFAULT_MODEL = "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit";

export async function startMlxLmServer(options: MlxLmOptions = {}): Promise<EmulatorHandle> {
  const model = options.model ?? MLX_DEFAULT_MODEL;
  const cache = new PromptCache(options.cacheSlots ?? 10);
  const requests: RecordedRequest[] = [];
  const faults = new FaultQueue();
  let counter = 0;
  const { server, port } = await listenHttp10(async (request, respond) => {
    if (request.method === "GET" && request.path === "/health") return json(respond, 200, '{"status": "ok"}');
    if (request.method === "GET" && request.path.startsWith("/v1/models")) {
      return json(respond, 200, pythonJsonDumps({ object: "list", data: [{ id: model, object: "model", created: 1763800000 }] }));
    }
    if (request.method !== "POST" || !["/v1/chat/completions", "/chat/completions"].includes(request.path)) return json(respond, 404, "Not Found");
    const body = JSON.parse(request.body) as ChatBody;
    const record: RecordedRequest = { body, headers: request.headers };
    requests.push(record);
    const fault = faults.next();
    if (fault?.kind === "drop-connection") return respond.destroy();
    if (fault?.kind === "error-status") return json(respond, 404, pythonJsonDumps({ error: fault.message ?? "[Errno 12] Cannot allocate memory" }));
    const requested = body.model ?? "default_model";
    if (requested !== "default_model" && requested !== model) {
      return json(respond, 404, pythonJsonDumps({ error: `401 Client Error. (Request ID: Root=1-emulated)\n\nRepository Not Found for url: https://huggingface.co/api/models/${requested}/revision/main.` }));
    }
    const problem = checkMessages(body);
    if (problem === "drop") return respond.destroy(); // json.loads raising outside the try: no response at all
    if (problem) return json(respond, 404, pythonJsonDumps({ error: problem }));
    let completion: Completion;
    try {
      completion = emulateCompletion(body, { cache, respond: options.respond ?? defaultRespond, defaultMaxTokens: 512, templateArguments: (args) => pythonJsonDumps(JSON.parse(args)), nextId: () => crypto.randomUUID() });
    } catch (error) {
      if (error instanceof TemplateError) return json(respond, 404, pythonJsonDumps({ error: error.message }));
      throw error;
    }
    Object.assign(record, { promptText: completion.promptText, generatedText: completion.generatedText, promptTokens: completion.promptTokens, cachedTokens: completion.cachedTokens });
    const id = `chatcmpl-${++counter}`;
    if (body.stream) await stream(respond, completion, body, { id, model: requested, options, fault });
    else json(respond, 200, JSON.stringify(completionBody(completion, id, requested)));
  });
  return handle(server, port, requests, cache, faults);
}

// The checks mlx_lm.server makes before generating.
function checkMessages(body: ChatBody): string | "drop" | undefined {
  for (const message of body.messages) {
    if (Array.isArray(message.content) && message.content.some((part) => part.type !== "text")) return "Only 'text' content type is supported.";
    for (const call of message.tool_calls ?? []) {
      try {
        JSON.parse(call.function.arguments);
      } catch {
        return "drop";
      }
    }
  }
  return undefined;
}

async function stream(respond: RawResponder, completion: Completion, body: ChatBody, context: { id: string; model: string; options: MlxLmOptions; fault?: Fault }): Promise<void> {
  respond.head(200, { "Content-type": "text/event-stream", "Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*" });
  const uncached = completion.promptTokens - completion.cachedTokens;
  for (let step = 1; step <= (context.options.keepalives ?? 0); step++) {
    respond.write(`: keepalive ${Math.round((uncached * step) / (context.options.keepalives ?? 1))}/${uncached}\n\n`);
  }
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    `data: ${JSON.stringify({ id: context.id, system_fingerprint: "0.29.1-0.30.0-macOS-15.5-arm64-applegpu_g15s", object: "chat.completion.chunk", model: context.model, created: 1763800000, choices: [{ index: 0, finish_reason: finishReason, delta: { role: "assistant", ...delta } }] })}\n\n`;
  const chunks = [
    ...streamPieces(completion.reasoning).map((reasoning) => chunk({ reasoning }, null)),
    ...streamPieces(completion.text).map((content) => chunk({ content }, null)),
    chunk(completion.toolCalls.length ? { tool_calls: completion.toolCalls.map((call, index) => ({ function: { name: call.name, arguments: call.arguments }, type: "function", id: call.id, index })) } : {}, completion.finishReason),
  ];
  if (body.stream_options?.include_usage) {
    chunks.push(`data: ${JSON.stringify({ id: context.id, object: "chat.completion", model: context.model, created: 1763800000, choices: [], usage: usage(completion) })}\n\n`);
  }
  chunks.push("data: [DONE]\n\n");
  for (const [index, text] of chunks.entries()) {
    if (context.fault?.kind === "break-stream" && index === context.fault.afterChunks) return respond.destroy();
    respond.write(text);
    if (context.options.decodeDelayMs) await Bun.sleep(context.options.decodeDelayMs);
  }
  respond.end();
}

function completionBody(completion: Completion, id: string, model: string) {
  const message: Record<string, unknown> = { role: "assistant", content: completion.text || null };
  if (completion.reasoning) message.reasoning = completion.reasoning;
  if (completion.toolCalls.length) message.tool_calls = completion.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments }, type: "function", id: call.id }));
  return { id, object: "chat.completion", model, created: 1763800000, choices: [{ index: 0, finish_reason: completion.finishReason, message }], usage: usage(completion) };
}

function usage(completion: Completion) {
  return {
    prompt_tokens: completion.promptTokens,
    completion_tokens: completion.completionTokens,
    total_tokens: completion.promptTokens + completion.completionTokens,
    prompt_tokens_details: { cached_tokens: completion.cachedTokens },
  };
}

function json(respond: RawResponder, status: number, text: string): void {
  respond.head(status, { "Content-type": "application/json", "Access-Control-Allow-Origin": "*" });
  respond.end(text);
}

function handle(server: Server, port: number, requests: RecordedRequest[], cache: PromptCache, faults: FaultQueue): EmulatorHandle {
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    cache,
    setFault: (fault, times) => faults.add(fault, times),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
