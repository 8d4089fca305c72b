// What differs between backend kinds, in one place, keyed on the kind (never on a name or a URL).
import type { BackendKind } from "../config/config-schema";
import type { CachePolicy } from "../prefix/cache-model";
import type { SharedPrefixReady } from "../prefix/shared-prefill";
import type { ProbeResult } from "./probe-model-list";

export type BackendQuirks = {
  // llama.cpp (LM Studio, llama-server, Ollama) and vLLM compile tool schemas to grammars that
  // reject `format: "uri"` and friends; mlx-lm only renders them into the prompt.
  cleanToolSchemas: boolean;
  // mlx_lm.server keeps an LRU of prompts; llama.cpp-based servers keep slots.
  cachePolicy: CachePolicy;
  // When a prefix one request computes can serve another in flight (src/prefix/shared-prefill.ts):
  // - mlx_lm.server 0.32 (mlx_lm/server.py, ResponseGenerator._generate): requests join one
  //   BatchGenerator and look up the LRU prompt cache (fetch_nearest_cache) once, on arrival, so
  //   requests sent together all miss; while a prompt prefills, the cache of each finished segment
  //   (the system prompt and tools) is inserted into the LRU (extract_cache/insert_cache at
  //   end_of_segment), so a request that arrives once the leader's first token came finds it:
  //   "first-token".
  // - llama.cpp's server (tools/server/server-context.cpp, get_available_slot): a prompt stays in
  //   the slot that computed it; a new task takes the idle slot with the longest common prefix
  //   (above --slot-prompt-similarity, 0.1), skipping busy ones, else the least recently used one,
  //   restoring the best match from the host-memory cache (--cache-ram) only then; a slot is saved
  //   there only while idle when another task starts. So while the leader generates, a follower
  //   lands in another slot and computes the prefix again: followers go once the leader's slot is
  //   free, one at a time ("slot-free"). They are not sent with `id_slot`: a task pinned to a slot
  //   skips the host-memory restore, and one pinned to a busy slot is deferred by the server,
  //   out of the daemon's reach (no bound, no cancel). LM Studio's GGUF engine is llama.cpp;
  //   vLLM shares computed blocks at once, so "slot-free" only makes it wait longer than needed
  //   (coalescePrefills: false turns it off).
  sharedPrefixReady: SharedPrefixReady;
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
  // for `default_model` (its source: the --model it was started with; the real 0.32.2 in
  // test/real/reuse.test.ts), and its /v1/models lists the Hugging Face cache, not what it
  // serves. Asked for when no model is configured; a name that says nothing, so replies are named
  // after the backend instead.
  placeholderModel?: string;
  // Whether the server parses a call to a tool the request does not declare. mlx_lm.server's tool
  // parsers (mlx_lm/tool_parsers: qwen3_coder, json_tools) take any function name; qwen3_coder
  // types a parameter by the declared schema only, so an undeclared tool's numbers and objects
  // arrive as strings (coerce-tool-arguments.ts types them). llama-server builds its parser and
  // grammar from the request's tools (common/parsers/qwen3-coder.cpp: one alternative per tool):
  // a loaded deferred tool must be declared there (deferred-tools.ts), as for LM Studio and any
  // other server, whose parsers we cannot read or try. Both tried on the real servers:
  // test/real/undeclared-tool-call.test.ts.
  callsUndeclaredTools: boolean;
  // Requests go to the slot anyclaude picks (`id_slot`, slot-assignment.ts) when the server has
  // several (llama-server's /props total_slots): its chat completions take `id_slot`; its own
  // /v1/messages and LM Studio are not known to.
  pinsSlots: boolean;
  // A server that sends nothing while its model writes a tool call, then the whole call, and the
  // path it answers meanwhile (see upstream-watch.ts): a silence after text there may be a long
  // Write, not a hang. mlx_lm.server's stream loop writes nothing while its text state machine is
  // in "tool" (mlx_lm/server.py, handle_completion: the `current_state != "tool"` guard in 0.32.2,
  // `not in_tool_call` in 0.30.7; the real 0.32.2 in test/real/long-tool-call.test.ts: a 300-token
  // Write held back 20-27 s on 2 busy CPU cores); its /health is answered by the HTTP server's own
  // thread per request while the generation thread runs (ThreadingHTTPServer), 200 while that
  // thread lives, 503 once it died. Not so elsewhere: llama-server streams a tool call's argument diffs as it parses them
  // (tools/server/server-task.cpp: each partial result carries `oaicompat_msg_diffs`), and LM Studio
  // streams fragments (id and name first, then argument pieces; its MLX engine yields every token,
  // lmstudio-ai/mlx-engine generate.py `create_generator`).
  silentToolCalls?: { livenessPath: string };
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
  // What `doctor` tells a user of this kind of server: how to load a model, how to raise its
  // context, why it is taken to take tools, and about cached-token reports.
  advice: {
    loadModel: string;
    raiseContext: string;
    toolsEvidence: string;
    // LM Studio never reports cached tokens (its issue #778: usage has no prompt_tokens_details).
    neverReportsCachedTokens: boolean;
    cachedTokens: string;
  };
};

