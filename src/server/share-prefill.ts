// Before a request goes upstream: is another request on its backend computing the prefix it
// shares right now? Then it waits for that one (src/prefix/shared-prefill.ts), its trace saying
// so ("waiting for a shared prefill" in status and statusline), for no longer than its own cold
// prefill would take on that backend.
import { backendQuirks } from "../backends/backend-quirks";
import { logger } from "../logger";
import type { RequestTrace } from "../metrics/request-trace";
import { chainFor, chainTokens } from "../prefix/prefix-chain";
import type { NormalizedRequest } from "../routing/normalize-request";
import type { Route } from "../routing/resolve-route";
import type { Daemon } from "./daemon";

// Until a backend's prefill rate is measured: a slow one (a large model on a laptop), so that a
// follower's bound is generous rather than too short to let the leader finish.
const UNMEASURED_PREFILL_TOKENS_PER_SECOND = 250;
// The shortest bound: a leader's first token takes a round trip and a decode step even when warm.
const MIN_BOUND_MS = 2_000;

// A promise for when the request may go, or undefined when it goes at once.
export function sharePrefill(
  daemon: Daemon,
  route: Route,
  normalized: NormalizedRequest,
  trace: RequestTrace,
  signal: AbortSignal,
): Promise<unknown> | undefined {
  if (!daemon.config.coalescePrefills) return undefined;
  const { config } = route.backend;
  const segments = chainFor(normalized.chain, route.includeTools);
  const coldTokens = Math.max(0, chainTokens(segments) - route.warmth.tokens);
  const rate = daemon.activity.backend(config.name).prefillRate() ?? UNMEASURED_PREFILL_TOKENS_PER_SECOND;
  const admission = daemon.sharedPrefills.admit({
    backend: config.name,
    readyAt: backendQuirks(config.kind).sharedPrefixReady,
    segments,
    warmTokens: route.warmth.tokens,
    // Were it to go now, it would compute its prompt next to the leader computing the shared part
    // (the server splits its time between them): that long, and no longer, it may wait.
    boundMs: (sharedTokens) => Math.max(MIN_BOUND_MS, (1000 * (coldTokens + sharedTokens)) / rate),
    signal,
  });
  trace.listen({ firstToken: admission.firstToken, progress: ({ processed, total }) => admission.progress(processed, total), end: admission.end });
  if (!admission.held) return undefined;
  trace.hold();
  logger.debug(`${config.name}: waiting for a shared prefill of ${admission.sharedTokens} tokens`);
  return admission.ready.then((reason) => {
    trace.go();
    logger.debug(`${config.name}: went after ${trace.record.waitedMs} ms waiting for a shared prefill (${reason})`);
  });
}
