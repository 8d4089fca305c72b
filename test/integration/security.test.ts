// Who may talk to the daemon, and what it lets out (issue 12, point 4): the authToken on every
// endpoint but the health probe, browsers refused, credentials in backend URLs never shown,
// request bodies never logged.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigFile } from "../../src/config/config-schema";
import { loadConfig } from "../../src/config/load-config";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";
import { freePort } from "../support/compiled-binary";
import { waitForHealth } from "../support/wait-for-health";

// In process (app.handle), never bound; still its own port, never the default 8082.
const PORT = await freePort();
const ask = { model: "claude-opus-5-5", max_tokens: 64, messages: [{ role: "user", content: "What is 2+2?" }] };
const completion = () =>
  Response.json({ choices: [{ message: { role: "assistant", content: "4" }, finish_reason: "stop" }], usage: { prompt_tokens: 5, completion_tokens: 1 } });

function appWith(file: ConfigFile = {}) {
  const calls: string[] = [];
  const fetcher = (async (input: string | URL | Request) => {
    const url = String(input);
    if (url.endsWith("/health")) return Response.json({ status: "ok" });
    if (url.endsWith("/api/v0/models")) return Response.json({ data: [{ id: "qwen3", type: "llm", state: "loaded" }] });
    if (url.endsWith("/models")) return Response.json({ data: [{ id: "qwen3" }] });
    calls.push(url);
    return completion();
  }) as typeof fetch;
  const { app } = createApp({ config: resolveConfig({ port: PORT, ...file }, {}), fetch: fetcher, version: "test" });
  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    app.handle(new Request(`http://127.0.0.1:${PORT}${path}`, { method, headers, body }));
  return { send, calls };
}

const json = { "content-type": "application/json" };
const body = JSON.stringify(ask);

