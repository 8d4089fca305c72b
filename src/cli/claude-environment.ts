// What the launcher tells Claude Code about the local models, through the environment it reads
// (2.1.197), computed from the daemon's status. A variable the user set is never overridden, but
// for the credentials when the daemon has an authToken.
import { backendQuirks } from "../backends/backend-quirks";
import type { Config } from "../config/config-schema";
import type { StatusReport } from "../server/status-report";

type Backend = StatusReport["backends"][number];
type Env = Record<string, string | undefined>;

// The daemon waits `timeoutMs` for a backend to begin (a cold prefill); a non-streaming request,
// which Claude Code falls back to, then waits for the whole generation on top of that.
const GENERATION_ALLOWANCE_MS = 10 * 60_000;
// Claude Code (2.1.197 to 2.1.337, run here) reads CLAUDE_CODE_AUTO_COMPACT_WINDOW as at least
// this many tokens; 2.1.332 and later also warn on stderr, on every run, about a smaller value.
const SMALLEST_COMPACT_WINDOW = 100_000;
// Of that window Claude Code keeps this much for its reply (its debug log: effectiveWindow=80000),
// and compacts at CLAUDE_AUTOCOMPACT_PCT_OVERRIDE percent of the rest.
const EFFECTIVE_SMALLEST_WINDOW = 80_000;
// Where on a smaller context it should compact: a turn or a tool result still fits after it.
const COMPACT_AT_SHARE = 0.75;

export function claudeEnvironment(report: StatusReport, config: Config, userEnv: Env): Env {
  const up = report.backends.filter((backend) => backend.healthy);
  // Claude Code's main loop always sends tools; its side requests (titles, summaries) none.
  const main = pick(
    up.filter((backend) => backend.tools),
    config.routing.toolsBackend,
  );
  const side = pick(up, config.routing.defaultBackend) ?? main;
  const contexts = up
    .filter((backend) => backend.tools)
    .map((backend) => backend.contextLength)
    .filter((length): length is number => typeof length === "number");
  const context = contexts.length ? Math.min(...contexts) : undefined;
  const wanted: Env = {
    // Claude Code 2.1.197 applies MAX_CONTEXT_TOKENS only with DISABLE_COMPACT.
    CLAUDE_CODE_MAX_CONTEXT_TOKENS: context?.toString(),
    ...(context === undefined ? {} : compactWindow(context)),
    API_TIMEOUT_MS: String(Math.max(...config.backends.map((backend) => backend.timeoutMs)) + GENERATION_ALLOWANCE_MS),
    ANTHROPIC_DEFAULT_OPUS_MODEL_NAME: main && displayName(main),
    ANTHROPIC_DEFAULT_SONNET_MODEL_NAME: main && displayName(main),
    ANTHROPIC_DEFAULT_HAIKU_MODEL_NAME: side && displayName(side),
  };
  return Object.fromEntries(Object.entries(wanted).filter(([name, value]) => value !== undefined && userEnv[name] === undefined));
}

// When Claude Code compacts. On a context under its 100k floor it would compact only when the
// daemon refuses a request as too long, which mid tool loop it could not recover from (measured
// with 2.1.337 on 16k and 32k: "Prompt is too long", exit 1); told the floor and a percentage of
// it, it compacts at ~75% of the real context by itself (on 32k: at ~24k, the tool loop finishes).
// The daemon's refusal stays the safety net. 2.1.197 reads the same two variables.
function compactWindow(context: number): Env {
  if (context >= SMALLEST_COMPACT_WINDOW) return { CLAUDE_CODE_AUTO_COMPACT_WINDOW: String(context) };
  const percent = Math.floor((100 * COMPACT_AT_SHARE * context) / EFFECTIVE_SMALLEST_WINDOW);
  return { CLAUDE_CODE_AUTO_COMPACT_WINDOW: String(SMALLEST_COMPACT_WINDOW), CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: String(Math.max(1, percent)) };
}

// Claude Code sends ANTHROPIC_AUTH_TOKEN as Authorization: Bearer and ANTHROPIC_API_KEY as
// x-api-key, and needs one of them to talk to a base URL. With an authToken the daemon's goes
// alone: the user's own key is meant for Anthropic, not for the daemon, and must not clash with it.
export function withCredentials(env: Env, authToken: string | undefined): Env {
  if (!authToken) return env.ANTHROPIC_API_KEY || env.ANTHROPIC_AUTH_TOKEN ? env : { ...env, ANTHROPIC_AUTH_TOKEN: "anyclaude" };
  const { ANTHROPIC_API_KEY: _usersOwn, ...rest } = env;
  return { ...rest, ANTHROPIC_AUTH_TOKEN: authToken };
}

function pick(backends: Backend[], preferred: string): Backend | undefined {
  return backends.find((backend) => backend.name === preferred) ?? backends[0];
}

// mlx_lm.server serves its placeholder name (backend-quirks.ts): the model it was started with,
// whose name it does not tell.
function displayName(backend: Backend): string {
  return backend.model && backend.model !== backendQuirks(backend.kind).placeholderModel ? `${backend.model} (${backend.name})` : `${backend.name}'s model`;
}
