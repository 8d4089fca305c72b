// count_tokens' answer, as the backend the request would go to counts it: asked, when it counts
// tokens itself and answers in time (llama-server: its template included, exactly), else the
// daemon's calibrated estimate (token-calibration.ts), which takes microseconds.
import { takesTools } from "../backends/backend-pool";
import type { BackendState } from "../backends/backend-pool";
import { askTokenCount } from "../backends/ask-token-count";
import { backendQuirks } from "../backends/backend-quirks";
import type { Message } from "../protocol/anthropic";
import type { NormalizedRequest } from "../routing/normalize-request";
import { needsTools, resolveRoute, type Route } from "../routing/resolve-route";
import { estimateTokens } from "../translate/estimate-tokens";
import type { Daemon } from "./daemon";
import { upstreamRequest } from "./handle-messages";

// llama-server counted Claude Code's 17k-token prompt in 180-200 ms through the daemon, one tool in
// 10-20 ms (its template rendered and tokenized, in no slot: test/real/token-counts.test.ts, on 2
// busy shared cores); past this limit a count is not worth the wait.
const COUNT_TIMEOUT_MS = 500;

export async function countPromptTokens(daemon: Daemon, normalized: NormalizedRequest): Promise<number> {
  const route = routeOf(daemon, normalized);
  if (!route) return Math.max(1, normalized.estimatedTokens);
  const counted = await askBackend(daemon, route, normalized);
  if (counted !== undefined) return counted;
  const { ratio } = daemon.calibrationOf(route.backend).calibration.factors();
  return Math.max(
    1,
    daemon.estimateTokens(route.backend, route, normalized) + Math.round(ratio * estimateTokens(loopThinkingChars(normalized.request.messages))),
  );
}

async function askBackend(daemon: Daemon, route: Pick<Route, "backend" | "includeTools">, normalized: NormalizedRequest): Promise<number | undefined> {
  const { backend } = route;
  if (!backendQuirks(backend.config.kind).countTokensPath) return undefined;
  if (!backend.probe) await daemon.pool.probe(backend); // before its first probe answered
  const model = daemon.pool.upstreamModel(backend);
  const { calibration } = daemon.calibrationOf(backend); // per model: known once probed
  if (calibration.countsItself === false || !model || !daemon.pool.isHealthy(backend)) return undefined;
  const upstream = upstreamRequest(daemon, route, normalized, model, undefined);
  const counted = await askTokenCount(backend.config, upstream.body, { fetcher: daemon.fetcher, timeoutMs: COUNT_TIMEOUT_MS });
  if (counted === "unsupported") calibration.countsItself = false;
  if (typeof counted !== "number") return undefined;
  calibration.countsItself = true;
  daemon.calibrate(backend, route, normalized, counted);
  return counted;
}

// The backend the request would go to; when none can serve it (down, or the prompt too long for
// its context), the one it would prefer, for its calibrated rates.
function routeOf(daemon: Daemon, normalized: NormalizedRequest): Pick<Route, "backend" | "includeTools"> | undefined {
  try {
    return resolveRoute(normalized, daemon.routeContext(normalized));
  } catch {
    const { routing } = daemon.config;
    const name = needsTools(normalized, routing.toolsWhen) ? routing.toolsBackend : routing.defaultBackend;
    const backend: BackendState | undefined = daemon.pool.backends.find((candidate) => candidate.config.name === name) ?? daemon.pool.backends[0];
    return backend && { backend, includeTools: normalized.hasTools && takesTools(backend) };
  }
}

// The reasoning of the tool loop under way (the assistant turns since the last question): what
// Anthropic counts of thinking, and what the Qwen3 templates render of it; earlier reasoning is
// dropped by both. Read from the end, as far as that question only.
export function loopThinkingChars(messages: readonly Message[]): number {
  let chars = 0;
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index]!;
    if (typeof message.content === "string") {
      if (message.role === "user") break;
      continue;
    }
    if (message.role === "user" && message.content.some((block) => block.type !== "tool_result")) break;
    for (const block of message.content) if (block.type === "thinking") chars += block.thinking.length;
  }
  return chars;
}
