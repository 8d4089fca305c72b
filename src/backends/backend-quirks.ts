// What differs between backend kinds, in one place, keyed on the kind (never on a name or a URL).
import { assertNever } from "../assert-never";
import type { BackendKind } from "../config/config-schema";
import type { CachePolicy } from "../prefix/cache-model";

export type BackendQuirks = {
  // llama.cpp (LM Studio, llama-server, Ollama) and vLLM compile tool schemas to grammars that
  // reject `format: "uri"` and friends; mlx-lm only renders them into the prompt.
  cleanToolSchemas: boolean;
  // mlx_lm.server keeps an LRU of prompts; llama.cpp-based servers keep slots.
  cachePolicy: CachePolicy;
  // llama-server streams its prefill progress when asked (`return_progress`); other
  // OpenAI-compatible servers ignore the unknown field. mlx_lm.server sends its keepalive
  // comments unasked; LM Studio tells nothing.
  askPrefillProgress: boolean;
};

export function backendQuirks(kind: BackendKind): BackendQuirks {
  switch (kind) {
    case "mlx-lm":
      return { cleanToolSchemas: false, cachePolicy: "lru", askPrefillProgress: false };
    case "openai":
      return { cleanToolSchemas: true, cachePolicy: "slots", askPrefillProgress: true };
    case "lmstudio":
    case "anthropic":
      return { cleanToolSchemas: true, cachePolicy: "slots", askPrefillProgress: false };
    default:
      return assertNever(kind);
  }
}
