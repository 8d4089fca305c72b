// One daemon for a team (issue 20, part 4): a token per person, each request known by whose token
// it carries; the system prompt and tools are shared, a conversation's state never is: the session
// table, the replay memory, the session lookup and the prefix-derived session id are per person.
import { sentJson } from "../support/sent-body";
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load-config";
import type { ConfigFile } from "../../src/config/config-schema";
import { maskSecrets } from "../../src/config/mask-secrets";
import type { MessagesRequest } from "../../src/protocol/anthropic";
import { resolveConfig } from "../../src/config/resolve-config";
import { logger } from "../../src/logger";
import { normalizeRequest } from "../../src/routing/normalize-request";
import { createApp } from "../../src/server/create-app";

const TEAM = {
  host: "0.0.0.0",
  authTokens: { alice: "alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", bob: "bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7" },
} satisfies ConfigFile;
const ask = { model: "claude-opus-5-5", max_tokens: 64, messages: [{ role: "user", content: "What is 2+2?" }] };
const TOOLS = [{ name: "Write", input_schema: { type: "object", properties: { file_path: { type: "string" } } } }];

// A backend that answers every chat request with one tool call whose arguments are spaced as a
// model writes them (what the replay memory keeps), and records each body it is sent.
function teamApp(file: ConfigFile = TEAM) {
  const bodies: any[] = [];
  const fetcher = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    if (url.endsWith("/health")) return Response.json({ status: "ok" });
    if (url.endsWith("/api/v0/models")) return Response.json({ data: [{ id: "qwen3", type: "llm", state: "loaded" }] });
    if (url.endsWith("/models")) return Response.json({ data: [{ id: "qwen3" }] });
    const sent = sentJson(init);
    bodies.push(sent);
    if (JSON.stringify(sent.messages.at(-1)).includes("FAIL")) return Response.json({ error: { message: "backend exploded" } }, { status: 500 });
    const call = { id: "call_1", type: "function", function: { name: "Write", arguments: '{"file_path":  "/tmp/x"}' } };
    return Response.json({
      choices: [{ message: { role: "assistant", content: null, tool_calls: [call] }, finish_reason: "tool_calls" }],
      usage: { prompt_tokens: 5, completion_tokens: 1 },
    });
  }) as typeof fetch;
  const { app, daemon } = createApp({ config: resolveConfig({ port: 18_099, ...file }, {}), fetch: fetcher, version: "test" });
  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
    app.handle(
      new Request(`http://127.0.0.1:18099${path}`, {
        method,
        headers: { "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  return { send, bodies, daemon };
}

const as = (token: string, session?: string) => ({ "x-api-key": token, ...(session ? { "x-claude-code-session-id": session } : {}) });

describe("authTokens in the config", () => {
  const withFile = (text: string) => () => {
    const dir = mkdtempSync(join(tmpdir(), "anyclaude-team-"));
    writeFileSync(join(dir, "config.json"), text);
    return loadConfig({ path: join(dir, "config.json"), env: {} });
  };

  test("a map of names or a list of {name, token}; authToken is the person 'default'", () => {
    expect(withFile('{ "authTokens": { "alice": "a1", "bob": "b2" } }')().config.persons).toEqual([
      { name: "alice", token: "a1" },
      { name: "bob", token: "b2" },
    ]);
    const listed = withFile('{ "authToken": "d0", "authTokens": [{ "name": "alice", "token": "a1" }] }')().config;
    expect(listed.persons).toEqual([
      { name: "default", token: "d0" },
      { name: "alice", token: "a1" },
    ]);
    expect(listed.authToken).toBe("d0"); // what the CLI's own commands send
    expect(withFile('{ "authTokens": { "alice": "a1" } }')().config.authToken).toBe("a1");
  });

  test("bad names, empty or repeated tokens, taken names: errors with the line and the key", () => {
    expect(withFile('{\n  "host": "0.0.0.0",\n  "authTokens": {\n    "al ice": "a1"\n  }\n}')).toThrow(/config\.json:4:5: authTokens\.al ice: use letters/);
    expect(withFile('{\n  "authTokens": {\n    "alice": ""\n  }\n}')).toThrow(/config\.json:3:5: authTokens\.alice: must not be empty/);
    expect(withFile('{\n  "authTokens": [\n    { "name": "alice", "token": "a1", "role": "x" }\n  ]\n}')).toThrow(
      /config\.json:3:39: authTokens\[0\]\.role: unknown key/,
    );
    expect(withFile('{\n  "authTokens": {\n    "alice": "same",\n    "bob": "same"\n  }\n}')).toThrow(
      /config\.json:4:5: authTokens\.bob: the same token as authTokens\.alice/,
    );
    expect(withFile('{\n  "authToken": "d0",\n  "authTokens": { "default": "d1" }\n}')).toThrow(
      /config\.json:3:19: authTokens\.default: the name "default" is taken twice/,
    );
    expect(withFile('{ "authTokens": "a1" }')).toThrow(/authTokens: use \{"name": "token"/);
    expect(withFile('{ "host": "0.0.0.0", "authTokens": {} }')).toThrow(/requires "authToken" or "authTokens"/);
  });

  test("config show masks every token, in either shape", () => {
    for (const text of ['{ "authTokens": { "alice": "a1-secret" } }', '{ "authTokens": [{ "name": "alice", "token": "a1-secret" }] }']) {
      const { config } = withFile(text)();
      const masked = JSON.stringify(maskSecrets({ ...config, file: JSON.parse(text) }));
      expect(masked).not.toContain("a1-secret");
      expect(masked).toContain("alice");
    }
  });
});

describe("the gate knows whose token it is", () => {
  test("each person's token, as x-api-key or Bearer, beside anything in the other header; no token, no entry", async () => {
    const { send, daemon } = teamApp();
    expect((await send("POST", "/v1/messages", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", "s-a"), ask)).status).toBe(200);
    expect(
      (
        await send(
          "POST",
          "/v1/messages",
          { authorization: "Bearer bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7", "x-api-key": "sk-ant-own", "x-claude-code-session-id": "s-b" },
          ask,
        )
      ).status,
    ).toBe(200);
    expect((await send("POST", "/v1/messages", as("carol-t0ken"), ask)).status).toBe(401);
    expect(daemon.activity.recent.map((record) => [record.person, record.sessionId])).toEqual([
      ["alice", "s-a"],
      ["bob", "s-b"],
    ]);
  });

  test("the single authToken still works, as the person 'default'", async () => {
    const { send, daemon } = teamApp({ host: "0.0.0.0", authToken: "s3cret-4b7e1d9a2c6f8e0b3d5a7c9e1f2b4d6" });
    expect((await send("POST", "/v1/messages", as("s3cret-4b7e1d9a2c6f8e0b3d5a7c9e1f2b4d6"), ask)).status).toBe(200);
    expect(daemon.activity.recent[0]!.person).toBe("default");
  });

  test("the log line and status name the person of each reply and session", async () => {
    const { send } = teamApp();
    const lines: string[] = [];
    const info = logger.info;
    logger.info = ((line: string) => void lines.push(line)) as typeof logger.info;
    try {
      await send("POST", "/v1/messages", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", "s-a"), ask);
      await send("POST", "/v1/messages", as("bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7", "s-b"), ask);
    } finally {
      logger.info = info;
    }
    expect(lines.filter((line) => line.includes("prompt tokens"))).toEqual([
      expect.stringMatching(/^mlx-lm \[no-tools\] for alice 5 prompt tokens/),
      expect.stringMatching(/^mlx-lm \[no-tools\] for bob 5 prompt tokens/),
    ]);
    const status: any = await (await send("GET", "/anyclaude/status", as("bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7"))).json();
    expect(status.persons).toEqual({ bob: { sessions: 1, backends: { "mlx-lm": 1 } } });
    expect(status.latestSessions.map((entry: any) => [entry.person, entry.sessionId, entry.backend])).toEqual([["bob", "s-b", "mlx-lm"]]);
    expect(status.recent.map((record: any) => record.person)).toEqual(["bob"]);
  });
});

describe("one person cannot see or probe another's", () => {
  const SYSTEM = "You are a coding assistant. ".repeat(40);
  const first = (text: string) => ({ ...ask, system: SYSTEM, messages: [{ role: "user", content: text }] });
  const secret = "Please refactor the payroll module in /home/alice/acme-payroll and keep the bonus table private";

  test("status: each person's own sessions, replies and last error; every backend's health and the counts", async () => {
    const { send } = teamApp();
    await send("POST", "/v1/messages", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", "alice-session"), first(secret));
    await send("POST", "/v1/messages", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", "alice-session"), first("FAIL please"));
    await send("POST", "/v1/messages", as("bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7", "bob-session"), ask);
    const bob: any = await (await send("GET", "/anyclaude/status", as("bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7"))).json();
    const text = JSON.stringify(bob);
    expect(text).not.toContain("alice");
    expect(text).not.toContain("backend exploded");
    expect(bob.recent.map((record: any) => record.sessionId)).toEqual(["bob-session"]);
    expect(bob.sessions).toBe(2); // the aggregate count
    const mlx = bob.backends.find((backend: any) => backend.name === "mlx-lm");
    expect([mlx.healthy, mlx.errors, mlx.lastError, mlx.conversations]).toEqual([true, 1, null, { count: 2, latest: ["bob/bob-session"] }]);
    const alice: any = await (await send("GET", "/anyclaude/status", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8"))).json();
    expect(alice.recent.map((record: any) => [record.sessionId, record.state])).toEqual([
      ["alice-session", "done"],
      ["alice-session", "failed"],
    ]);
    expect(alice.backends.find((backend: any) => backend.name === "mlx-lm").lastError.message).toContain("backend exploded");
    expect(Object.keys(alice.persons)).toEqual(["alice"]);
  });

  test("route: another person's first message is no warmer than any guess (the shared head is), and each probe is logged with its person", async () => {
    const { send } = teamApp();
    await send("POST", "/v1/messages", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", "alice-session"), first(secret));
    const warmth = async (token: string, body: unknown) => {
      const decision: any = await (await send("POST", "/anyclaude/route", as(token), body)).json();
      return decision.backends.find((backend: any) => backend.name === "mlx-lm").warmTokens as number;
    };
    const lines: string[] = [];
    const info = logger.info;
    logger.info = ((line: string) => void lines.push(line)) as typeof logger.info;
    try {
      const right = await warmth("bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7", first(secret));
      const wrong = await warmth("bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7", first("Please refactor the billing module"));
      expect(right).toBe(wrong);
      expect(right).toBeGreaterThan(0); // the head is warm for everyone
      expect(await warmth("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", first(secret))).toBeGreaterThan(right); // her own message is hers to see
    } finally {
      logger.info = info;
    }
    expect(lines.filter((line) => line.startsWith("route asked"))).toEqual([
      expect.stringMatching(/^route asked by bob: mlx-lm/),
      expect.stringMatching(/^route asked by bob: mlx-lm/),
      expect.stringMatching(/^route asked by alice: mlx-lm/),
    ]);
  });
});

describe("a conversation is its person's", () => {
  test("GET /anyclaude/sessions/:id answers only the person who owns it (or the same token)", async () => {
    const { send } = teamApp();
    await send("POST", "/v1/messages", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", "shared-id"), ask);
    expect((await send("GET", "/anyclaude/sessions/shared-id", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8"))).status).toBe(200);
    expect(await (await send("GET", "/anyclaude/sessions/shared-id", { authorization: "Bearer alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8" })).json()).toMatchObject({
      person: "alice",
      sessionId: "shared-id",
    });
    const bob = await send("GET", "/anyclaude/sessions/shared-id", as("bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7"));
    expect(bob.status).toBe(404);
    expect(await bob.json()).toEqual({ type: "error", error: { type: "not_found_error", message: "no request seen for session shared-id" } });
  });

  test("the same session id from two persons is two sessions in the session table", async () => {
    const { send, daemon } = teamApp();
    await send("POST", "/v1/messages", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", "shared-id"), ask);
    await send("POST", "/v1/messages", as("bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7", "shared-id"), ask);
    expect(daemon.sessions.size).toBe(2);
    expect(daemon.sessions.get("alice/shared-id")).toBe("mlx-lm");
    expect(daemon.sessions.get("bob/shared-id")).toBe("mlx-lm");
  });

  test("one person's generated bytes are never replayed into another's conversation, even under the same session id", async () => {
    const { send, bodies } = teamApp();
    const first = { ...ask, tools: TOOLS };
    await send("POST", "/v1/messages", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", "shared-id"), first);
    // The conversation as Claude Code replays it: the tool call's input parsed (spacing lost).
    const replayed = {
      ...first,
      messages: [
        ...first.messages,
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_x", name: "Write", input: { file_path: "/tmp/x" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "done" }] },
      ],
    };
    // The id the daemon gave alice's call, which bob's client could also send.
    const aliceCall = await (await send("POST", "/v1/messages", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", "shared-id"), first)).json();
    const id = (aliceCall as any).content[0].id as string;
    const withId = JSON.parse(JSON.stringify(replayed).replaceAll("toolu_x", id));
    await send("POST", "/v1/messages", as("bob-t0ken-9e8d7c6b5a4f3e2d1c0b9a8f7", "shared-id"), withId);
    await send("POST", "/v1/messages", as("alice-t0ken-5f3a9c2e7b1d4086a2c4e6f8", "shared-id"), withId);
    const argumentsSent = (body: any) => body.messages.find((message: any) => message.tool_calls)?.tool_calls[0].function.arguments;
    expect(argumentsSent(bodies.at(-2))).toBe('{"file_path":"/tmp/x"}'); // bob: his client's input, serialized
    expect(argumentsSent(bodies.at(-1))).toBe('{"file_path":  "/tmp/x"}'); // alice: the bytes her model wrote
  });

  test("the session id derived from the prompt's start includes the person", () => {
    const headers = new Headers();
    const request = ask as MessagesRequest;
    const alice = normalizeRequest(request, headers, "alice");
    const bob = normalizeRequest(request, headers, "bob");
    expect(alice.clientSessionId).toBe(bob.clientSessionId!);
    expect(alice.sessionId).not.toBe(bob.sessionId!);
    expect(alice.sessionId).toStartWith("alice/prefix:");
    expect(normalizeRequest(request, headers).sessionId).toBe(alice.clientSessionId!); // no tokens: as before
    // What they share: the head (system prompt and tools) hashes the same, so a backend's cache
    // holding one person's head serves the other's.
    expect(alice.chain.headWithTools).toEqual(bob.chain.headWithTools);
  });
});
