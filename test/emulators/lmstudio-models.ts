// LM Studio's model lists: the OpenAI-compatible /v1/models (every downloaded model, loaded or
// not), the REST /api/v0/models (with `type`, `state`, `max_context_length` and, when loaded,
// `loaded_context_length`), and 0.4's /api/v1/models (with `loaded_instances` and
// `capabilities.trained_for_tool_use`). Besides the loaded model, an embedding model and a vision
// model sit on disk, unloaded, as they usually do.
// `loaded: false`: the model sits on disk, nothing is loaded (LM Studio just started, or unloaded
// it); `toolUse`: its capabilities say it was trained for tool use.
export type LoadedModel = { id: string; contextLength: number; loaded: boolean; toolUse: boolean };

const EMBEDDING = "text-embedding-nomic-embed-text-v1.5";
const VISION = "google/gemma-3-12b";

export const DOWNLOADED_MODELS = [EMBEDDING, VISION];

export function modelsResponse(path: string, loaded: LoadedModel): Response | undefined {
  if (path === "/v1/models")
    return Response.json({ data: [loaded.id, VISION, EMBEDDING].map((id) => ({ id, object: "model", owned_by: "organization_owner" })), object: "list" });
  if (path === "/api/v0/models") return Response.json({ object: "list", data: [v0Entry(loaded), ...v0Others()] });
  if (path === "/api/v1/models") return Response.json({ models: [v1Entry(loaded), ...v1Others()] });
  return undefined;
}

function v0Entry(loaded: LoadedModel) {
  const state = loaded.loaded ? { state: "loaded", loaded_context_length: loaded.contextLength } : { state: "not-loaded" };
  return {
    id: loaded.id,
    object: "model",
    type: "llm",
    publisher: publisherOf(loaded.id),
    arch: "qwen3moe",
    compatibility_type: "gguf",
    quantization: "Q4_K_M",
    ...state,
    max_context_length: 262144,
  };
}

function v0Others() {
  return [
    {
      id: VISION,
      object: "model",
      type: "vlm",
      publisher: "google",
      arch: "gemma3",
      compatibility_type: "gguf",
      quantization: "Q4_K_M",
      state: "not-loaded",
      max_context_length: 131072,
    },
    {
      id: EMBEDDING,
      object: "model",
      type: "embeddings",
      publisher: "nomic-ai",
      arch: "nomic-bert",
      compatibility_type: "gguf",
      quantization: "Q4_K_M",
      state: "not-loaded",
      max_context_length: 2048,
    },
  ];
}

function v1Entry(loaded: LoadedModel) {
  return {
    type: "llm",
    publisher: publisherOf(loaded.id),
    key: loaded.id,
    display_name: "Qwen3 Coder 30B",
    architecture: "qwen3moe",
    quantization: { name: "Q4_K_M", bits_per_weight: 4 },
    size_bytes: 18556685568,
    params_string: "30B",
    loaded_instances: loaded.loaded
      ? [{ id: loaded.id, config: { context_length: loaded.contextLength, eval_batch_size: 512, flash_attention: true, offload_kv_cache_to_gpu: true } }]
      : [],
    max_context_length: 262144,
    format: "gguf",
    capabilities: { vision: false, trained_for_tool_use: loaded.toolUse },
    description: null,
    variants: [`${loaded.id}@q4_k_m`],
    selected_variant: `${loaded.id}@q4_k_m`,
  };
}

function v1Others() {
  return [
    {
      type: "llm",
      publisher: "google",
      key: VISION,
      display_name: "Gemma 3 12B",
      architecture: "gemma3",
      quantization: { name: "Q4_K_M", bits_per_weight: 4 },
      size_bytes: 8149190592,
      params_string: "12B",
      loaded_instances: [],
      max_context_length: 131072,
      format: "gguf",
      capabilities: { vision: true, trained_for_tool_use: false },
      description: null,
      variants: [`${VISION}@q4_k_m`],
      selected_variant: `${VISION}@q4_k_m`,
    },
    {
      type: "embedding",
      publisher: "nomic-ai",
      key: EMBEDDING,
      display_name: "Nomic Embed Text v1.5",
      quantization: { name: "Q4_K_M", bits_per_weight: 4 },
      size_bytes: 84106624,
      params_string: null,
      loaded_instances: [],
      max_context_length: 2048,
      format: "gguf",
    },
  ];
}

function publisherOf(id: string): string {
  return id.includes("/") ? id.slice(0, id.indexOf("/")) : "lmstudio-community";
}
