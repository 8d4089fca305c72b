// Is a backend in the middle of a restart? Asked every second between the pool's probes (15 s
// apart), so that a server restarted in a few seconds is still seen going away and coming back,
// and prewarmed. Quiet on purpose: a bare TCP connection that sends nothing (no server logs it),
// or, where the server has one (llama-server), its health endpoint, which answers 503 while the
// model loads after the port is already bound (and /v1/health, unlike /health, is not logged).
import { connect } from "node:net";
import type { BackendConfig } from "../config/config-schema";
import { backendQuirks } from "../backends/backend-quirks";
import { serverUrl } from "../backends/backend-url";

const CHECK_TIMEOUT_MS = 2_000;

// `sign`: a reason when the server is certainly not serving (refused, or loading); none
// otherwise, a slow answer included: a busy server is not a restarting one. `noHealthPath`: the
// server has no such endpoint (a generic OpenAI-compatible server such as Ollama answers 404):
// ask its port from then on.
export type RestartCheck = { sign?: string; noHealthPath?: boolean };

export async function checkRestart(backend: BackendConfig, fetcher: typeof fetch, options: { port: boolean }): Promise<RestartCheck> {
  const healthPath = backendQuirks(backend.kind).restartHealthPath;
  if (!healthPath || options.port) return { sign: await portRefuses(backend.url) };
  try {
    const response = await fetcher(serverUrl(backend.url, healthPath), { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 503) return { sign: "loading its model (HTTP 503)" };
    return { noHealthPath: response.status === 404 || response.status === 405 };
  } catch (error) {
    return { sign: isRefused(error) ? "connection refused" : undefined };
  }
}

function portRefuses(url: string): Promise<string | undefined> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port || (protocol === "https:" ? 443 : 80)) });
    const done = (result: string | undefined) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(CHECK_TIMEOUT_MS, () => done(undefined));
    socket.once("connect", () => done(undefined));
    socket.once("error", (error) => done(isRefused(error) ? "connection refused" : undefined));
  });
}

function isRefused(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  return code === "ECONNREFUSED" || code === "ConnectionRefused" || /ECONNREFUSED|Unable to connect|connection refused/i.test(String(error));
}
