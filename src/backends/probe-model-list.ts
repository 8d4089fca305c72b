// What every probe learns, and the probe of last resort: the OpenAI model list, first entry served.
import * as v from "valibot";
import type { BackendConfig } from "../config/config-schema";
import { ModelList } from "../protocol/openai";
import { apiBase } from "./backend-url";

export type ProbeResult = {
  healthy: boolean;
  model?: string;
  models: string[];
  error?: string;
  tools?: boolean; // what the backend says about tool calling; undefined when it does not say
  contextLength?: number; // the loaded context, in tokens, when the backend tells
  loaded?: boolean; // whether `model` is loaded now, when the backend tells (LM Studio loads it on the first request)
  slots?: number; // llama-server's parallel slots (/props total_slots): requests can be pinned to one
  images?: boolean; // whether its model takes images, when the server tells (llama-server's /props modalities.vision)
  llamaServer?: boolean; // it answered llama-server's /props: tells it apart from vLLM and others of its kind
};

export type GetJson = (url: string) => Promise<unknown>;

export async function probeModelList(backend: BackendConfig, get: GetJson): Promise<ProbeResult> {
  const list = v.parse(ModelList, await get(`${apiBase(backend)}/models`));
  const models = list.data.map((model) => model.id);
  const model = backend.model ?? models[0];
  const contextLength = list.data.find((entry) => entry.id === model)?.max_model_len;
  return { healthy: true, model, models, ...(contextLength ? { contextLength } : {}) };
}
