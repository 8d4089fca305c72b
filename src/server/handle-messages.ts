// POST /v1/messages: validate, normalize, route, translate, call, translate back, respond.
import { ApiError, invalidRequest } from "../api-error";
import { BackendUnreachable } from "../backends/backend-error";
import { nothingCanServe } from "../backends/describe-down-backend";
import { backendQuirks, replyControls } from "../backends/backend-quirks";
import { takesImages, type BackendState } from "../backends/backend-pool";
import { logger } from "../logger";
import type { RequestTrace } from "../metrics/request-trace";
import { chatHead, messagesHead, type PrewarmHead } from "../prewarm/prewarm-head";
import { MessagesRequest, type LocalRequest, type Tool } from "../protocol/anthropic";
import type { ChatRequest } from "../protocol/openai";
import type { BackendKind } from "../config/config-schema";
import { normalizeRequest, scopeSessionId, type NormalizedRequest } from "../routing/normalize-request";
import { resolveRoute, type Route } from "../routing/resolve-route";
import { convertToAnthropicUpstream } from "../translate/convert-to-anthropic-upstream";
import { replyModelName } from "../translate/message-start";
import { convertToOpenAIRequest } from "../translate/convert-to-openai-request";
import { sessionContextLength } from "../translate/system-prompt";
import { TranslationError } from "../translate/translation-error";
import type { Daemon } from "./daemon";
import type { BackendCall, CallContext } from "./backend-call";
import { callAnthropicMessages } from "./call-anthropic-messages";
import { callChatCompletions } from "./call-chat-completions";
import { readRequestBody } from "./read-request-body";
import { sharePrefill } from "./share-prefill";
import { slotPicker } from "../backends/slot-pinning";
import { redactUrl } from "../config/redact-url";

export async function handleMessages(daemon: Daemon, request: Request, person?: string): Promise<Response> {
  const normalized = normalizeRequest(
    await readRequestBody(request, MessagesRequest, daemon.bodyLimits, bodySession(request, person)),
    request.headers,
    person,
  );
  logContentNotes(normalized);
  const unreachable = new Set<string>();
  // A backend that cannot be reached is skipped while another can serve the request.
  while (true) {
    const route = await routeAround(daemon, normalized, unreachable);
    try {
      return await callBackend(daemon, route, normalized, request);
    } catch (error) {
      if (!(error instanceof BackendUnreachable)) throw error;
      daemon.pool.markDown(route.backend, error.reason);
      unreachable.add(route.backend.config.name);
      logger.warn(error.message);
      if (route.reason === "forced") throw nothingCanServe([route.backend]);
    }
  }
}

// Whose conversation a body continues, before it is read: Claude Code's session header, scoped by
// the person (without one, the person's requests share a slot: a miss only costs a whole read).
function bodySession(request: Request, person: string | undefined): string {
  return scopeSessionId(person, request.headers.get("x-claude-code-session-id") ?? "");
}

// When the request would have to fall back, or nothing can serve it, backends the last probe
// found down are asked again first: one may have come up since (a model finished loading).
async function routeAround(daemon: Daemon, normalized: NormalizedRequest, unreachable: Set<string>): Promise<Route> {
  const decide = () => {
    const route = resolveRoute(normalized, daemon.routeContext(normalized, unreachable));
    return unreachable.size > 0 && route.reason !== "forced" ? { ...route, reason: "fallback" as const } : route;
  };
  try {
    const route = decide();
    if (route.reason !== "fallback" && daemon.pool.isHealthy(route.backend)) return route;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 503) throw error;
  }
  // Those this request just failed to reach keep that error for its answer; the next request
  // asks them again at once (see BackendPool.reprobeDown).
  await daemon.pool.reprobeDown(daemon.pool.backends.filter((backend) => !unreachable.has(backend.config.name)));
  return decide();
}

