// An emulated mlx_lm.server (ml-explore/mlx-lm, mlx_lm/server.py, 0.30/0.31), quirks included:
// HTTP/1.0, one request per connection, streamed and error bodies ending when the connection
// closes; POST /v1/chat/completions (also /chat/completions), GET /v1/models, GET /health;
// `model` must be the loaded one or "default_model" (any other name unloads the model and fails
// with 404); errors as 404 {"error": "..."}; a bad parameter drops the connection with no
// response; content arrays text-only; tool-call arguments parsed with json.loads; default
// max_tokens 512; role repeated in every delta; reasoning in `delta.reasoning`; tool calls
// whole; `: keepalive N/M` comments during prefill; usage only with stream_options.include_usage.
import { parametersAreValid, messageProblem } from "./check-mlx-lm-request";
import { emulateCompletion, type Completion } from "./emulate-completion";
import type { EmulatorHandle, RecordedRequest } from "./emulator-handle";
import { FaultQueue } from "./faults";
import { listenHttp10, type Http10Server, type RawRequest, type RawResponder } from "./http1-socket";
import { PromptCache } from "./prompt-cache";
import { pythonJsonDumps } from "./python-json";
import { TemplateError, type ChatTemplateName } from "./render-chat-template";
import { scriptedModel, type ChatBody, type Respond } from "./scripted-model";
import { formatToolCall, usageOf, writeMlxLmStream } from "./write-mlx-lm-stream";

export type { EmulatorHandle } from "./emulator-handle";

export type MlxLmOptions = {
  model?: string; // the --model it was started with
  cacheSlots?: number; // --prompt-cache-size: 10 since mlx-lm 0.28.4; 1 models the single cache before
  respond?: Respond; // the emulated model; the scripted one by default
  reasoning?: boolean; // the scripted model thinks first (ignored with `respond`)
  keepalives?: boolean | number; // prefill comments: on (default), off, or at least this many
  prefillTokensPerSecond?: number; // uncached prompt tokens per second; Infinity (default): no wait
  prefillStepSize?: number; // --prefill-step-size, 2048: one keepalive per step
  decodeDelayMs?: number; // pause between streamed chunks
  modelLoadMs?: number; // reloading the model after a wrong name unloaded it
  maxTokens?: number; // --max-tokens, the default for a request without max_tokens: 512
  port?: number; // --port: a free one by default; a test restarts a server on the port it had
  // The model's chat template: Qwen3-Coder's for the default model, Qwen3's (a thinking model)
  // with `reasoning`.
  chatTemplate?: ChatTemplateName;
};

export const MLX_DEFAULT_MODEL = "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit";
const FINGERPRINT = "0.31.3-0.31.1-macOS-15.6.1-arm64-arm-64bit-applegpu_g16s";

