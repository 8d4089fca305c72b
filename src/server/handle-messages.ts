// POST /v1/messages: validate, normalize, route, translate, call, translate back, respond.
import { ApiError, invalidRequest } from "../api-error";
import { BackendUnreachable } from "../backends/backend-error";
import type { BackendState } from "../backends/backend-pool";
import { sendToBackend } from "../backends/send-to-backend";
import { logger } from "../logger";
import { normalizeBody, type NormalizedRequest } from "../routing/normalize-request";
import { resolveRoute, type Route } from "../routing/resolve-route";
import { convertToOpenAIRequest } from "../translate/convert-to-openai-request";
import { TranslationError } from "../translate/translation-error";
import type { Daemon } from "./daemon";
import { completeReply } from "./complete-reply";
import { readJsonBody } from "./read-json-body";
import { streamReply } from "./stream-reply";

export async function handleMessages(daemon: Daemon, request: Request): Promise<Response> {
  const normalized = normalizeBody(await readJsonBody(request), request.headers);
  const unreachable = new Set<string>();
  // A backend that cannot be reached is skipped while another can serve the request.
  while (true) {
    const route = routeAround(daemon, normalized, unreachable);
    try {
      return await callBackend(daemon, route, normalized, request.signal);
    } catch (error) {
      if (!(error instanceof BackendUnreachable)) throw error;
      daemon.pool.markDown(route.backend, error.message);
      unreachable.add(route.backend.config.name);
      logger.warn(error.message);
      if (route.reason === "forced") throw error;
    }
  }
}

function routeAround(daemon: Daemon, normalized: NormalizedRequest, unreachable: Set<string>): Route {
  const route = resolveRoute(normalized, {
    routing: daemon.config.routing,
    backends: daemon.pool.backends,
    isHealthy: (backend) => !unreachable.has(backend.config.name) && daemon.pool.isHealthy(backend),
    lastBackend: daemon.sessions.get(normalized.sessionId),
  });
  return unreachable.size > 0 && route.reason !== "forced" ? { ...route, reason: "fallback" } : route;
}

async function callBackend(daemon: Daemon, route: Route, normalized: NormalizedRequest, signal: AbortSignal): Promise<Response> {
  const backend = route.backend;
  const model = await upstreamModel(daemon, backend);
  const { body, warnings } = translate(backend, route, normalized, model, daemon);
  for (const warning of warnings) logger.warn(warning);
  logger.debug(`${backend.config.name} <- ${route.reason}: ${normalized.estimatedTokens} tokens estimated, ${route.warmth.tokens} warm`);

  const upstream = sendToBackend(backend.config, { path: "/chat/completions", body, signal, fetcher: daemon.fetcher });
  const context = {
    backend: backend.config.name,
    model: normalized.request.model,
    messageId: daemon.nextMessageId(),
    inputTokens: normalized.estimatedTokens,
    toolUseId: (index: number) => `toolu_${context.messageId.slice(4)}_${index}`,
    onReply: (reply: Parameters<Daemon["recordReply"]>[3]) => daemon.recordReply(backend, route, normalized, reply),
  };
  const headers = { "x-anyclaude-backend": backend.config.name, "x-anyclaude-route": route.reason };
  daemon.countRoute(route, normalized);
  try {
    const response = body.stream ? await streamReply(upstream, context, daemon) : await completeReply(upstream, backend.config, context);
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  } catch (error) {
    if (error instanceof ApiError) error.headers = headers;
    throw error;
  }
}

function translate(backend: BackendState, route: Route, normalized: NormalizedRequest, model: string, daemon: Daemon) {
  try {
    return convertToOpenAIRequest(normalized.request, {
      backend: backend.config.name,
      model,
      maxTokens: backend.config.maxTokens,
      images: backend.config.images,
      includeTools: route.includeTools,
      replay: daemon.replay,
    });
  } catch (error) {
    if (error instanceof TranslationError) throw invalidRequest(error.message);
    throw error;
  }
}

// mlx_lm.server unloads its model when asked for a name it does not know, and LM Studio wants a
// model it has: never send Claude's model name upstream.
async function upstreamModel(daemon: Daemon, backend: BackendState): Promise<string> {
  if (!daemon.pool.upstreamModel(backend)) await daemon.pool.probe(backend);
  const model = daemon.pool.upstreamModel(backend);
  if (model) return model;
  throw new ApiError(503, "overloaded_error", `backend "${backend.config.name}" at ${backend.config.url} has no model loaded; load one or set "model" in its config`);
}
