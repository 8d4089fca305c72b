// What `doctor` asks a backend directly, beyond the daemon's health probe: which model is loaded,
// with how much context, and whether it was made for tool use, from each server's own endpoints:
// - LM Studio: /api/v0/models (`state`, `loaded_context_length`) and, from 0.4, /api/v1/models
//   (`loaded_instances[].config.context_length`, `capabilities.trained_for_tool_use`);
// - llama-server (kind openai or anthropic): /props (`default_generation_settings.n_ctx`,
//   `chat_template_caps.supports_tools`), else the model list;
// - mlx_lm.server: /health; it serves the model it was started with, at that model's full
//   context, and says nothing about tools.
import * as v from "valibot";
import { assertNever } from "../assert-never";
import type { BackendConfig } from "../config/config-schema";
import { ModelList } from "../protocol/openai";
import { getJson, serverRoot } from "./probe-backend";

export type Inspection =
  | { reachable: false; error: string }
  | { reachable: true; model?: string; contextLength?: number; toolUse?: boolean };

const LmStudioV0 = v.looseObject({
  data: v.array(v.looseObject({ id: v.string(), type: v.optional(v.string()), state: v.optional(v.string()), loaded_context_length: v.optional(v.number()) })),
});
const LmStudioV1 = v.looseObject({
  models: v.array(v.looseObject({ key: v.string(), loaded_instances: v.optional(v.array(v.looseObject({ config: v.optional(v.looseObject({ context_length: v.optional(v.number()) })) }))), capabilities: v.optional(v.looseObject({ trained_for_tool_use: v.optional(v.boolean()) })) })),
});
const LlamaProps = v.looseObject({
  model_path: v.optional(v.string()),
  default_generation_settings: v.optional(v.looseObject({ n_ctx: v.optional(v.number()) })),
  chat_template_caps: v.optional(v.looseObject({ supports_tools: v.optional(v.boolean()) })),
});

export async function inspectBackend(backend: BackendConfig, fetcher: typeof fetch): Promise<Inspection> {
  try {
    switch (backend.kind) {
      case "lmstudio":
        return await inspectLmStudio(backend, fetcher);
      case "mlx-lm":
        await getJson(`${serverRoot(backend.url)}/health`, backend, fetcher);
        return { reachable: true, model: backend.model ?? "default_model" };
      case "openai":
      case "anthropic":
        return await inspectLlamaOrOther(backend, fetcher);
      default:
        return assertNever(backend.kind);
    }
  } catch (error) {
    return { reachable: false, error: error instanceof Error ? error.message : String(error) };
  }
}

async function inspectLmStudio(backend: BackendConfig, fetcher: typeof fetch): Promise<Inspection> {
  const root = serverRoot(backend.url);
  const listed = v.parse(LmStudioV0, await getJson(`${root}/api/v0/models`, backend, fetcher));
  const loaded = listed.data.find((model) => model.state === "loaded" && model.type !== "embeddings" && (!backend.model || model.id === backend.model));
  if (!loaded) return { reachable: true };
  // LM Studio before 0.4 has no /api/v1; it then says nothing about tool use.
  const v1 = v.safeParse(LmStudioV1, await getJson(`${root}/api/v1/models`, backend, fetcher).catch(() => null));
  const entry = v1.success ? v1.output.models.find((model) => model.key === loaded.id) : undefined;
  const contextLength = loaded.loaded_context_length ?? entry?.loaded_instances?.[0]?.config?.context_length;
  return { reachable: true, model: loaded.id, contextLength, toolUse: entry?.capabilities?.trained_for_tool_use };
}

async function inspectLlamaOrOther(backend: BackendConfig, fetcher: typeof fetch): Promise<Inspection> {
  // A Messages-API backend's URL may leave out the /v1 its model list sits under.
  const base = backend.kind === "anthropic" ? `${serverRoot(backend.url)}/v1` : backend.url.replace(/\/+$/, "");
  const list = v.parse(ModelList, await getJson(`${base}/models`, backend, fetcher));
  const props = v.safeParse(LlamaProps, await getJson(`${serverRoot(backend.url)}/props`, backend, fetcher).catch(() => null));
  const model = backend.model ?? list.data[0]?.id;
  if (!props.success) return { reachable: true, model };
  return { reachable: true, model, contextLength: props.output.default_generation_settings?.n_ctx, toolUse: props.output.chat_template_caps?.supports_tools };
}