export async function startMlxLmServer(options: MlxLmOptions = {}): Promise<EmulatorHandle> {
  const model = options.model ?? MLX_DEFAULT_MODEL;
  const cache = new PromptCache(options.cacheSlots ?? 10, "lru");
  const respondWith = options.respond ?? scriptedModel({ reasoning: options.reasoning });
  const template = options.chatTemplate ?? (options.reasoning ? "qwen3" : "qwen3-coder");
  const requests: RecordedRequest[] = [];
  const faults = new FaultQueue();
  let loaded = true;

  const server = await listenHttp10(async (request, respond) => {
    if (request.method === "GET") return handleGet(request, respond, model);
    if (request.method === "OPTIONS") return json(respond, 204, ""); // do_OPTIONS: the CORS headers, no body
    if (request.method !== "POST") return unsupportedMethod(request.method, respond);
    if (!["/v1/chat/completions", "/chat/completions"].includes(request.path)) return json(respond, 404, "Not Found");
    const body = readBody(request, respond);
    if (!body) return;
    const record: RecordedRequest = { body, headers: request.headers };
    requests.push(record);
    const fault = faults.next();
    if (fault?.kind === "drop-connection") return respond.destroy();
    if (fault?.kind === "error-status")
      return json(
        respond,
        fault.status ?? 404,
        errorBody(
          fault.message ??
            "[metal::malloc] Attempting to allocate 21474836480 bytes which is greater than the maximum allowed buffer size of 17179869184 bytes.",
        ),
      );
    // body.get("max_completion_tokens") or else body.get("max_tokens", --max-tokens): an explicit null stays null.
    const maxTokens = body.max_completion_tokens ?? ("max_tokens" in body ? body.max_tokens : (options.maxTokens ?? 512));
    if (!parametersAreValid(body, maxTokens)) return respond.destroy();
    const requested = ("model" in body ? body.model : "default_model") as string;
    if (requested !== "default_model" && requested !== model) {
      loaded = false; // ModelProvider._load drops the current model before trying the new one
      return json(respond, 404, errorBody(huggingFaceNotFound(requested)));
    }
    if (!loaded) {
      if (options.modelLoadMs) await Bun.sleep(options.modelLoadMs);
      loaded = true;
    }
    const problem = messageProblem(body.messages);
    if (problem) return json(respond, 404, errorBody(problem));
    let completion: Completion;
    try {
      // process_message_content json.loads each call's arguments (messageProblem checked they
      // parse): the template renders them from the object, whatever spacing the client sent.
      completion = emulateCompletion(body, {
        cache,
        respond: respondWith,
        maxTokens,
        template,
        templateArguments: (args) => JSON.parse(args) as Record<string, unknown>,
        nextId: () => crypto.randomUUID(),
      });
    } catch (error) {
      if (error instanceof TemplateError) return json(respond, 404, errorBody(error.message));
      throw error;
    }
    // The tool parser reads the call back from the generated text; arguments come out re-dumped.
    completion.toolCalls = completion.toolCalls.flatMap((call) =>
      parses(call.arguments) ? [{ ...call, arguments: pythonJsonDumps(JSON.parse(call.arguments)) }] : [],
    );
    Object.assign(record, {
      promptText: completion.promptText,
      generatedText: completion.generatedText,
      promptTokens: completion.promptTokens,
      cachedTokens: completion.cachedTokens,
    });
    const context = { id: `chatcmpl-${crypto.randomUUID()}`, model: requested, created: Math.floor(Date.now() / 1000) };
    if (body.stream) {
      const streamOptions = body.stream_options as unknown;
      const usage =
        streamOptions == null ? false : typeof streamOptions === "object" && "include_usage" in streamOptions ? Boolean(streamOptions.include_usage) : "crash";
      const stream = {
        ...context,
        fingerprint: FINGERPRINT,
        usage,
        keepalives: options.keepalives ?? true,
        prefillTokensPerSecond: options.prefillTokensPerSecond ?? Number.POSITIVE_INFINITY,
        prefillStepSize: options.prefillStepSize ?? 2048,
        decodeDelayMs: options.decodeDelayMs ?? 0,
      } as const;
      const finished = await writeMlxLmStream(respond, completion, {
        ...stream,
        breakAfterChunks: fault?.kind === "break-stream" ? fault.afterChunks : undefined,
      });
      if (finished) completion.commit();
      return;
    }
    const uncached = completion.promptTokens - completion.cachedTokens;
    if (Number.isFinite(options.prefillTokensPerSecond ?? Number.POSITIVE_INFINITY)) await Bun.sleep((uncached / options.prefillTokensPerSecond!) * 1000);
    if (fault?.kind === "break-stream") return respond.destroy();
    const text = pythonJsonDumps(completionBody(completion, context), { ensureAscii: true });
    // The one response with a length: written after generation, with end_headers.
    respond.head(200, { "Content-type": "application/json", ...CORS, "Content-Length": String(Buffer.byteLength(text)) });
    respond.end(text);
    completion.commit();
  }, options.port);
  return handle(server, requests, cache, faults);
}

