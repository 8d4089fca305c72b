// What `anyclaude config init` writes: the defaults, commented. It loads back to the defaults.
export const CONFIG_TEMPLATE = `// anyclaude configuration (JSON; // comments allowed). Check it with: anyclaude config check
{
  // Where the daemon listens. Off loopback, "authToken" is required, or "authTokens": a token per
  // person by name ({"alice": "...", "bob": "..."}) for a daemon a team shares; each at least 32
  // characters of two kinds or more (make one with: openssl rand -hex 32).
  "host": "127.0.0.1",
  "port": 8082,

  // kind: "mlx-lm", "lmstudio", "openai" (llama.cpp, vLLM, Ollama) or "anthropic" (a server with
  // its own /v1/messages). Optional: "model", "apiKey", "timeoutMs" (silence allowed before the
  // first token: 600000), "idleTimeoutMs" (silence allowed once tokens flow: 120000), "maxTokens", "contextLength"
  // (the server's loaded context, for mlx_lm.server, which does not tell it), "images",
  // "cacheSlots" (prompts its cache keeps: mlx-lm 10, LM Studio 4), "tools" (true, false, or
  // "auto", the default: learned from the backend).
  // Several servers of one model: "replicas": ["http://host-a:8080/v1", "http://host-b:8080/v1"]
  // instead of "url" makes them one pool, backends "<name>#1", "<name>#2", ...; a new conversation
  // goes to the replica with the least prompt work queued, a continuing one stays where it is warm.
  "backends": [
    { "name": "lmstudio", "kind": "lmstudio", "url": "http://127.0.0.1:1234/v1", "tools": true },
    { "name": "mlx-lm", "kind": "mlx-lm", "url": "http://127.0.0.1:8081/v1", "tools": "auto" }
  ],

  // mode: "auto", or a backend name to send everything there.
  // toolsWhen: "defined" (a tool list needs tools) or "used" (only tool blocks in the conversation).
  "routing": { "mode": "auto", "toolsBackend": "lmstudio", "defaultBackend": "mlx-lm", "affinity": true, "toolsWhen": "defined" },

  // Request bodies larger than this are refused with a 413 (32 MB).
  "maxBodyBytes": 33554432,

  // When a backend comes up or loads a model, warm it with the prompt prefixes (system prompt and
  // tools) Claude Code sessions sent it most recently, while it is idle.
  "prewarm": true,

  // Requests that share a long prefix with one a backend is computing right now (Claude Code's
  // parallel subagents) wait until it is computed, then find it in the server's cache.
  "coalescePrefills": true,

  // On llama-server (several slots), each conversation keeps a slot of its own, so sessions do
  // not evict each other; false leaves the slot to llama-server's own choice.
  "pinSlots": true
}
`;
