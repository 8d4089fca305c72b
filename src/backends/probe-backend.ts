// Is a backend up, which model does it serve, can that model call tools, and how long is its
// loaded context? Asked in the background, after a failure, and when a request needs a backend
// that was down.
import { backendQuirks } from "./backend-quirks";
import * as v from "valibot";
import { assertNever } from "../assert-never";
import type { BackendConfig } from "../config/config-schema";
import { ModelList } from "../protocol/openai";
import { describeNetworkFailure } from "./backend-error";
import { apiUrl, serverUrl } from "./backend-url";
import { fetchFreshOnReset } from "./fetch-fresh-on-reset";
import { probeLmStudio } from "./probe-lmstudio";
import { type GetJson, type ProbeResult, probeModelList } from "./probe-model-list";
import { readLlamaProps } from "./read-llama-props";

const PROBE_TIMEOUT_MS = 3_000;
export const NO_ANSWER = "it accepts connections but sent no answer within";

export async function probeBackend(backend: BackendConfig, fetcher: typeof fetch): Promise<ProbeResult> {
  const get: GetJson = (url) => getJson(url, backend, fetcher);
  try {
    const probed = await probeKind(backend, get);
    return backend.contextLength ? { ...probed, contextLength: backend.contextLength } : probed;
  } catch (error) {
    return { healthy: false, models: [], error: describeFailure(error) };
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError")
    return `${NO_ANSWER} ${PROBE_TIMEOUT_MS / 1000} s (busy, hung, or not the server expected)`;
  return describeNetworkFailure(error);
}

function probeKind(backend: BackendConfig, get: GetJson): Promise<ProbeResult> {
  switch (backend.kind) {
    case "mlx-lm":
      return probeMlxLm(backend, get);
    case "lmstudio":
      return probeLmStudio(backend, get);
    case "openai":
    case "anthropic":
      return probeLlamaOrOther(backend, get);
    default:
      return assertNever(backend.kind);
  }
}

// mlx_lm.server's /v1/models lists every model in the Hugging Face cache, not the loaded one;
// `default_model` always means the model it was started with. It tells neither its template nor
// a context limit. From 0.30 it infers a tool parser from the model's chat template and returns
// tool calls parsed; with a template that has none, the model's answer comes back as text, which
// Claude Code still shows. So "auto" counts it as taking tools: one mlx_lm.server alone serves
// Claude Code, whose every main-loop request carries its tool list.
async function probeMlxLm(backend: BackendConfig, get: GetJson): Promise<ProbeResult> {
  await get(serverUrl(backend.url, "/health"));
  const listed = v.safeParse(ModelList, await get(apiUrl(backend, "/models")).catch(() => null));
  return {
    healthy: true,
    model: backend.model ?? backendQuirks(backend.kind).placeholderModel,
    models: listed.success ? listed.output.data.map((m) => m.id) : [],
    tools: true,
  };
}

// Any OpenAI-compatible or Messages API server; llama-server also tells its template's tool
// support and its context through /props, vLLM its context in the model list (max_model_len);
// Ollama neither.
async function probeLlamaOrOther(backend: BackendConfig, get: GetJson): Promise<ProbeResult> {
  const [listed, props] = await Promise.all([probeModelList(backend, get), readLlamaProps(backend, get)]);
  return { ...listed, ...props, contextLength: props.contextLength ?? listed.contextLength };
}

async function getJson(url: string, backend: BackendConfig, fetcher: typeof fetch): Promise<unknown> {
  const headers: Record<string, string> = backend.apiKey ? { authorization: `Bearer ${backend.apiKey}` } : {};
  const response = await fetchFreshOnReset(fetcher, url, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  // llama-server answers 503 while it loads its model.
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}${response.status === 503 ? " (still loading its model?)" : ""}`);
  return response.json();
}