// llama-server, vLLM, Ollama, whichever API they are spoken to in.
const OPENAI_COMPATIBLE_ADVICE: BackendQuirks["advice"] = {
  loadModel: 'start the server with a model, or set "model" for this backend in the config',
  raiseContext: "restart the server with a larger context (llama-server: -c 32768)",
  toolsEvidence: "the server's chat template takes tools",
  neverReportsCachedTokens: false,
  cachedTokens: "vLLM reports them with --enable-prompt-tokens-details; llama-server always does",
};

// One constant entry per kind: asked for several times on every request.
const QUIRKS: Record<BackendKind, BackendQuirks> = {
  "mlx-lm": {
    cleanToolSchemas: false,
    cachePolicy: "lru",
    sharedPrefixReady: "first-token",
    askPrefillProgress: false,
    contentKeepsSeparators: true,
    callsUndeclaredTools: true,
    pinsSlots: false,
    placeholderModel: "default_model",
    silentToolCalls: { livenessPath: "/health" },
    apiAtV1: true,
    howToStart: (port) => `start it: mlx_lm.server --model <model> --port ${port}`,
    advice: {
      loadModel: 'start the server with a model, or set "model" for this backend in the config',
      raiseContext: "load a model made with a longer context (mlx_lm.server uses the model's own)",
      toolsEvidence: "mlx_lm.server parses tool calls with the parser its model's template implies",
      neverReportsCachedTokens: false,
      cachedTokens: "upgrade mlx-lm to 0.31 or later (pip install -U mlx-lm)",
    },
  },
  lmstudio: {
    cleanToolSchemas: true,
    cachePolicy: "slots",
    sharedPrefixReady: "slot-free",
    askPrefillProgress: false,
    contentKeepsSeparators: false,
    callsUndeclaredTools: false,
    pinsSlots: false,
    apiAtV1: true,
    howToStart: (port) => `start LM Studio's server (lms server start${port === "1234" ? "" : ` --port ${port}`}) and load a model (lms load <model>)`,
    advice: {
      loadModel: "load a model in LM Studio (or: lms load <model> --context-length 32768)",
      raiseContext: "in LM Studio, reload the model with Context Length set higher (or: lms load <model> --context-length 32768)",
      toolsEvidence: "the model was trained for tool use",
      neverReportsCachedTokens: true,
      cachedTokens: "nothing to fix: LM Studio never reports them (its issue #778); `anyclaude bench` judges its cache by the timings",
    },
  },
  openai: {
    cleanToolSchemas: true,
    cachePolicy: "slots",
    sharedPrefixReady: "slot-free",
    askPrefillProgress: true,
    contentKeepsSeparators: false,
    callsUndeclaredTools: false,
    pinsSlots: true,
    apiAtV1: false,
    howToStart: (port) => `start the server, e.g. llama-server -m <model.gguf> --port ${port} --jinja`,
    restartHealthPath: "/v1/health",
    advice: OPENAI_COMPATIBLE_ADVICE,
  },
  anthropic: {
    cleanToolSchemas: true,
    cachePolicy: "slots",
    sharedPrefixReady: "slot-free",
    askPrefillProgress: false,
    contentKeepsSeparators: false,
    callsUndeclaredTools: false,
    pinsSlots: false,
    apiAtV1: true,
    howToStart: (port) => `start a server with its own /v1/messages, e.g. llama-server -m <model.gguf> --port ${port} --jinja`,
    restartHealthPath: "/v1/health",
    advice: OPENAI_COMPATIBLE_ADVICE,
  },
};

