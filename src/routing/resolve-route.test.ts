import { describe, expect, test } from "bun:test";
import { BackendPool } from "../backends/backend-pool";
import type { Config, ConfigFile } from "../config/config-schema";
import { resolveConfig } from "../config/resolve-config";
import { chainFor, replySegment } from "../prefix/prefix-chain";
import type { MessagesRequest } from "../protocol/anthropic";
import { normalizeRequest } from "./normalize-request";
import { resolveRoute } from "./resolve-route";

const TOOLS = [{ name: "Bash", input_schema: { type: "object" } }];

// LM Studio for tools, an mlx-lm told to take none: the split the routing rules are about.
const SPLIT: ConfigFile = {
  backends: [
    { name: "lmstudio", kind: "lmstudio", url: "http://127.0.0.1:1234/v1", tools: true },
    { name: "mlx-lm", kind: "mlx-lm", url: "http://127.0.0.1:8081/v1", tools: false },
  ],
};

function setup(overrides: Partial<Config["routing"]> = {}, file: ConfigFile = SPLIT) {
  const config = resolveConfig(file, {});
  const routing = { ...config.routing, ...overrides };
  const pool = new BackendPool(config.backends, fetch);
  const decide = (body: Partial<MessagesRequest>, healthy = (_name: string) => true) =>
    resolveRoute(normalizeRequest({ model: "claude-opus-5-5", max_tokens: 100, messages: [{ role: "user", content: "hi" }], ...body }, new Headers()), {
      routing,
      backends: pool.backends,
      isHealthy: (backend) => healthy(backend.config.name),
    });
  return { pool, decide };
}

// The backend served this conversation: its cache now holds the prompt and the reply.
function serve(pool: BackendPool, name: string, body: Pick<MessagesRequest, "system" | "messages">, reply: string, tick = 0): void {
  const served = normalizeRequest({ model: "m", max_tokens: 1, ...body }, new Headers());
  pool.get(name).cache.record([...chainFor(served.chain, false), replySegment({ text: reply, toolCalls: [] })], { segments: 0, tokens: 0 }, {}, tick);
}

