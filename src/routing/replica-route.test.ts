import { describe, expect, test } from "bun:test";
import { BackendPool } from "../backends/backend-pool";
import type { Load } from "../backends/in-flight";
import { resolveConfig } from "../config/resolve-config";
import { chainFor, chainTokens, replySegment } from "../prefix/prefix-chain";
import type { MessagesRequest } from "../protocol/anthropic";
import { normalizeRequest } from "./normalize-request";
import { resolveRoute } from "./resolve-route";

const SYSTEM = `You are a coding agent.\n${"- keep functions short and names clear.\n".repeat(600)}`;

function setup() {
  const config = resolveConfig(
    {
      backends: [{ name: "qwen", kind: "openai", replicas: ["http://127.0.0.1:8080/v1", "http://127.0.0.1:8081/v1", "http://127.0.0.1:8082/v1"], tools: true }],
    },
    {},
  );
  const pool = new BackendPool(config.backends, fetch);
  const loads: Record<string, Load> = {};
  const down = new Set<string>();
  const decide = (messages: MessagesRequest["messages"], lastBackend?: string) =>
    resolveRoute(normalizeRequest({ model: "claude-opus-5-5", max_tokens: 100, system: SYSTEM, messages }, new Headers()), {
      routing: config.routing,
      backends: pool.backends,
      isHealthy: (backend) => !down.has(backend.config.name),
      load: (backend) => loads[backend.config.name] ?? { requests: 0, queuedTokens: 0 },
      prefillRate: () => 1_000,
      lastBackend,
    });
  const serve = (name: string, messages: MessagesRequest["messages"]) => {
    const served = normalizeRequest({ model: "m", max_tokens: 1, system: SYSTEM, messages }, new Headers());
    pool.get(name).cache.record([...chainFor(served.chain, false), replySegment({ text: "ok", toolCalls: [] })], { segments: 0, tokens: 0 }, {}, 0);
  };
  return { decide, serve, loads, down };
}

const first: MessagesRequest["messages"] = [{ role: "user", content: "What does this project do?" }];
const second: MessagesRequest["messages"] = [...first, { role: "assistant", content: "ok" }, { role: "user", content: "And the config?" }];

describe("routing among replicas", () => {
  test("a new conversation goes to the replica with the fewest prompt tokens queued, not the fewest requests", () => {
    const { decide, loads } = setup();
    loads["qwen#1"] = { requests: 1, queuedTokens: 9_000 };
    loads["qwen#2"] = { requests: 3, queuedTokens: 300 };
    loads["qwen#3"] = { requests: 1, queuedTokens: 4_000 };
    const route = decide(first);
    expect(route.backend.config.name).toBe("qwen#2");
    expect(route.reason).toBe("no-tools");
    expect(route.replica).toContain("qwen#2:");
    expect(route.replica).toContain("9,000 queued");
  });

  test("a continuing conversation stays where it is warm, unless the queue there costs more than recomputing elsewhere", () => {
    const { decide, serve, loads } = setup();
    serve("qwen#1", first);
    loads["qwen#1"] = { requests: 1, queuedTokens: 2_000 };
    expect(decide(second).backend.config.name).toBe("qwen#1"); // 2,000 queued < the whole prompt cold
    loads["qwen#1"] = { requests: 4, queuedTokens: 40_000 };
    expect(decide(second).backend.config.name).not.toBe("qwen#1");
  });

  test("a continuing conversation moves only when staying costs more than twice moving", () => {
    const { decide, serve, loads } = setup();
    serve("qwen#1", first);
    // Moving computes the whole prompt on another replica (idle here); staying, its new turn plus the queue.
    const whole = chainTokens(chainFor(normalizeRequest({ model: "m", max_tokens: 1, system: SYSTEM, messages: second }, new Headers()).chain, false));
    loads["qwen#1"] = { requests: 2, queuedTokens: Math.round(1.5 * whole) };
    const stays = decide(second, "qwen#1");
    expect(stays.backend.config.name).toBe("qwen#1"); // slower by half, not worth the move
    expect(stays.reason).toBe("affinity");
    loads["qwen#1"] = { requests: 4, queuedTokens: Math.round(2.5 * whole) };
    expect(decide(second, "qwen#1").backend.config.name).not.toBe("qwen#1");
  });

  test("a continuing conversation stays on its replica though a sibling conversation holds the slot there", () => {
    const { decide, serve } = setup();
    const sibling: MessagesRequest["messages"] = [{ role: "user", content: "Where are the tests?" }];
    serve("qwen#1", first);
    serve("qwen#1", sibling); // same system prompt: llama.cpp puts it into the same slot
    expect(decide(second, "qwen#1").backend.config.name).toBe("qwen#1");
  });

  test("a replica that is down: its conversation goes to another one", () => {
    const { decide, serve, down } = setup();
    serve("qwen#1", first);
    down.add("qwen#1");
    expect(["qwen#2", "qwen#3"]).toContain(decide(second).backend.config.name);
  });
});