export function backendQuirks(kind: BackendKind): BackendQuirks {
  return QUIRKS[kind];
}

// How a chat-completions server is told what the client demands of the reply: a named tool
// (tool_choice {type:"tool"}), a JSON schema (output_config.format), and which stop sequence ended
// it. Kind "openai" is llama-server or vLLM (or Ollama), told apart by the probe (/props).
export type ReplyControls = {
  // "named": OpenAI's {type:"function",function:{name}} works (vLLM's named function calling;
  // LM Studio as before, unverified). "schema": the server takes tool_choice only as a string, so
  // the tool list stays as it is (the cached prefix with it) and the reply is constrained to the
  // tool's input schema as content, read back as that tool's call (llama-server: see LLAMA_SERVER).
  // "unenforced": the server ignores tool_choice (mlx_lm.server 0.32.2's server.py never reads it).
  forcedTool: "named" | "schema" | "unenforced";
  // response_format {type:"json_schema"} constrains the reply (mlx_lm.server's server.py never
  // reads response_format).
  responseFormat: boolean;
  // Ask with `verbose: true` for the stop word the reply ended on (llama-server only).
  asksStoppingWord: boolean;
};

// llama.cpp b0.3.36 (llama-cpp-python 0.3.36's vendor tree): tools/server/server-common.cpp
// oaicompat_chat_params_parse reads tool_choice with json_value(body, "tool_choice",
// std::string("auto")) (an object is "Wrong type supplied", then "auto") and
// common_chat_tool_choice_parse_oaicompat takes auto/none/required only; a `grammar` with tools is
// refused ("Cannot use custom grammar constraints with tools"); `response_format` json_schema is
// taken with tools, and the parsers put it first (common/parsers/qwen3-coder.cpp, the
// auto-parser's build_parser: has_response_format before tools), while the tools are rendered
// into the prompt whatever tool_choice says (common/chat.cpp: params.tools from inputs.tools).
// With tool_choice "auto" qwen3-coder's grammar is lazy (waits for a tool-call trigger), so
// "none" is sent with the schema. Its chat-completions chunks say only finish_reason "stop" for a
// stop word or the end token; `verbose` (server-schema.cpp, a per-request field) adds
// `__verbose` to the final chunk with stop_type and stopping_word (server-task.cpp
// to_json_oaicompat_chat_stream).
const LLAMA_SERVER: ReplyControls = { forcedTool: "schema", responseFormat: true, asksStoppingWord: true };
const NAMED_TOOLS: ReplyControls = { forcedTool: "named", responseFormat: true, asksStoppingWord: false };
const MLX_LM: ReplyControls = { forcedTool: "unenforced", responseFormat: false, asksStoppingWord: false };

export function replyControls(kind: BackendKind, probe: Pick<ProbeResult, "llamaServer"> | undefined): ReplyControls {
  switch (kind) {
    case "mlx-lm":
      return MLX_LM;
    case "openai":
      return probe?.llamaServer ? LLAMA_SERVER : NAMED_TOOLS;
    case "lmstudio":
    case "anthropic": // its own Messages API takes tool_choice and output_config as they are
      return NAMED_TOOLS;
    default:
      return kind satisfies never;
  }
}
