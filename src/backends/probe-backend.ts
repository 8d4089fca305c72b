// Is a backend up, and which model does it serve? Asked in the background and after a failure.
import * as v from "valibot";
import { assertNever } from "../assert-never";
import type { BackendConfig } from "../config/config-schema";
import { ModelList } from "../protocol/openai";

export type Probe = { healthy: boolean; model?: string; models: string[]; error?: string };

const PROBE_TIMEOUT_MS = 3_000;

// LM Studio's REST API tells which model is loaded; its /v1/models lists every downloaded one.
const LmStudioModels = v.looseObject({
  data: v.array(v.looseObject({ id: v.string(), type: v.optional(v.string()), state: v.optional(v.string()) })),
});

export async function probeBackend(backend: BackendConfig, fetcher: typeof fetch): Promise<Probe> {
  try {
    switch (backend.kind) {
      case "mlx-lm":
        return await probeMlxLm(backend, fetcher);
      case "lmstudio":
        return await probeLmStudio(backend, fetcher);
      case "openai":
      case "anthropic":
        return await probeModelList(backend, fetcher);
      default:
        return assertNever(backend.kind);
    }
  } catch (error) {
    return { healthy: false, models: [], error: error instanceof Error ? error.message : String(error) };
  }
}

// mlx_lm.server's /v1/models lists every model in the Hugging Face cache, not the loaded one;
// `default_model` always means the model it was started with.
async function probeMlxLm(backend: BackendConfig, fetcher: typeof fetch): Promise<Probe> {
  await getJson(`${serverRoot(backend.url)}/health`, backend, fetcher);
  const listed = v.safeParse(ModelList, await getJson(`${backend.url}/models`, backend, fetcher).catch(() => null));
  return { healthy: true, model: backend.model ?? "default_model", models: listed.success ? listed.output.data.map((m) => m.id) : [] };
}

async function probeLmStudio(backend: BackendConfig, fetcher: typeof fetch): Promise<Probe> {
  const rest = v.safeParse(LmStudioModels, await getJson(`${serverRoot(backend.url)}/api/v0/models`, backend, fetcher).catch(() => null));
  if (!rest.success) return probeModelList(backend, fetcher);
  const llms = rest.output.data.filter((model) => model.type !== "embeddings");
  const loaded = llms.find((model) => model.state === "loaded");
  return { healthy: true, model: backend.model ?? loaded?.id ?? llms[0]?.id, models: llms.map((model) => model.id) };
}

async function probeModelList(backend: BackendConfig, fetcher: typeof fetch): Promise<Probe> {
  const list = v.parse(ModelList, await getJson(`${backend.url}/models`, backend, fetcher));
  const models = list.data.map((model) => model.id);
  return { healthy: true, model: backend.model ?? models[0], models };
}

export async function getJson(url: string, backend: BackendConfig, fetcher: typeof fetch): Promise<unknown> {
  const headers: Record<string, string> = backend.apiKey ? { authorization: `Bearer ${backend.apiKey}` } : {};
  const response = await fetcher(url, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
  return response.json();
}

// "http://127.0.0.1:1234/v1" -> "http://127.0.0.1:1234": where servers keep their own endpoints.
export function serverRoot(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v1$/, "");
}
