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
  // mlx_lm.server's parser strips only the marker strings (its source, and the real 0.32.2 in
  // test/real/: content "\n\nDone." after "</think>"), so the content it returns keeps the
  // newlines the model wrote after </think> and before <tool_call>, which the chat template
  // writes again when it renders the turn back: they are taken off before a replay.
  contentKeepsSeparators: boolean;
  // The model name that means "the model the server was started with": mlx_lm.server answers
  // for `default_model` (its source: the --model it was started with), and its /v1/models lists
  // the Hugging Face cache, not what it serves. Asked for when no model is configured; a name
  // that says nothing, so replies are named after the backend instead.
  placeholderModel?: string;
  // The server's API is at /v1 whether or not its configured URL ends so (see backend-url.ts).
  apiAtV1: boolean;
  // What a user whose backend is down should run; `port` is the one in its URL.
  howToStart: (port: string) => string;
  // How a restart shows between probes (src/prewarm/watch-restart.ts): a path under the server's
  // root that answers 503 while the model loads, asked every second; else the port closing.
  // llama-server binds its port before loading the model and answers 503 meanwhile (its
  // /v1/health, an alias of /health, is the one path it does not log); mlx_lm.server loads its
  // model before it binds, and logs every request it answers.
  restartHealthPath?: string;
};

export function backendQuirks(kind: BackendKind): BackendQuirks {
  switch (kind) {
    case "mlx-lm":
      return { cleanToolSchemas: false, cachePolicy: "lru", askPrefillProgress: false, contentKeepsSeparators: true, placeholderModel: "default_model", apiAtV1: true, howToStart: (port) => `start it: mlx_lm.server --model <model> --port ${port}` };
    case "lmstudio":
      return { cleanToolSchemas: true, cachePolicy: "slots", askPrefillProgress: false, contentKeepsSeparators: false, apiAtV1: true, howToStart: (port) => `start LM Studio's server (lms server start${port === "1234" ? "" : ` --port ${port}`}) and load a model (lms load <model>)` };
    case "openai":
      return { cleanToolSchemas: true, cachePolicy: "slots", askPrefillProgress: true, contentKeepsSeparators: false, apiAtV1: false, howToStart: (port) => `start the server, e.g. llama-server -m <model.gguf> --port ${port} --jinja`, restartHealthPath: "/v1/health" };
    case "anthropic":
      return { cleanToolSchemas: true, cachePolicy: "slots", askPrefillProgress: false, contentKeepsSeparators: false, apiAtV1: true, howToStart: (port) => `start a server with its own /v1/messages, e.g. llama-server -m <model.gguf> --port ${port} --jinja`, restartHealthPath: "/v1/health" };
    default:
      return assertNever(kind);
  }
}