async function callBackend(daemon: Daemon, route: Route, normalized: NormalizedRequest, request: Request): Promise<Response> {
  const backend = route.backend;
  const signal = request.signal;
  const trace = daemon.activity.begin(
    {
      sessionId: normalized.clientSessionId,
      person: normalized.person,
      backend: backend.config.name,
      model: daemon.pool.upstreamModel(backend),
      route: route.reason,
      estimatedTokens: normalized.estimatedTokens,
    },
    signal,
  );
  // The body is read: from here until the reply ends the client waits on the backend, silent for
  // as long as a prefill takes (connections.ts).
  daemon.connections.hold(request);
  trace.listen({ firstToken() {}, progress() {}, end: () => daemon.connections.release(request) });
  daemon.requestStarted(route, normalized, trace); // queued there; a prewarm running there is cancelled
  const headers = { "x-anyclaude-backend": backend.config.name, "x-anyclaude-route": route.reason };
  try {
    const context = await callContext(daemon, route, normalized, trace, signal);
    const slots = daemon.config.pinSlots ? slotPicker(backend, normalized.chain, route.includeTools, trace, daemon.fetcher) : undefined;
    const shared = sharePrefill(daemon, route, normalized, trace, signal);
    context.ready = slots?.ready ? Promise.all([shared, slots.ready]) : shared;
    context.pickSlot = slots?.pick;
    trace.record.model = context.upstreamModel;
    logger.debug(`${backend.config.name} <- ${route.reason}: ${normalized.estimatedTokens} tokens estimated, ${route.warmth.tokens} warm`);
    const call = planCall(daemon, route, normalized, context);
    const response = normalized.request.stream ? await call.streamResponse(daemon) : await readWhole(call, context);
    daemon.countRoute(route, normalized);
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  } catch (error) {
    // The routing headers, besides any of the error's own (x-should-retry: false when no model is loaded).
    if (error instanceof ApiError) error.headers = { ...error.headers, ...headers };
    if (signal.aborted) trace.cancel();
    else trace.fail(error instanceof Error ? error.message : String(error), error instanceof ApiError && error.clientFault);
    throw error;
  }
}

async function callContext(daemon: Daemon, route: Route, normalized: NormalizedRequest, trace: RequestTrace, signal: AbortSignal): Promise<CallContext> {
  const backend = route.backend;
  const messageId = daemon.nextMessageId();
  const served = await upstreamModel(daemon, backend);
  return {
    backend: backend.config.name,
    model: replyModelName(served, { name: backend.config.name, placeholderModel: backendQuirks(backend.config.kind).placeholderModel }),
    upstreamModel: served,
    messageId,
    inputTokens: daemon.estimateTokens(backend, route, normalized),
    toolUseId: (position) => `toolu_${messageId.slice(4)}_${position}`,
    // The ids the session's earlier replies gave out, as far as the replay memory holds them.
    toolUseIdTaken: (id) => daemon.replay.session(normalized.sessionId).hasToolCall(id),
    stopSequences: normalized.request.stop_sequences,
    ...(backendQuirks(backend.config.kind).callsUndeclaredTools && normalized.loadedTools.size > 0 ? { undeclaredTools: normalized.loadedTools } : {}),
    onReply: (reply) => {
      for (const warning of reply.warnings ?? []) logger.warn(warning);
      daemon.recordReply(backend, route, normalized, reply);
      trace.finish(reply);
    },
    trace,
    signal,
    fetcher: daemon.fetcher,
    readLimits: daemon.readLimits,
    maxTokens: normalized.request.max_tokens,
  };
}

async function readWhole(call: BackendCall, context: CallContext): Promise<Response> {
  const { message, reply } = await call.readMessage(await call.upstream);
  context.onReply(reply);
  return Response.json(message);
}

function planCall(daemon: Daemon, route: Route, normalized: NormalizedRequest, context: CallContext): BackendCall {
  const { config } = route.backend;
  if (normalized.hasImages && !takesImages(route.backend))
    logger.warn(`images left out for backend "${config.name}", which takes none (set "images": true in its config if its model does)`);
  const upstream = upstreamRequest(daemon, route, normalized, context.upstreamModel, normalized.sessionId);
  const leading = sessionContextLength(normalized.request.messages); // part of the head that prewarms (system-prompt.ts)
  if (upstream.api === "messages")
    return callAnthropicMessages(config, upstream.body, withPrefix(daemon, route, normalized, context, messagesHead(upstream.body, leading)));
  for (const warning of upstream.warnings) logger.warn(warning);
  const replyContext = upstream.contentAsTool ? { ...context, contentAsTool: upstream.contentAsTool } : context;
  return callChatCompletions(config, upstream.body, withPrefix(daemon, route, normalized, replyContext, chatHead(upstream.body, leading)));
}

// The request as the backend's API takes it. Without a session (count_tokens), nothing of the
// conversation's translations is reused or replaced.
export type UpstreamRequest =
  | { api: "messages"; body: Record<string, unknown> }
  | { api: "chat"; body: ChatRequest; warnings: string[]; contentAsTool?: string };

