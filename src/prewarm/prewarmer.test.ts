// The prewarmer's decisions against a fake llama-server: when it sends a prefix, with which model,
// and when it leaves the backend alone.
import { sentJson } from "../../test/support/sent-body";
import { afterEach, describe, expect, test } from "bun:test";
import { BackendPool } from "../backends/backend-pool";
import { resolveConfig } from "../config/resolve-config";
import { RequestTrace } from "../metrics/request-trace";
import { PrewarmStore } from "./prewarm-store";
import { Prewarmer } from "./prewarmer";

const config = resolveConfig({ backends: [{ name: "llama", kind: "openai", url: "http://127.0.0.1:8080/v1" }] }, {});
const head = { api: "chat" as const, fields: { messages: [{ role: "system", content: "You are Claude Code." }], tools: [] } };
const prefix = { hash: "head-a", tokens: 20_000, head, seenAt: 0 };

type Fake = { model: string; sent: any[]; prewarmer: Prewarmer; pool: BackendPool };
const running: Prewarmer[] = [];
afterEach(async () => void (await Promise.all(running.splice(0).map((prewarmer) => prewarmer.stop()))));

function fake(options: { enabled?: boolean; quietMs?: number } = {}): Fake {
  const state = { model: "qwen3-coder.gguf", sent: [] as any[] };
  const fetcher = (async (url: string, init?: RequestInit) => {
    if (url.endsWith("/models")) return Response.json({ data: [{ id: state.model }] });
    if (url.endsWith("/chat/completions")) {
      state.sent.push(sentJson(init));
      const usage = { prompt_tokens: 20_010, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 0 } };
      return new Response(
        `data: ${JSON.stringify({ choices: [{ delta: { content: "Hello" }, finish_reason: "length" }] })}\n\ndata: ${JSON.stringify({ choices: [], usage })}\n\ndata: [DONE]\n\n`,
        { headers: { "content-type": "text/event-stream" } },
      );
    }
    return new Response("not found", { status: 404 });
  }) as unknown as typeof fetch;
  const pool = new BackendPool(config.backends, fetcher);
  const store = new PrewarmStore(config.backends);
  const prewarmer = new Prewarmer({
    enabled: options.enabled ?? true,
    pool,
    store,
    fetcher,
    clock: () => 0,
    quietMs: options.quietMs ?? 60_000,
    watchIntervalMs: 60_000,
  });
  running.push(prewarmer);
  prewarmer.start();
  prewarmer.remember(pool.get("llama"), prefix);
  return Object.assign(state, { prewarmer, pool });
}

const settle = () => Bun.sleep(30);
const llama = (f: Fake) => f.pool.get("llama");

describe("Prewarmer", () => {
  test("found up: the prefix goes out once, as a one-token request to the served model, and is then warm by the cache model", async () => {
    const f = fake();
    await f.pool.probe(llama(f));
    await settle();
    expect(f.sent).toHaveLength(1);
    expect(f.sent[0]).toMatchObject({ model: "qwen3-coder.gguf", max_tokens: 1, stream: true, messages: [head.fields.messages[0], { role: "user" }] });
    expect(llama(f).cache.holdsHead("head-a")).toBe(true);
    expect(f.prewarmer.view(llama(f))).toMatchObject({ warm: true, runs: 1, lastPromptTokens: 20_010, lastCachedTokens: 0 });
    await f.pool.probe(llama(f)); // nothing changed: nothing to do
    await settle();
    expect(f.sent).toHaveLength(1);
  });

  test("another model loaded: the cache model is emptied and the prefix warmed again for that model", async () => {
    const f = fake();
    await f.pool.probe(llama(f));
    await settle();
    f.model = "gpt-oss-20b.gguf";
    await f.pool.probe(llama(f));
    expect(llama(f).cache.size).toBe(0);
    await settle();
    expect(f.sent.map((body) => body.model)).toEqual(["qwen3-coder.gguf", "gpt-oss-20b.gguf"]);
    expect(llama(f).cache.holdsHead("head-a")).toBe(true);
  });

  test("never while a request runs there, nor right after it: only once the backend has been left alone", async () => {
    const f = fake({ quietMs: 200 });
    const trace = new RequestTrace({ backend: "llama", route: "tools", estimatedTokens: 100 }, Date.now, () => undefined);
    f.prewarmer.requestStarted(llama(f), trace);
    await f.pool.probe(llama(f));
    await settle();
    expect(f.sent).toHaveLength(0);
    trace.cancel();
    await f.pool.probe(llama(f));
    await settle();
    expect(f.sent).toHaveLength(0); // Claude Code's next request in a tool loop may be a moment away
    await Bun.sleep(200);
    await f.pool.probe(llama(f));
    await settle();
    expect(f.sent).toHaveLength(1);
  });

  test("a prefix the cache model lost is warmed again only after the quiet period, and not twice in a row", async () => {
    const f = fake();
    await f.pool.probe(llama(f));
    await settle();
    f.pool.forgetCache(llama(f)); // pushed out, by the model
    await f.pool.probe(llama(f));
    await settle();
    expect(f.sent).toHaveLength(1); // warmed minutes ago at most: not again
  });

  test('"prewarm": false: nothing remembered, nothing sent', async () => {
    const f = fake({ enabled: false });
    await f.pool.probe(llama(f));
    await settle();
    expect(f.sent).toHaveLength(0);
    expect(f.prewarmer.view(llama(f))).toMatchObject({ enabled: false, prefixes: 0, warm: false });
  });

  // Issue 18: with "prewarm": false every request's trace was kept in the backend's in-flight set,
  // and with it on, until the next probe: 2,000 requests, 2,000 traces.
  for (const enabled of [false, true])
    test(`"prewarm": ${enabled}: the traces of ended requests are not kept`, () => {
      const f = fake({ enabled });
      const refs: WeakRef<RequestTrace>[] = [];
      (function requests() {
        for (let index = 0; index < 2_000; index++) {
          const trace = new RequestTrace({ backend: "llama", route: "tools", estimatedTokens: 100 }, Date.now, () => undefined);
          f.prewarmer.requestStarted(llama(f), trace);
          trace.cancel();
          refs.push(new WeakRef(trace));
        }
      })();
      Bun.gc(true);
      // The garbage collector scans the stack conservatively: a stray trace or two may survive it.
      expect(refs.filter((ref) => ref.deref() !== undefined).length).toBeLessThan(10);
    });
});