describe("resolveRoute", () => {
  test("a request with tools goes to the tools backend, one without to the default backend", () => {
    const { decide } = setup();
    expect(decide({ tools: TOOLS })).toMatchObject({ reason: "tools", needsTools: true, includeTools: true, backend: { config: { name: "lmstudio" } } });
    expect(decide({})).toMatchObject({ reason: "no-tools", needsTools: false, backend: { config: { name: "mlx-lm" } } });
  });

  test("tool blocks in the conversation need tools even without a tool list", () => {
    const { decide } = setup();
    const messages: MessagesRequest["messages"] = [
      { role: "user", content: "run it" },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] },
    ];
    expect(decide({ messages }).backend.config.name).toBe("lmstudio");
  });

  test('toolsWhen "used": a fresh text turn goes to the default backend without its tools', () => {
    const { decide } = setup({ toolsWhen: "used" });
    expect(decide({ tools: TOOLS })).toMatchObject({ reason: "no-tools", includeTools: false, backend: { config: { name: "mlx-lm" } } });
    expect(decide({ tools: TOOLS, tool_choice: { type: "any" } }).backend.config.name).toBe("lmstudio");
  });

  test("a tool-less follow-up stays on the backend where its prefix is warm", () => {
    const { pool, decide } = setup({ toolsWhen: "used" });
    // A conversation long enough that moving it would mean real prefill work.
    const first = { system: "You are a coding agent. ".repeat(2000), messages: [{ role: "user" as const, content: "q1" }] };
    expect(decide(first).backend.config.name).toBe("mlx-lm");
    serve(pool, "lmstudio", first, "answer");
    const followUp = decide({ system: first.system, messages: [...first.messages, { role: "assistant", content: "answer" }, { role: "user", content: "q2" }] });
    expect(followUp).toMatchObject({ reason: "affinity", backend: { config: { name: "lmstudio" } } });
    expect(followUp.warm.lmstudio).toBeGreaterThan(0);
    expect(followUp.warm["mlx-lm"]).toBe(0);
  });

  test("with affinity off, the same warm follow-up goes to the default backend", () => {
    const { pool, decide } = setup({ toolsWhen: "used", affinity: false });
    const first = { system: "You are a coding agent. ".repeat(2000), messages: [{ role: "user" as const, content: "q1" }] };
    serve(pool, "lmstudio", first, "answer");
    const followUp = decide({ system: first.system, messages: [...first.messages, { role: "assistant", content: "answer" }, { role: "user", content: "q2" }] });
    expect(followUp).toMatchObject({ reason: "no-tools", backend: { config: { name: "mlx-lm" } } });
  });

  test("a warm prefix too small to matter does not pull a request off its default backend", () => {
    const { pool, decide } = setup({ toolsWhen: "used" });
    const first = { system: "S", messages: [{ role: "user" as const, content: "q1" }] };
    serve(pool, "lmstudio", first, "answer");
    expect(decide({ system: "S", messages: [...first.messages, { role: "assistant", content: "answer" }, { role: "user", content: "q2" }] }).reason).toBe(
      "no-tools",
    );
  });

  test("a down backend is skipped; when none can serve, the error names each backend and URL", () => {
    const { decide } = setup();
    expect(decide({}, (name) => name !== "mlx-lm")).toMatchObject({ reason: "fallback", backend: { config: { name: "lmstudio" } } });
    expect(() => decide({ tools: TOOLS }, (name) => name !== "lmstudio")).toThrow("lmstudio (lmstudio at http://127.0.0.1:1234/v1)");
  });

  test("with the default config, a tools request goes to mlx-lm when LM Studio is down (tools: auto)", () => {
    const { decide, pool } = setup({}, {});
    expect(decide({ tools: TOOLS }, (name) => name !== "lmstudio")).toMatchObject({
      reason: "fallback",
      includeTools: true,
      backend: { config: { name: "mlx-lm" } },
    });
    // A backend that says its model takes no tools is not given them.
    pool.get("mlx-lm").probe = { healthy: true, models: [], tools: false, at: 0 };
    expect(() => decide({ tools: TOOLS }, (name) => name !== "lmstudio")).toThrow("no backend can serve this request");
  });

  test("a prompt larger than every loaded context is 'prompt is too long' before any backend is asked", () => {
    const { decide, pool } = setup();
    pool.get("lmstudio").probe = { healthy: true, models: [], contextLength: 4096, at: 0 };
    pool.get("mlx-lm").probe = { healthy: true, models: [], contextLength: 8192, at: 0 };
    const long = { messages: [{ role: "user" as const, content: "word ".repeat(20_000) }] };
    expect(() => decide(long)).toThrow(/^prompt is too long: \d+ tokens > 8192 maximum/);
    // One that fits on the larger context goes there, even off its usual backend.
    pool.get("lmstudio").probe = { healthy: true, models: [], contextLength: 131072, at: 0 };
    expect(decide(long)).toMatchObject({ reason: "fallback", backend: { config: { name: "lmstudio" } } });
  });

  test("forced mode wins over everything, and a model naming a backend forces it", () => {
    expect(setup({ mode: "mlx-lm" }).decide({ tools: TOOLS })).toMatchObject({
      reason: "forced",
      includeTools: false,
      backend: { config: { name: "mlx-lm" } },
    });
    expect(setup().decide({ model: "lmstudio" })).toMatchObject({ reason: "forced", backend: { config: { name: "lmstudio" } } });
  });

  test("images only go to a backend that takes them", () => {
    const { decide } = setup();
    const image = { type: "image" as const, source: { type: "base64" as const, media_type: "image/png", data: "x" } };
    expect(decide({ messages: [{ role: "user", content: [image] }] }).backend.config.name).toBe("lmstudio");
  });

  test("a new conversation that would push out a live one on the default backend goes where there is room (balance)", () => {
    const config = resolveConfig(
      {
        backends: [
          { name: "lmstudio", kind: "lmstudio", url: "http://127.0.0.1:1234/v1" },
          { name: "mlx-lm", kind: "mlx-lm", url: "http://127.0.0.1:8081/v1", tools: true, cacheSlots: 2 },
        ],
        routing: { toolsWhen: "used" },
      },
      {},
    );
    const pool = new BackendPool(config.backends, fetch);
    const system = "You are a coding agent. ".repeat(2000);
    const conversation = (question: string) =>
      normalizeRequest({ model: "m", max_tokens: 1, system, messages: [{ role: "user", content: question }] }, new Headers());
    // Two conversations in use fill mlx-lm's two slots.
    serve(pool, "mlx-lm", { system, messages: [{ role: "user", content: "first" }] }, "long answer ".repeat(500), 1);
    serve(pool, "mlx-lm", { system, messages: [{ role: "user", content: "second" }] }, "long answer ".repeat(500), 2);
    const context = { routing: config.routing, backends: pool.backends, isHealthy: () => true };
    expect(resolveRoute(conversation("third"), { ...context, now: 3 })).toMatchObject({ reason: "balance", backend: { config: { name: "lmstudio" } } });
    // Once they are idle, the new conversation takes a slot on the default backend.
    expect(resolveRoute(conversation("third"), { ...context, now: 100 })).toMatchObject({ reason: "no-tools", backend: { config: { name: "mlx-lm" } } });
  });
});