export function upstreamRequest(
  daemon: Daemon,
  route: Pick<Route, "backend" | "includeTools">,
  normalized: NormalizedRequest,
  model: string,
  sessionId: string | undefined,
): UpstreamRequest {
  const { config } = route.backend;
  const request = withToolsFor(config.kind, normalized);
  if (config.kind === "anthropic") {
    return {
      api: "messages",
      body: convertToAnthropicUpstream(request, {
        model,
        maxTokens: config.maxTokens,
        contextLength: route.backend.probe?.contextLength,
        includeTools: route.includeTools,
        cleanToolSchemas: backendQuirks(config.kind).cleanToolSchemas,
        images: takesImages(route.backend),
      }),
    };
  }
  return { api: "chat", ...translate(route, request, sessionId, model, daemon) };
}

// Once the backend has replied, it holds the request's prefix as it was sent: remembered for
// prewarming (src/prewarm/).
function withPrefix(daemon: Daemon, route: Route, normalized: NormalizedRequest, context: CallContext, head: PrewarmHead | undefined): CallContext {
  if (!head) return context;
  return {
    ...context,
    onReply: (reply) => {
      context.onReply(reply);
      daemon.rememberPrefix(route, normalized, head);
    },
  };
}

// The tools a server is told of: those not deferred, and for a server that parses calls only to
// declared tools, the deferred ones the conversation loaded after them (deferred-tools.ts).
function withToolsFor(kind: BackendKind, normalized: NormalizedRequest): LocalRequest {
  if (backendQuirks(kind).callsUndeclaredTools || normalized.toolsWithLoaded === normalized.request.tools) return normalized.request;
  return { ...normalized.request, tools: normalized.toolsWithLoaded as Tool[] };
}

function translate(route: Pick<Route, "backend" | "includeTools">, request: LocalRequest, sessionId: string | undefined, model: string, daemon: Daemon) {
  const { config } = route.backend;
  const quirks = backendQuirks(config.kind);
  const replay = daemon.replay.session(sessionId);
  try {
    return convertToOpenAIRequest(request, {
      backend: config.name,
      model,
      maxTokens: config.maxTokens,
      contextLength: route.backend.probe?.contextLength,
      chatTemplateKwargs: config.chatTemplateKwargs,
      images: takesImages(route.backend),
      includeTools: route.includeTools,
      cleanToolSchemas: quirks.cleanToolSchemas,
      askPrefillProgress: quirks.askPrefillProgress,
      controls: replyControls(config.kind, route.backend.probe),
      contentKeepsSeparators: quirks.contentKeepsSeparators,
      replay,
      ...(sessionId === undefined
        ? {}
        : {
            reuse: daemon.translations.reuse(sessionId, `images ${takesImages(route.backend)}, separators ${quirks.contentKeepsSeparators ?? false}`, replay),
          }),
    });
  } catch (error) {
    if (error instanceof TranslationError) throw Object.assign(invalidRequest(error.message), { clientFault: true });
    throw error;
  }
}

// mlx_lm.server unloads its model when asked for a name it does not know, and LM Studio wants a
// model it has: never send Claude's model name upstream.
async function upstreamModel(daemon: Daemon, backend: BackendState): Promise<string> {
  if (!daemon.pool.upstreamModel(backend)) await daemon.pool.probe(backend);
  // Routed before its first probe answered, and that probe found it down: try another.
  if (!daemon.pool.isHealthy(backend)) {
    const reason = backend.probe?.error ?? "down";
    throw new BackendUnreachable(`backend "${backend.config.name}" at ${redactUrl(backend.config.url)}: ${reason}`, reason);
  }
  const model = daemon.pool.upstreamModel(backend);
  if (model) return model;
  // An api_error, not overloaded_error, whose text Claude Code would hide; retrying loads no model.
  const error = new ApiError(
    503,
    "api_error",
    `backend "${backend.config.name}" at ${redactUrl(backend.config.url)} answers but names no model it serves (none loaded?); load one or set "model" in its config`,
  );
  error.headers = { "x-should-retry": "false" };
  throw error;
}

// One line per kind of block translated (debug) or degraded (a warning: the model sees less).
function logContentNotes({ contentNotes }: NormalizedRequest): void {
  for (const { kind, count, lossy } of contentNotes) {
    if (lossy) logger.warn(`${count} ${kind} block${count === 1 ? "" : "s"} degraded: local models cannot take ${count === 1 ? "it" : "them"} as sent`);
    else logger.debug(`${count} ${kind} block${count === 1 ? "" : "s"} translated`);
  }
}
