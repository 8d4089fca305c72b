// The daemon's HTTP surface. Dependencies come in (config, fetch) so tests call app.handle()
// in process; every error leaves as an Anthropic-shaped body with a fitting status.
import { Elysia } from "elysia";
import { ApiError } from "../api-error";
import { logger } from "../logger";
import { createGate } from "./authorize";
import { FailedAttempts } from "./failed-attempts";
import { Daemon, type DaemonOptions } from "./daemon";
import { handleCountTokens } from "./handle-count-tokens";
import { handleMessages } from "./handle-messages";
import { handleRoute } from "./handle-route";
import { modelList, sessionReport, statusReport } from "./status-report";

export function createApp(options: DaemonOptions) {
  const daemon = new Daemon(options);
  const gate = createGate(daemon.config);
  const failures = new FailedAttempts();
  // Whose token each request carried (authorize.ts), for the handlers after it.
  const persons = new WeakMap<Request, string>();
  const personOf = (request: Request) => persons.get(request);
  const app = new Elysia()
    // Elysia applies a hook to the routes registered after it: these come first.
    .onError(({ error, code, request }) => refuse(request, asApiError(error, code)))
    // Browsers refused, the authToken checked: on every request, before routing (see authorize.ts).
    // A wrong token is answered late, the later the more its address tried (failed-attempts.ts),
    // and logged with that address: each line says which attempt it was, so none are folded.
    .onRequest(async ({ request }) => {
      try {
        const person = gate.check(request, pathOf(request.url));
        if (person !== undefined) persons.set(request, person);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const peer = daemon.connections.peer(request);
        if (error.status !== 401 || peer === undefined) return refuse(request, error, peer && `from ${peer}`);
        const { attempt, delayMs, overflowMs } = failures.fail(peer, daemon.now());
        if (overflowMs !== undefined) {
          const seconds = Math.ceil(overflowMs / 1000);
          return refuse(
            request,
            Object.assign(new ApiError(429, "rate_limit_error", `too many failed attempts from this address; try again in ${seconds} s`), {
              headers: { "retry-after": String(seconds) },
            }),
            `from ${peer}, its failed attempts queued past 30 s`,
          );
        }
        await Bun.sleep(delayMs);
        return refuse(request, error, `from ${peer}, failed attempt ${attempt}${delayMs > 0 ? `, answered after ${delayMs} ms` : ""}`);
      }
    })
    // Claude Code probes the base URL before it starts.
    .head("/", () => new Response(null, { status: 200 }))
    .get("/", () => Response.json({ name: "anyclaude", version: daemon.version }))
    .get("/anyclaude/health", () => Response.json({ status: "ok" }))
    // ?refresh=1 (the launcher): backends down or not yet probed are asked first.
    .get("/anyclaude/status", async ({ request }) => {
      if (new URL(request.url).searchParams.has("refresh")) await daemon.pool.refresh();
      return Response.json(statusReport(daemon, personOf(request)));
    })
    // A session is its person's: another token asks in vain (the same answer as an unknown id).
    .get("/anyclaude/sessions/:id", ({ params, request }) => {
      const report = sessionReport(daemon, params.id, personOf(request));
      if (!report) throw new ApiError(404, "not_found_error", `no request seen for session ${params.id}`);
      return Response.json(report);
    })
    .post("/anyclaude/route", ({ request }) => handleRoute(daemon, request, personOf(request)), { parse: "none" })
    // Backends found down are asked again first (at most once a second): one that just came up is
    // listed at once, as /v1/messages would find it, not only after the next background probe.
    .get("/v1/models", async () => {
      await daemon.pool.reprobeDown();
      return Response.json(modelList(daemon));
    })
    .post("/v1/messages", ({ request }) => withRequestId(daemon.nextMessageId(), () => handleMessages(daemon, request, personOf(request))), { parse: "none" })
    .post("/v1/messages/count_tokens", ({ request }) => handleCountTokens(daemon, request, personOf(request)), { parse: "none" })
    .all("/v1/messages", methodNotAllowed)
    .all("/v1/messages/count_tokens", methodNotAllowed);
  return { app, daemon };
}

// "http://host:port/path?query" -> "/path", without parsing the URL.
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const query = url.indexOf("?", start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

// Every /v1/messages answer carries a `request-id` as Anthropic's do (`req_...`, from the
// daemon's message id scheme), errors too, for a client that logs it.
async function withRequestId(messageId: string, handle: () => Promise<Response>): Promise<Response> {
  const requestId = `req_${messageId.slice("msg_".length)}`;
  try {
    const response = await handle();
    response.headers.set("request-id", requestId);
    return response;
  } catch (error) {
    if (error instanceof ApiError) error.headers = { ...error.headers, "request-id": requestId };
    throw error;
  }
}

function methodNotAllowed({ request }: { request: Request }): Response {
  const error = new ApiError(405, "invalid_request_error", `${request.method} ${new URL(request.url).pathname} is not supported; send POST`);
  error.headers = { allow: "POST" };
  return refuse(request, error);
}

function asApiError(error: unknown, code: unknown): ApiError {
  if (code === "NOT_FOUND")
    return new ApiError(404, "not_found_error", "anyclaude serves /v1/messages, /v1/messages/count_tokens, /v1/models and /anyclaude/*");
  if (error instanceof ApiError) return error;
  logger.error(error);
  return new ApiError(500, "api_error", `anyclaude failed: ${error instanceof Error ? error.message : String(error)}`);
}

// Every refused request leaves one log line: what was answered and why (never the body), so
// `anyclaude logs` shows why Claude Code retried or gave up.
const LOGGED_REASON_CHARS = 300;

// note: what the log line adds in parentheses (the peer's address, for the gate's refusals).
function refuse(request: Request, error: ApiError, note?: string): Response {
  const reason = error.message.length > LOGGED_REASON_CHARS ? `${error.message.slice(0, LOGGED_REASON_CHARS)}...` : error.message;
  const line = `${request.method} ${pathOf(request.url)} refused: ${error.status} ${error.type}: ${reason}${note ? ` (${note})` : ""}`;
  if (error.status >= 500) logger.error(line);
  else logger.warn(line);
  return Response.json(error.toBody(), { status: error.status, headers: retryAdvice(request, error.headers) });
}

// `x-should-retry: false` keeps Claude Code from retrying for minutes what no retry mends (no
// backend up, no model loaded); a generic SDK honours it too and would give up its own few
// retries, which may well outlast a backend's restart. So it goes to Claude Code only, known by its
// User-Agent (`claude-cli/2.1.332 (external, cli)` in test/fixtures/claude-code-2.1.332).
function retryAdvice(request: Request, headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!headers?.["x-should-retry"] || request.headers.get("user-agent")?.startsWith("claude-cli/")) return headers;
  const { "x-should-retry": _dropped, ...rest } = headers;
  return rest;
}
