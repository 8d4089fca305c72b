// LM Studio: which model is loaded, with what context, and whether it was trained for tool use.
// /api/v1/models (0.4+) says all three; /api/v0/models (0.3) the loaded model and its context;
// before either, only the OpenAI list of every downloaded model. Unknown paths answer HTTP 200
// with {"error"}, so a list that does not parse means "not this version".
import * as v from "valibot";
import type { BackendConfig } from "../config/config-schema";
import { LmStudioV0Models, LmStudioV1Models } from "../protocol/lmstudio";
import { serverUrl } from "./backend-url";
import { type GetJson, type ProbeResult, probeModelList } from "./probe-model-list";

export async function probeLmStudio(backend: BackendConfig, get: GetJson): Promise<ProbeResult> {
  const [v0, v1] = await Promise.all([
    read(LmStudioV0Models, get(serverUrl(backend.url, "/api/v0/models"))),
    read(LmStudioV1Models, get(serverUrl(backend.url, "/api/v1/models"))),
  ]);
  if (!v0) return probeModelList(backend, get);
  const llms = v0.data.filter((model) => model.type !== "embeddings");
  const loadedV0 = llms.find((model) => model.state === "loaded");
  // With nothing loaded, LM Studio loads the model a request names (just-in-time loading).
  const model = backend.model ?? loadedV0?.id ?? llms[0]?.id;
  const entry = v1?.models.find((candidate) => candidate.key === model || candidate.loaded_instances.some((instance) => instance.id === model));
  const instance = entry?.loaded_instances.find((candidate) => candidate.id === model) ?? entry?.loaded_instances[0];
  return {
    healthy: true,
    model,
    models: llms.map((llm) => llm.id),
    tools: entry?.capabilities?.trained_for_tool_use,
    contextLength: instance?.config?.context_length ?? llms.find((llm) => llm.id === model)?.loaded_context_length ?? undefined,
    loaded: Boolean(instance) || llms.some((llm) => llm.id === model && llm.state === "loaded"),
  };
}

async function read<T extends v.GenericSchema>(schema: T, pending: Promise<unknown>): Promise<v.InferOutput<T> | undefined> {
  const parsed = v.safeParse(schema, await pending.catch(() => null));
  return parsed.success ? parsed.output : undefined;
}
