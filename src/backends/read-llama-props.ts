// llama-server's GET /props: whether its chat template takes tools, the context per slot, how
// many slots it has, and whether its model sees images.
import * as v from "valibot";
import type { BackendConfig } from "../config/config-schema";
import { LlamaServerProps } from "../protocol/llama-server";
import { serverUrl } from "./backend-url";
import type { GetJson, ProbeResult } from "./probe-model-list";

export async function readLlamaProps(
  backend: BackendConfig,
  get: GetJson,
): Promise<Pick<ProbeResult, "tools" | "contextLength" | "slots" | "llamaServer" | "images">> {
  const props = v.safeParse(LlamaServerProps, await get(serverUrl(backend.url, "/props")).catch(() => null));
  if (!props.success) return {};
  return {
    tools: props.output.chat_template_caps?.supports_tools,
    contextLength: props.output.default_generation_settings?.n_ctx,
    slots: props.output.total_slots,
    llamaServer: props.output.default_generation_settings !== undefined,
    images: props.output.modalities?.vision,
  };
}
