import { sentJson } from "../../test/support/sent-body";
import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../config/resolve-config";
import { logger } from "../logger";
import { createApp } from "./create-app";

type Upstream = (url: string, init: RequestInit) => Response | Promise<Response>;

// Backends answer through this fetch: probes succeed, completions do what the test says.
function appWith(complete: Upstream, overrides: Parameters<typeof resolveConfig>[0] = {}) {
  const calls: { url: string; body: any }[] = [];
  const fetcher = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    if (url.endsWith("/health")) return Response.json({ status: "ok" });
    if (url.endsWith("/api/v0/models")) return Response.json({ data: [{ id: "qwen3-coder-30b", type: "llm", state: "loaded" }] });
    if (url.endsWith("/models")) return Response.json({ data: [{ id: "qwen3-coder-30b" }] });
    calls.push({ url, body: sentJson(init) });
    return complete(url, init);
  }) as typeof fetch;
  const { app } = createApp({ config: resolveConfig(overrides, {}), fetch: fetcher, version: "test" });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.handle(
      new Request(`http://localhost${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
  return { app, post, calls };
}

// Test-side reads of JSON bodies, loosely typed.
const read = (response: Response): Promise<any> => response.json();

const completion = (content: string) =>
  Response.json({
    choices: [{ message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 50, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 20 } },
  });
const ask = { model: "claude-opus-5-5", max_tokens: 1024, messages: [{ role: "user", content: "What is 2+2?" }] };
const TOOLS = [{ name: "Write", input_schema: { type: "object", properties: { file_path: { type: "string" } } } }];

describe("the daemon's HTTP surface", () => {
  test("HEAD / and GET / answer 200; health is ok", async () => {
    const { app } = appWith(() => completion(""));
    expect((await app.handle(new Request("http://localhost/", { method: "HEAD" }))).status).toBe(200);
    expect((await app.handle(new Request("http://localhost/"))).status).toBe(200);
    expect(await read(await app.handle(new Request("http://localhost/anyclaude/health")))).toEqual({ status: "ok" });
  });

  test("a plain question goes to mlx-lm with default_model, and the reply is named after the backend, not the Claude model", async () => {
    const { post, calls } = appWith(() => completion("4"));
    const response = await post("/v1/messages?beta=true", ask);
    expect(response.headers.get("x-anyclaude-backend")).toBe("mlx-lm");
    expect(response.headers.get("x-anyclaude-route")).toBe("no-tools");
    expect(await read(response)).toMatchObject({
      model: "mlx-lm",
      content: [{ type: "text", text: "4" }],
      usage: { input_tokens: 30, cache_read_input_tokens: 20 },
    });
    expect(calls[0]).toMatchObject({ url: "http://127.0.0.1:8081/v1/chat/completions", body: { model: "default_model", max_tokens: 1024 } });
  });

  test("a request with tools goes to LM Studio with its loaded model", async () => {
    const { post, calls } = appWith(() => completion("ok"));
    const response = await post("/v1/messages", { ...ask, tools: TOOLS });
    expect(response.headers.get("x-anyclaude-backend")).toBe("lmstudio");
    expect(calls[0]).toMatchObject({ url: "http://127.0.0.1:1234/v1/chat/completions", body: { model: "qwen3-coder-30b" } });
  });

  test("malformed requests get a 400 invalid_request_error naming the field", async () => {
    const { post } = appWith(() => completion(""));
    const notJson = await post("/v1/messages", "{nope");
    expect(notJson.status).toBe(400);
    expect((await read(notJson)).error.message).toContain("not valid JSON");
    const badRole = await post("/v1/messages", { ...ask, messages: [{ role: "robot", content: "x" }] });
    expect(await read(badRole)).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringContaining("messages[0].role") },
    });
  });

  test("a conversation that breaks Anthropic's rules is refused naming the field, before any backend", async () => {
    const { post, calls } = appWith(() => completion(""));
    const cases: [unknown, string][] = [
      [{ ...ask, messages: [] }, "messages: must hold at least one message"],
      [{ ...ask, messages: [{ role: "user", content: "" }] }, "messages[0].content: must not be empty"],
      [
        {
          ...ask,
          messages: [
            { role: "user", content: "hi" },
            { role: "assistant", content: [] },
            { role: "user", content: "?" },
          ],
        },
        "messages[1].content: must not be empty",
      ],
      [
        { ...ask, messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "done" }] }] },
        'messages[0].content[0].tool_use_id: answers tool_use id "toolu_1", which no earlier message holds',
      ],
      [[ask], "body: the request body must be a JSON object"],
      ["42", "body: the request body must be a JSON object"],
    ];
    for (const [body, message] of cases) {
      const response = await post("/v1/messages", typeof body === "string" ? body : body);
      expect(response.status).toBe(400);
      expect(await read(response)).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringContaining(message) } });
    }
    expect((await post("/v1/messages/count_tokens", { model: "m", messages: [] })).status).toBe(400);
    expect(calls).toHaveLength(0);
  });

  test("a final assistant turn may be empty (the model continues it); a tool_result after its tool_use passes", async () => {
    const { post } = appWith(() => completion("4"));
    expect((await post("/v1/messages", { ...ask, messages: [...ask.messages, { role: "assistant", content: "" }] })).status).toBe(200);
    const loop = [
      { role: "user", content: "write it" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Write", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "done" }] },
    ];
    expect((await post("/v1/messages", { ...ask, tools: TOOLS, messages: loop })).status).toBe(200);
  });

  test("a body over maxBodyBytes is a 413 request_too_large; GET /v1/messages a 405", async () => {
    const { post, app } = appWith(() => completion(""), { maxBodyBytes: 1000 });
    const response = await post("/v1/messages", { ...ask, messages: [{ role: "user", content: "x".repeat(2000) }] });
    expect(response.status).toBe(413);
    expect(await read(response)).toMatchObject({ type: "error", error: { type: "request_too_large", message: expect.stringContaining("1000 bytes") } });
    const get = await app.handle(new Request("http://localhost/v1/messages"));
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(await read(get)).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  test("mlx-lm's HTTP 404 {error} becomes a 400 that names the backend, with the routing headers", async () => {
    const { post } = appWith(() => Response.json({ error: "Only 'text' content type is supported." }, { status: 404 }));
    const response = await post("/v1/messages", ask);
    expect(response.status).toBe(400);
    expect(response.headers.get("x-anyclaude-backend")).toBe("mlx-lm");
    expect((await read(response)).error.message).toBe(
      `backend "mlx-lm" (mlx-lm at http://127.0.0.1:8081/v1) answered HTTP 404: Only 'text' content type is supported.`,
    );
  });

  test("LM Studio's context overflow reads 'prompt is too long' so Claude Code compacts", async () => {
    const overflow =
      "Trying to keep the first 40000 tokens when context the overflows. However, the model is loaded with context length of 32768 tokens, which is not enough.";
    const { post } = appWith(() => Response.json({ error: { message: overflow, type: "invalid_request_error", param: null, code: null } }, { status: 400 }));
    const body = await read(await post("/v1/messages", { ...ask, tools: TOOLS }));
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toStartWith("prompt is too long");
  });

  test("a refused connection falls back to another backend that can serve the request", async () => {
    const { app, post } = appWith((url) =>
      url.includes(":8081") ? Promise.reject(new TypeError("Unable to connect. Is the computer able to access the url?")) : completion("from lmstudio"),
    );
    const response = await post("/v1/messages", ask);
    expect(response.headers.get("x-anyclaude-backend")).toBe("lmstudio");
    expect(response.headers.get("x-anyclaude-route")).toBe("fallback");
    const status = await read(await app.handle(new Request("http://localhost/anyclaude/status")));
    expect(status.routes).toEqual({ fallback: 1 });
    expect(status.backends.find((backend: { name: string }) => backend.name === "mlx-lm")).toMatchObject({ requests: 0, errors: 1 });
  });

  test("when no capable backend is reachable the client hears at once, with the backend's URL", async () => {
    const { post } = appWith(() =>
      Promise.reject(Object.assign(new TypeError("Unable to connect. Is the computer able to access the url?"), { code: "ECONNREFUSED" })),
    );
    const response = await post("/v1/messages", { ...ask, tools: TOOLS, stream: true }, { "user-agent": "claude-cli/2.1.332 (external, cli)" });
    expect(response.status).toBe(503);
    // Claude Code is told not to retry; a generic SDK keeps its own retries.
    expect(response.headers.get("x-should-retry")).toBe("false");
    const generic = await post("/v1/messages", { ...ask, tools: TOOLS }, { "user-agent": "Anthropic/JS 1.12.0" });
    expect(generic.status).toBe(503);
    expect(generic.headers.get("x-should-retry")).toBeNull();
    expect(generic.headers.get("request-id")).toMatch(/^req_/);
    const body = await read(response);
    expect(body.error.type).toBe("api_error");
    expect(body.error.message).toContain(
      "lmstudio (lmstudio at http://127.0.0.1:1234/v1): nothing is listening there (connection refused); start LM Studio's server (lms server start) and load a model (lms load <model>).",
    );
    expect(body.error.message).toContain(
      "mlx-lm (mlx-lm at http://127.0.0.1:8081/v1): nothing is listening there (connection refused); start it: mlx_lm.server --model <model> --port 8081.",
    );
  });

  test("count_tokens estimates without generating, never 0", async () => {
    const { post, calls } = appWith(() => completion(""));
    const response = await post("/v1/messages/count_tokens", { model: "claude-opus-5-5", messages: [{ role: "user", content: "hi" }] });
    expect((await read(response)).input_tokens).toBeGreaterThan(0);
    expect(calls).toHaveLength(0);
  });

  test("an auth token, when configured, is required on /v1", async () => {
    const { post } = appWith(() => completion("ok"), { authToken: "s3cret" });
    expect((await post("/v1/messages", ask)).status).toBe(401);
    expect((await post("/v1/messages", ask, { authorization: "Bearer s3cret" })).status).toBe(200);
    expect((await post("/v1/messages", ask, { "x-api-key": "s3cret" })).status).toBe(200);
  });

  test("status counts requests, tokens and routes per backend", async () => {
    const { app, post } = appWith(() => completion("4"));
    await post("/v1/messages", ask);
    const status = await read(await app.handle(new Request("http://localhost/anyclaude/status")));
    expect(status).toMatchObject({ version: "test", routes: { "no-tools": 1 }, sessions: 1 });
    expect(status.backends.find((backend: { name: string }) => backend.name === "mlx-lm")).toMatchObject({
      requests: 1,
      promptTokens: 50,
      cachedTokens: 20,
      kind: "mlx-lm",
      tools: true,
      contextLength: null,
    });
  });

  test("an anthropic-kind backend is relayed under the served model's name", async () => {
    const upstreamMessage = {
      id: "x",
      type: "message",
      role: "assistant",
      model: "local",
      content: [{ type: "text", text: "hi" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 5, output_tokens: 1, cache_read_input_tokens: 10 },
    };
    const { post, calls } = appWith(() => Response.json(upstreamMessage), {
      backends: [{ name: "llama", kind: "anthropic", url: "http://127.0.0.1:8080/v1", model: "qwen" }],
    });
    const body = await read(
      await post("/v1/messages", {
        ...ask,
        system: [
          { type: "text", text: "x-anthropic-billing-header: cc_version=1;" },
          { type: "text", text: "S" },
        ],
        context_management: {},
      }),
    );
    expect(body).toMatchObject({ model: "qwen", content: [{ type: "text", text: "hi" }] });
    expect(calls[0]!.url).toBe("http://127.0.0.1:8080/v1/messages");
    expect(calls[0]!.body).toEqual({ model: "qwen", max_tokens: 1024, messages: ask.messages, system: "S" });
    // A llama.cpp behind its own Messages API compiles tool schemas too: they are cleaned.
    await post("/v1/messages", {
      ...ask,
      tools: [{ name: "WebFetch", input_schema: { type: "object", properties: { url: { type: "string", format: "uri" } } } }],
    });
    expect(calls[1]!.body.tools).toEqual([{ name: "WebFetch", input_schema: { type: "object", properties: { url: { type: "string" } } } }]);
  });

  test("every refused request leaves one log line: status, error type and reason, never the body", async () => {
    const { app, post } = appWith(() => completion(""));
    const lines: string[] = [];
    const saved = logger.options.reporters;
    logger.setReporters([{ log: (entry) => lines.push(`[${entry.type}] ${entry.args.join(" ")}`) }]);
    try {
      const secret = "the user's private notes";
      const bad = await post("/v1/messages", { ...ask, messages: [{ role: "user", content: [{ type: "text", text: secret }, { type: "tool_reference" }] }] });
      expect(bad.status).toBe(400);
      await app.handle(new Request("http://localhost/v1/messages", { method: "POST", headers: { origin: "https://evil.example" }, body: "{}" }));
      await app.handle(new Request("http://localhost/v1/messages", { method: "GET" }));
    } finally {
      logger.setReporters(saved);
    }
    expect(lines).toHaveLength(3);
    expect(lines[0]).toStartWith("[warn] POST /v1/messages refused: 400 invalid_request_error: messages[0].content[1].tool_name:");
    expect(lines[1]).toStartWith("[warn] POST /v1/messages refused: 403 permission_error:");
    expect(lines[2]).toStartWith("[warn] GET /v1/messages refused: 405 invalid_request_error:");
    expect(lines.join("\n")).not.toContain("private notes");
  });

  test("every /v1/messages answer carries a request-id, each its own", async () => {
    const { post } = appWith(() => completion("4"));
    const ids = [
      (await post("/v1/messages", ask)).headers.get("request-id"),
      (await post("/v1/messages", ask)).headers.get("request-id"),
      (await post("/v1/messages", { model: "x" })).headers.get("request-id"),
    ];
    expect(ids.every((id) => /^req_[0-9a-z]+$/.test(id ?? ""))).toBe(true);
    expect(new Set(ids).size).toBe(3);
  });

  test("/v1/models lists a backend that came up since the last probe, with the SDK's ModelInfo fields", async () => {
    let up = false;
    const fetcher = (async (input: string | URL | Request) => {
      if (!up) throw Object.assign(new TypeError("Unable to connect"), { code: "ECONNREFUSED" });
      const url = String(input);
      if (url.endsWith("/props")) return Response.json({ default_generation_settings: { n_ctx: 16384 } });
      return Response.json({ data: [{ id: "qwen3.gguf" }] });
    }) as typeof fetch;
    const { app, daemon } = createApp({
      config: resolveConfig({ backends: [{ name: "llama", kind: "openai", url: "http://127.0.0.1:9/v1" }] }, {}),
      fetch: fetcher,
      version: "test",
    });
    await daemon.pool.probeAll();
    const models = () => app.handle(new Request("http://localhost/v1/models")).then(read);
    expect((await models()).data).toEqual([]);
    up = true;
    await Bun.sleep(1_050); // a down backend is asked again at most once a second
    const { data } = await models();
    expect(data).toEqual([
      {
        type: "model",
        id: "qwen3.gguf",
        display_name: "qwen3.gguf (llama)",
        created_at: expect.any(String),
        capabilities: null,
        lifecycle: "active",
        line: null,
        deprecated_at: null,
        retires_at: null,
        max_input_tokens: 16384,
        max_tokens: 16384,
      },
    ]);
  });
});
