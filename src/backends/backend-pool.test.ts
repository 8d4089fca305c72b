import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../config/resolve-config";
import { BackendPool } from "./backend-pool";

describe("BackendPool", () => {
  test("a down backend is probed again when asked, at most once a second", async () => {
    let clock = 0;
    let probes = 0;
    let up = false;
    const fetcher = (async () => {
      probes++;
      return up ? Response.json({ data: [{ id: "m" }] }) : new Response("Loading model", { status: 503 });
    }) as unknown as typeof fetch;
    const pool = new BackendPool(
      resolveConfig({ backends: [{ name: "llama", kind: "openai", url: "http://127.0.0.1:8080/v1" }] }, {}).backends,
      fetcher,
      () => clock,
    );
    await pool.probeAll();
    const llama = pool.get("llama");
    expect(pool.isHealthy(llama)).toBe(false);
    const afterFirst = probes;
    up = true;
    clock = 500;
    await pool.reprobeDown();
    expect(probes).toBe(afterFirst); // within the second: not asked again
    clock = 1_000;
    await pool.reprobeDown();
    expect(pool.isHealthy(llama)).toBe(true);
    expect(llama.probe).toMatchObject({ model: "m", at: 1_000 });
  });

  test("a backend a call found down is asked again by the next request, even within the second", async () => {
    let clock = 0;
    let probes = 0;
    const fetcher = (async () => (probes++, Response.json({ data: [{ id: "m" }] }))) as unknown as typeof fetch;
    const pool = new BackendPool(
      resolveConfig({ backends: [{ name: "llama", kind: "openai", url: "http://127.0.0.1:8080/v1" }] }, {}).backends,
      fetcher,
      () => clock,
    );
    await pool.probeAll();
    const llama = pool.get("llama");
    clock = 100;
    pool.markDown(llama, "nothing is listening there (connection refused)");
    const afterFirst = probes;
    clock = 150; // restarted meanwhile
    await pool.reprobeDown();
    expect(probes).toBeGreaterThan(afterFirst);
    expect(pool.isHealthy(llama)).toBe(true);
  });
});
