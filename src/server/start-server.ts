// Binds the app to its address. A taken port is its own error: the CLI reports it in one line.
import { ApiError } from "../api-error";
import type { Config } from "../config/config-schema";
import { logger } from "../logger";
import { BUILD_ID, VERSION } from "../version";
import { createApp } from "./create-app";
import type { DaemonOptions } from "./daemon";
import { redactUrl } from "../config/redact-url";
import { bunConnections } from "./connections";

export class PortInUseError extends Error {
  constructor(readonly address: string) {
    super(`${address} is already in use (is anyclaude already running? try: anyclaude status)`);
  }
}

// How long requests still under way (a whole reply being read) may take to end at shutdown, once
// every stream was told: launchd and systemd wait longer than this before they kill.
const SHUTDOWN_GRACE_MS = 1_000;

export type RunningServer = { url: string; stop(): Promise<void> };

// How long a connection may send nothing before it is closed: an idle keep-alive connection, a
// half-sent body (a LAN daemon must not be starved of file descriptors: macOS services often get
// 256). Never while a reply waits on its backend (connections.ts). Bun counts in ticks of ~4 s.
export const IDLE_TIMEOUT_SECONDS = 30;

// stateDir: where the daemon keeps what outlives it (prewarm.json); probeIntervalMs and
// idleTimeoutSeconds: tests.
export type ServerOptions = { config: Config; configPath?: string; fetch?: typeof fetch; probeIntervalMs?: number; idleTimeoutSeconds?: number } & Pick<
  DaemonOptions,
  "stateDir" | "prewarm" | "heartbeatMs" | "readLimits"
>;

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options;
  const idleTimeout = options.idleTimeoutSeconds ?? IDLE_TIMEOUT_SECONDS;
  let server: ReturnType<typeof Bun.serve> | undefined;
  const connections = bunConnections(() => server, idleTimeout);
  const { app, daemon } = createApp({
    config,
    fetch: options.fetch,
    version: VERSION,
    build: BUILD_ID,
    stateDir: options.stateDir,
    prewarm: options.prewarm,
    heartbeatMs: options.heartbeatMs,
    readLimits: options.readLimits,
    connections,
  });
  try {
    // Bun answers a bare 413 above its own limit; ours (maxBodyBytes) answers in Anthropic's shape.
    // HTTP pipelining is Bun's to fix: a request written behind one still being answered (any
    // handler that awaits) makes Bun 1.4.5 close the connection with neither answered (uWS's
    // "denying async pipelining", oven-sh/bun#38128); Claude Code and the SDKs never pipeline.
    // Not in development mode: an error that escapes the app (its own error handler failing, as
    // when the log's disk is full) would be answered with a 51 KB HTML page and its stack trace.
    server = Bun.serve({
      hostname: config.host,
      port: config.port,
      fetch: (request) => app.handle(request),
      error: answerEscapedError,
      development: false,
      idleTimeout,
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    });
  } catch (error) {
    if (isAddressInUse(error)) throw new PortInUseError(`${config.host}:${config.port}`);
    throw error;
  }
  // Port 0 asks the system for a free port (tests); the URL names the one bound.
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  daemon.listenUrl = url;
  daemon.pool.startProbing(options.probeIntervalMs);
  daemon.prewarm.start(); // before the first probes: they tell it which backends are up
  void daemon.pool.probeAll().then(() => logBackends(daemon.pool.backends));
  logger.info(`listening on ${url}${options.configPath ? ` (config ${options.configPath})` : ""}`);
  return {
    url,
    // Every open stream ends with an error event first: the client hears why, rather than a reset.
    async stop() {
      const shuttingDown = new ApiError(529, "overloaded_error", "the anyclaude daemon is shutting down");
      for (const reply of daemon.openReplies) reply.end(shuttingDown);
      daemon.pool.stopProbing();
      await daemon.prewarm.stop();
      if (server) {
        await Promise.race([server.stop(false), Bun.sleep(SHUTDOWN_GRACE_MS)]);
        await server.stop(true);
      }
    },
  };
}

function logBackends(backends: ReturnType<typeof createApp>["daemon"]["pool"]["backends"]): void {
  for (const backend of backends) {
    const { name, url, tools } = backend.config;
    const state = backend.probe?.healthy ? `up, model ${backend.probe.model ?? "unknown"}` : `down (${backend.probe?.error ?? "not probed"})`;
    logger.info(`backend ${name} at ${redactUrl(url)}: ${state}${tools ? ", tools" : ""}`);
  }
}

// The last answer, for what create-app.ts's onError could not answer: Anthropic's shape, no stack,
// nothing logged (the log may be why it escaped).
export function answerEscapedError(error: unknown): Response {
  const message = error instanceof Error ? error.message : "unknown error";
  return Response.json(new ApiError(500, "api_error", `anyclaude failed: ${message.slice(0, 300)}`).toBody(), { status: 500 });
}

function isAddressInUse(error: unknown): boolean {
  return typeof error === "object" && error !== null && ("code" in error ? error.code === "EADDRINUSE" : /in use/i.test(String(error)));
}
