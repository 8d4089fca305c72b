// `doctor`'s checks of one backend, from what the server says directly, through the daemon's own
// probe (and, when the daemon runs, whether it has seen the backend report cached tokens): it
// answers, has a model loaded, the loaded context fits Claude Code's prompt, it takes tools, it
// reports cached tokens.
import { takesTools } from "../backends/backend-pool";
import { backendQuirks } from "../backends/backend-quirks";
import type { ProbeResult } from "../backends/probe-model-list";
import type { BackendConfig, BackendKind } from "../config/config-schema";
import type { Check } from "./check";
import { redactUrl } from "../config/redact-url";

// Claude Code's system prompt and tools come to ~20k tokens before any conversation; below this
// the first request already overflows, or the next turns soon do.
export const MIN_CONTEXT_TOKENS = 24_000;
const SUGGESTED_CONTEXT = 32_768;

export function checkBackend(backend: BackendConfig, probe: ProbeResult, reportsCachedTokens: boolean | null | undefined): Check[] {
  const name = (what: string) => `${backend.name}: ${what}`;
  if (!probe.healthy)
    return [
      {
        name: name("answers"),
        ok: false,
        required: true,
        detail: `${backend.kind} at ${redactUrl(backend.url)} does not answer (${probe.error ?? "down"})`,
        fix: startFix(backend),
      },
    ];
  const checks: Check[] = [{ name: name("answers"), ok: true, required: true, detail: `${backend.kind} at ${redactUrl(backend.url)}` }];
  if (!probe.model || probe.loaded === false)
    return [
      ...checks,
      { name: name("model loaded"), ok: false, required: true, detail: "no model is loaded", fix: backendQuirks(backend.kind).advice.loadModel },
    ];
  checks.push({ name: name("model loaded"), ok: true, required: true, detail: probe.model });
  checks.push(contextCheck(name("context"), backend.kind, probe.contextLength));
  checks.push(toolsCheck(name("tools"), backend, probe.tools));
  checks.push(cacheReportCheck(name("cached tokens"), backend.kind, reportsCachedTokens));
  return checks;
}

function contextCheck(name: string, kind: BackendKind, contextLength: number | undefined): Check {
  if (contextLength === undefined) return { name, ok: true, required: true, detail: "the server does not say; it uses the model's own context length" };
  const detail = `loaded with ${contextLength.toLocaleString("en-US")} tokens of context`;
  if (contextLength >= MIN_CONTEXT_TOKENS) return { name, ok: true, required: true, detail };
  const how = backendQuirks(kind).advice.raiseContext;
  return {
    name,
    ok: false,
    required: true,
    detail: `${detail}: Claude Code's prompt alone is about 20,000`,
    fix: `${how}; ${SUGGESTED_CONTEXT.toLocaleString("en-US")} or more`,
  };
}

// `said`: what the probe learned (LM Studio: trained for tool use; llama-server: its template
// takes tools; mlx_lm.server: assumed, see probe-backend.ts); "tools": "auto" follows it.
function toolsCheck(name: string, backend: BackendConfig, said: boolean | undefined): Check {
  if (backend.tools === false)
    return { name, ok: true, required: false, detail: 'not given tools ("tools": false): requests with tools go to another backend' };
  if (!takesTools({ config: backend, probe: { tools: said } }))
    return {
      name,
      ok: false,
      required: false,
      detail: 'not given tools ("tools": "auto"): the loaded model was not made for tool use; requests with tools go to another backend',
      fix: 'load a model trained for tool use (such as Qwen3-Coder), or set "tools": true for this backend',
    };
  if (said === false)
    return {
      name,
      ok: false,
      required: true,
      detail: "given tools, but the loaded model was not trained for tool use",
      fix: 'load a model trained for tool use (such as Qwen3-Coder), or set "tools": false for this backend',
    };
  return {
    name,
    ok: true,
    required: true,
    detail: said ? `takes tools; ${backendQuirks(backend.kind).advice.toolsEvidence}` : "takes tools (the server does not say what the model was trained for)",
  };
}

// Informational: routing works either way, but without reported cached tokens its cache model
// is never corrected and `status`/`bench` cannot show cache hits.
function cacheReportCheck(name: string, kind: BackendKind, reports: boolean | null | undefined): Check {
  if (reports === true) return { name, ok: true, required: false, detail: "reports cached tokens" };
  const advice = backendQuirks(kind).advice;
  if (reports === false || advice.neverReportsCachedTokens)
    return { name, ok: false, required: false, detail: "does not report cached tokens", fix: advice.cachedTokens };
  return { name, ok: true, required: false, detail: "not seen yet (no reply through the daemon so far)" };
}

// The same words the daemon gives when a backend is down (backend-quirks.ts).
function startFix(backend: BackendConfig): string {
  const url = new URL(backend.url);
  return `${backendQuirks(backend.kind).howToStart(url.port || (url.protocol === "https:" ? "443" : "80"))}, or correct its url in the config`;
}
