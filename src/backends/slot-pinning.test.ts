import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../config/resolve-config";
import { RequestTrace } from "../metrics/request-trace";
import { buildPrefixChain } from "../prefix/prefix-chain";
import { CacheModel } from "../prefix/cache-model";
import type { BackendState } from "./backend-pool";
import { learnSlots, slotPicker, slotPinningView } from "./slot-pinning";

const config = resolveConfig(
  { backends: [{ name: "llama", kind: "openai", url: "http://127.0.0.1:9/v1" }], routing: { toolsBackend: "llama", defaultBackend: "llama" } },
  {},
).backends[0]!;
const backend = (): BackendState => ({
  config,
  probe: { healthy: true, models: ["m"], slots: 4, at: 0 },
  cache: new CacheModel(4, "slots"),
  stats: { requests: 0, promptTokens: 0, cachedTokens: 0 },
});
// Claude-Code-shaped: a long shared system prompt, a task of each conversation's own.
const chain = (question: string) =>
  buildPrefixChain({
    system: "You are Claude Code. ".repeat(1_000),
    tools: [],
    messages: [{ role: "user", content: `${question}: ${"details ".repeat(300)}` }],
  });
const trace = () => new RequestTrace({ backend: "llama", route: "tools", estimatedTokens: 10 }, Date.now, () => {});

// llama-server 0.3.36's slots as GET /slots shows them (server_slot::to_json). A task that starts
// in a slot clears every other idle slot when the server `clears` (a unified KV cache with its RAM
// prompt cache: server-context.cpp, cache_idle_slots); `restores`: it has a RAM prompt cache and
// restores from it into a slot that held another prompt (cache_n in /completion's timings;
// 1,802 of 1,803 measured here).
function llamaServer(clears: boolean, restores = true) {
  const slots: { id: number; is_processing: boolean; id_task?: number; n_prompt_tokens?: number }[] = [0, 1, 2, 3].map((id) => ({ id, is_processing: false }));
  const asked: string[] = [];
  let tasks = 0;
  const fetcher = (async (url: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(url)).pathname;
    asked.push(`${init?.method ?? "GET"} ${path}`);
    if (path === "/slots") return Response.json(slots);
    const { id_slot, prompt } = JSON.parse(String(init?.body));
    const slot = slots[id_slot]!;
    if (clears) for (const other of slots) if (other !== slot && other.id_task !== undefined) other.n_prompt_tokens = 0;
    const restored = restores && slot.n_prompt_tokens ? prompt.length - 1 : 0;
    Object.assign(slot, { id_task: ++tasks, n_prompt_tokens: prompt.length });
    return Response.json({ content: "x", timings: { cache_n: restored, prompt_n: prompt.length - restored } });
  }) as typeof fetch;
  return { fetcher, asked };
}

async function learned(state: BackendState, fetcher: typeof fetch) {
  learnSlots(state, fetcher);
  expect(slotPinningView(state)).toBe("learning");
  await slotPicker(state, chain("meanwhile"), true, trace(), fetcher)?.ready;
  return slotPinningView(state);
}

describe("slot pinning on llama-server", () => {
  test("a server that clears idle slots into its RAM cache (its default: a unified KV cache) is never pinned", async () => {
    const state = backend();
    const server = llamaServer(true);
    expect(await learned(state, server.fetcher)).toBe("unpinned");
    expect(server.asked).toEqual(["GET /slots", "POST /completion", "POST /completion", "GET /slots"]);
    expect(slotPicker(state, chain("two"), true, trace(), server.fetcher)).toBeUndefined();
  });

  test("a server whose slots keep their prompts (--parallel given) is pinned, its empty slots seeded so it restores into them", async () => {
    const state = backend();
    const server = llamaServer(false);
    expect(await learned(state, server.fetcher)).toBe("pinned");
    // The probe, the seed, /slots, the probe again where it is restored, the two other slots seeded.
    expect(server.asked).toEqual([
      "GET /slots",
      "POST /completion",
      "POST /completion",
      "GET /slots",
      "POST /completion",
      "POST /completion",
      "POST /completion",
    ]);
    // Each request picks its slot, then ends (a busy slot is never pinned).
    const pick = (question: string) => {
      const request = trace();
      const slot = slotPicker(state, chain(question), true, request, server.fetcher)!.pick();
      request.finish({ text: "", toolCalls: [], stopReason: "end_turn" } as never);
      return slot;
    };
    const one = pick("one");
    const two = pick("two");
    expect([one, two].every((slot) => typeof slot === "number")).toBe(true);
    expect(two).not.toBe(one); // a new conversation to another seeded slot, the first one kept
    expect(pick("one")).toBe(one!);
  });

  test("without a RAM cache (--cache-ram 0) it is not pinned, and no slot is seeded", async () => {
    const state = backend();
    const server = llamaServer(false, false);
    expect(await learned(state, server.fetcher)).toBe("unpinned");
    expect(server.asked).toEqual(["GET /slots", "POST /completion", "POST /completion", "GET /slots", "POST /completion"]);
  });

  test("a server without /slots (--no-slots) is pinned, as before; what was learned goes when it is found down", async () => {
    const state = backend();
    const noSlots = (async () => new Response("This server does not support slots endpoint.", { status: 501 })) as unknown as typeof fetch;
    expect(await learned(state, noSlots)).toBe("pinned");
    expect(slotPicker(state, chain("two"), true, trace(), noSlots)!.pick()).toBeNumber();
    state.probe = { ...state.probe!, healthy: false };
    expect(slotPinningView(state)).toBe("unknown");
  });

  test("a server too busy to answer is asked again, and not pinned meanwhile", async () => {
    const state = backend();
    const server = llamaServer(true);
    let failing = true;
    const flaky = (async (url: string | URL | Request, init?: RequestInit) =>
      failing && String(url).endsWith("/completion") ? new Response("busy", { status: 503 }) : server.fetcher(url, init)) as typeof fetch;
    expect(await learned(state, flaky)).toBe("unknown");
    failing = false;
    const meanwhile = slotPicker(state, chain("two"), true, trace(), flaky)!; // asks again itself
    await meanwhile.ready;
    expect(meanwhile.pick()).toBeUndefined();
    expect(slotPinningView(state)).toBe("unpinned");
  });

  test("a backend with one slot, or another kind of server, is not pinned and runs no experiment", () => {
    const single = { ...backend(), probe: { healthy: true, models: ["m"], slots: 1, at: 0 } };
    expect(slotPinningView(single)).toBeUndefined();
    const mlx = { ...backend(), config: { ...config, kind: "mlx-lm" as const } };
    expect(slotPinningView(mlx)).toBeUndefined();
  });
});