describe("the authToken", () => {
  const endpoints: [string, string, string?][] = [
    ["GET", "/"],
    ["GET", "/anyclaude/status"],
    ["GET", "/anyclaude/sessions/abc"],
    ["GET", "/v1/models"],
    ["POST", "/v1/messages", body],
    ["POST", "/v1/messages/count_tokens", body],
    ["POST", "/anyclaude/route", body],
  ];

  test("is required on every endpoint but the health probe (and HEAD /, which tells nothing more)", async () => {
    const { send, calls } = appWith({ authToken: "s3cret" });
    for (const [method, path, payload] of endpoints) {
      const refused = await send(method, path, json, payload);
      expect([method, path, refused.status]).toEqual([method, path, 401]);
      expect(await refused.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
      const wrong = await send(method, path, { ...json, "x-api-key": "s3cres" }, payload);
      expect([method, path, wrong.status]).toEqual([method, path, 401]);
      const longer = await send(method, path, { ...json, authorization: "Bearer s3cret-and-more" }, payload);
      expect([method, path, longer.status]).toEqual([method, path, 401]);
      const allowed = await send(method, path, { ...json, "x-api-key": "s3cret" }, payload);
      expect([method, path, allowed.status === 401]).toEqual([method, path, false]);
    }
    expect((await send("GET", "/anyclaude/health")).status).toBe(200);
    expect((await send("HEAD", "/")).status).toBe(200);
    expect(calls).toHaveLength(1); // only the authorized /v1/messages reached a backend
  });

  test("as a Bearer token too", async () => {
    const { send } = appWith({ authToken: "s3cret" });
    expect((await send("GET", "/anyclaude/status", { authorization: "Bearer s3cret" })).status).toBe(200);
  });

  // Claude Code sends ANTHROPIC_API_KEY as x-api-key beside ANTHROPIC_AUTH_TOKEN as Bearer.
  test("from either header when the other holds something else", async () => {
    const { send } = appWith({ authToken: "s3cret" });
    expect((await send("GET", "/anyclaude/status", { "x-api-key": "sk-ant-users-own", authorization: "Bearer s3cret" })).status).toBe(200);
    expect((await send("GET", "/anyclaude/status", { "x-api-key": "s3cret", authorization: "Bearer sk-ant-users-own" })).status).toBe(200);
    expect((await send("GET", "/anyclaude/status", { "x-api-key": "sk-ant-users-own", authorization: "Bearer other" })).status).toBe(401);
  });
});

describe("browsers", () => {
  test("a request with an Origin is refused with an Anthropic-shaped 403, before any backend", async () => {
    const { send, calls } = appWith();
    // The simple request a web page can make without a CORS preflight.
    const post = await send("POST", "/v1/messages", { "content-type": "text/plain", origin: "http://evil.example" }, body);
    expect(post.status).toBe(403);
    expect(await post.json()).toEqual({
      type: "error",
      error: { type: "permission_error", message: "requests from web browsers are refused (the request has an Origin header)" },
    });
    expect((await send("GET", "/anyclaude/status", { origin: "null" })).status).toBe(403);
    expect(calls).toHaveLength(0);
  });

  test("a request a browser marks as from another site is refused, naming the header", async () => {
    const { send, calls } = appWith();
    // What a browser sends for an <img> or a no-cors fetch, which carry no Origin.
    for (const site of ["cross-site", "same-site"]) {
      const refused = await send("POST", "/v1/messages", { "content-type": "text/plain", "sec-fetch-site": site, "sec-fetch-mode": "no-cors" }, body);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as any).error).toEqual({
        type: "permission_error",
        message: `requests from web browsers are refused (the request has Sec-Fetch-Site: ${site})`,
      });
    }
    expect(calls).toHaveLength(0);
  });

  test("Sec-Fetch-Mode alone is no browser: Node's fetch sends it on every request", async () => {
    const { send, calls } = appWith();
    expect((await send("POST", "/v1/messages", { ...json, "sec-fetch-mode": "cors" }, body)).status).toBe(200);
    expect((await send("GET", "/anyclaude/status", { "sec-fetch-mode": "cors", "sec-fetch-site": "none" })).status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  test("a Host that is not the daemon's own address is refused (DNS rebinding); loopback forms pass", async () => {
    const { send, calls } = appWith();
    const rebound = await send("POST", "/v1/messages", { ...json, host: `evil.example:${PORT}` }, body);
    expect(rebound.status).toBe(403);
    expect(((await rebound.json()) as any).error).toMatchObject({ type: "permission_error", message: expect.stringContaining("evil.example") });
    for (const host of [`127.0.0.1:${PORT}`, `localhost:${PORT}`, "localhost", `[::1]:${PORT}`, `127.0.0.2:${PORT}`]) {
      expect([host, (await send("GET", "/anyclaude/status", { host })).status]).toEqual([host, 200]);
    }
    expect(calls).toHaveLength(0);
  });

  test("listening on every interface with a token: other names pass on to the token check", async () => {
    const token = "s3cret-4b7e1d9a2c6f8e0b3d5a7c9e1f2b4d6";
    const { send } = appWith({ host: "0.0.0.0", authToken: token });
    expect((await send("GET", "/anyclaude/status", { host: `host.docker.internal:${PORT}`, "x-api-key": token })).status).toBe(200);
    expect((await send("GET", "/anyclaude/status", { host: `host.docker.internal:${PORT}` })).status).toBe(401);
    expect((await send("GET", "/anyclaude/status", { host: `192.168.1.20:${PORT}`, origin: `http://192.168.1.20:${PORT}`, "x-api-key": token })).status).toBe(
      403,
    );
  });
});

// Loopback is "localhost", 127.0.0.0/8 as four decimal octets, [::1] and ::ffff:127.x.y.z; a name
// that only starts like one is anybody's (127.0.0.1.nip.io resolves to whatever it names).
describe("a strict loopback test", () => {
  const refused = [
    "127.evil.example",
    "127.0.0.1.nip.io",
    "127.0.0.1.evil.example:80",
    "127.1",
    "127.0.0.256",
    "127.0.0.01",
    "0127.0.0.1",
    "127.0.0.1.",
    "localhost.evil.example",
    "evil-localhost",
    "[::2]",
    "[::ffff:10.0.0.1]",
    "[::ffff:127.evil.example]",
    "128.0.0.1",
  ];
  const accepted = [
    "localhost",
    `localhost:${PORT}`,
    "LOCALHOST",
    "127.0.0.1",
    `127.0.0.1:${PORT}`,
    "127.255.255.254",
    "127.0.0.0",
    `[::1]:${PORT}`,
    "[::1]",
    `[::ffff:127.0.0.1]:${PORT}`,
  ];

  test("Hosts that only look like loopback are refused (403); loopback forms pass", async () => {
    const { send } = appWith();
    for (const host of refused) expect([host, (await send("GET", "/anyclaude/status", { host })).status]).toEqual([host, 403]);
    for (const host of refused) expect([host, (await send("GET", "/v1/models", { host })).status]).toEqual([host, 403]);
    for (const host of accepted) expect([host, (await send("GET", "/anyclaude/status", { host })).status]).toEqual([host, 200]);
  });

  test("listening on a host that only looks like loopback requires a token", () => {
    for (const host of ["127.attacker.example", "127.0.0.1.nip.io", "127.0.0.300", "::ffff:10.0.0.1"]) {
      expect(() => resolveConfig({ host }, {})).toThrow(/not loopback\) requires "authToken"/);
    }
    for (const host of ["127.0.0.1", "127.0.0.2", "localhost", "::1", "::ffff:127.0.0.1"]) expect(resolveConfig({ host }, {}).host).toBe(host);
  });
});

describe("tokens off loopback", () => {
  test("must be at least 32 characters of two kinds or more, named by their key, with how to make one; on loopback any will do", () => {
    const weak = ["x", "s3cret", "a".repeat(40), "0123456789".repeat(4), "abcdefghij".repeat(4), "f".repeat(31) + "1", "Ab".repeat(16)];
    for (const token of weak) {
      expect(() => resolveConfig({ host: "0.0.0.0", authToken: token }, {})).toThrow(
        /a token needs at least 32 characters, of at least two kinds \(lowercase, uppercase, digits, others\) and 10 different ones; this one has \d+, .*openssl rand -hex 32/,
      );
      expect(() => resolveConfig({ host: "192.168.1.20", authTokens: { alice: token } }, {})).toThrow(/32 characters/);
      expect(() => resolveConfig({ authToken: token }, { ANYCLAUDE_HOST: "0.0.0.0" })).toThrow(/32 characters/);
      expect(resolveConfig({ host: "127.0.0.1", authToken: token }, {}).authToken).toBe(token);
    }
    for (const token of [
      "5f3a9c2e7b1d4086a2c4e6f89b0d1e2f5f3a9c2e7b1d4086a2c4e6f89b0d1e2f",
      "correct horse battery staple again",
      "Tr0ub4dor&3-Tr0ub4dor&3-Tr0ub4dor&3",
    ]) {
      expect(resolveConfig({ host: "0.0.0.0", authToken: token }, {}).authToken).toBe(token);
    }
  });

  test("config check names the key of the weak one", () => {
    const dir = mkdtempSync(join(tmpdir(), "anyclaude-tokens-"));
    writeFileSync(
      join(dir, "config.json"),
      '{\n  "host": "0.0.0.0",\n  "authTokens": {\n    "alice": "5f3a9c2e7b1d4086a2c4e6f89b0d1e2f",\n    "bob": "b"\n  }\n}',
    );
    expect(() => loadConfig({ path: join(dir, "config.json"), env: {} })).toThrow(
      /config\.json:5:5: authTokens\.bob: listening on 0\.0\.0\.0 \(not loopback\), a token needs at least 32 characters/,
    );
  });
});

describe("credentials in backend URLs", () => {
  test("a query in a backend's url (a proxy's ?api_key=) stays at the end of every URL called", async () => {
    const called: string[] = [];
    const fetcher = (async (input: string | URL | Request) => {
      const url = new URL(String(input));
      called.push(String(input));
      if (url.searchParams.get("api_key") !== "K") return Response.json({ error: "no key" }, { status: 401 });
      if (url.pathname === "/v1/models") return Response.json({ data: [{ id: "qwen3" }] });
      if (url.pathname === "/v1/chat/completions") return completion();
      return Response.json({ error: "not found" }, { status: 404 });
    }) as typeof fetch;
    const { app } = createApp({
      config: resolveConfig({ port: PORT, backends: [{ name: "proxy", kind: "openai", url: "http://127.0.0.1:9/v1?api_key=K" }] }, {}),
      fetch: fetcher,
      version: "test",
    });
    const response = await app.handle(new Request(`http://127.0.0.1:${PORT}/v1/messages`, { method: "POST", headers: json, body }));
    expect(response.status).toBe(200);
    expect(called).toContain("http://127.0.0.1:9/v1/chat/completions?api_key=K");
    expect(called.filter((url) => !url.endsWith("?api_key=K"))).toEqual([]);
  });

  test("never appear in status, errors or the log; request bodies never in the log", async () => {
    const home = mkdtempSync(join(tmpdir(), "anyclaude-security-"));
    const port = await freePort();
    const downPort = await freePort();
    const configFile = join(home, "config.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        port,
        backends: [{ name: "llama", kind: "openai", url: `http://alice:hunter2@127.0.0.1:${downPort}/v1?api_key=sk-live-123`, apiKey: "sk-other-456" }],
      }),
    );
    const daemon = Bun.spawn([process.execPath, join(import.meta.dir, "../../src/cli/main.ts"), "serve", "--config", configFile], {
      env: { PATH: process.env.PATH ?? "", HOME: home, XDG_STATE_HOME: join(home, "state") },
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitForHealth(url);
      const status = await (await fetch(`${url}/anyclaude/status?refresh=1`)).text();
      expect(status).toContain(`http://alice:****@127.0.0.1:${downPort}/v1?api_key=****`);
      const marker = "the-secret-plan-of-the-user";
      const failed = await fetch(`${url}/v1/messages`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ ...ask, messages: [{ role: "user", content: marker }] }),
      });
      const error = await failed.text();
      expect(failed.status).toBe(503);
      expect(error).toContain("alice:****@");
      for (const text of [status, error]) for (const secret of ["hunter2", "sk-live-123", "sk-other-456"]) expect(text).not.toContain(secret);
    } finally {
      daemon.kill();
    }
    const log = await new Response(daemon.stderr).text();
    expect(log).toContain("alice:****@");
    for (const secret of ["hunter2", "sk-live-123", "sk-other-456", "the-secret-plan-of-the-user"]) expect(log).not.toContain(secret);
  });
});