const CORS = { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*", "Access-Control-Allow-Headers": "*" };

// do_POST's own checks before any parameter is read, each with its status.
function readBody(request: RawRequest, respond: RawResponder): (ChatBody & Record<string, any>) | undefined {
  if (request.contentLength === undefined) return void json(respond, 411, errorBody("Content-Length header is required"));
  if (!Number.isInteger(request.contentLength)) return void json(respond, 400, errorBody("Invalid Content-Length header"));
  let body: unknown;
  try {
    body = JSON.parse(request.body);
  } catch (error) {
    return void json(respond, 400, errorBody(`Invalid JSON in request body: ${error instanceof Error ? error.message : String(error)}`));
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return void json(respond, 400, errorBody("Request should be a JSON dictionary"));
  return body as ChatBody & Record<string, any>;
}

function handleGet(request: RawRequest, respond: RawResponder, model: string): void {
  if (request.path === "/health") return json(respond, 200, '{"status": "ok"}');
  if (!request.path.startsWith("/v1/models")) return json(respond, 404, "Not Found");
  // /v1/models/<repo id> filters the list of downloaded models by id.
  const filter = request.path.split("/").slice(3).join("/");
  const data = filter && filter !== model ? [] : [{ id: model, object: "model", created: Math.floor(Date.now() / 1000) }];
  json(respond, 200, pythonJsonDumps({ object: "list", data }));
}

// BaseHTTPRequestHandler's send_error(501) for a method the handler has no do_X for (HEAD, PUT...).
function unsupportedMethod(method: string, respond: RawResponder): void {
  const page = `<!DOCTYPE HTML>\n<html lang="en">\n    <head>\n        <meta charset="utf-8">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 501</p>\n        <p>Message: Unsupported method ('${method}').</p>\n        <p>Error code explanation: 501 - Server does not support this operation.</p>\n    </body>\n</html>\n`;
  respond.head(501, { Connection: "close", "Content-Type": "text/html;charset=utf-8", "Content-Length": String(Buffer.byteLength(page)) });
  respond.end(method === "HEAD" ? "" : page);
}

// What huggingface_hub raises when the name is not a repository it can download.
function huggingFaceNotFound(name: string): string {
  return `401 Client Error. (Request ID: Root=1-6921a3f0-3c1f2a7b5d9e0c4b6a8f1e2d;emulated)\n\nRepository Not Found for url: https://huggingface.co/api/models/${name}/revision/main.\nPlease make sure you specified the correct \`repo_id\` and \`repo_type\`.\nIf you are trying to access a private or gated repo, make sure you are authenticated. For more details, see https://huggingface.co/docs/huggingface_hub/authentication\nInvalid username or password.`;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function completionBody(completion: Completion, context: { id: string; model: string; created: number }) {
  const message: Record<string, unknown> = { role: "assistant", content: completion.text || null };
  if (completion.reasoning) message.reasoning = completion.reasoning;
  if (completion.toolCalls.length) message.tool_calls = completion.toolCalls.map((call) => formatToolCall(call));
  return {
    id: context.id,
    system_fingerprint: FINGERPRINT,
    object: "chat.completion",
    model: context.model,
    created: context.created,
    choices: [{ index: 0, finish_reason: completion.finishReason, message }],
    usage: usageOf(completion),
  };
}

// json.dumps({"error": message}): Python's spacing, non-ASCII escaped.
function errorBody(message: string): string {
  return pythonJsonDumps({ error: message }, { ensureAscii: true });
}

// Headers, then the body; no Content-Length, so the body ends when the connection closes.
function json(respond: RawResponder, status: number, text: string): void {
  respond.head(status, { "Content-type": "application/json", ...CORS });
  respond.end(text);
}

function handle(server: Http10Server, requests: RecordedRequest[], cache: PromptCache, faults: FaultQueue): EmulatorHandle {
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    port: server.port,
    requests,
    cache,
    setFault: (fault, times) => faults.add(fault, times),
    stop: () => server.close(),
  };
}
