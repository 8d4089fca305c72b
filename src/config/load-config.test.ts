import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONFIG_TEMPLATE } from "./config-template";
import { loadConfig } from "./load-config";
import { maskSecrets } from "./mask-secrets";

function withFile(text: string, env: Record<string, string> = {}) {
  const path = join(mkdtempSync(join(tmpdir(), "anyclaude-config-")), "config.json");
  writeFileSync(path, text);
  return () => loadConfig({ path, env });
}

describe("loadConfig", () => {
  test("a missing file means the contract's defaults", () => {
    const { config, exists } = loadConfig({ path: "/nonexistent/anyclaude.json", env: {} });
    expect(exists).toBe(false);
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8082,
      routing: { mode: "auto", toolsBackend: "lmstudio", defaultBackend: "mlx-lm", affinity: true, toolsWhen: "defined" },
    });
    expect(config.backends.map((backend) => [backend.name, backend.url, backend.tools, backend.cacheSlots])).toEqual([
      ["lmstudio", "http://127.0.0.1:1234/v1", true, 4],
      ["mlx-lm", "http://127.0.0.1:8081/v1", "auto", 10],
    ]);
    expect(config.maxBodyBytes).toBe(32 * 1024 * 1024);
  });

  test("an unknown key is an error naming the key and its line", () => {
    const load = withFile('{\n  "port": 9000,\n  "routing": {\n    "mdoe": "auto"\n  }\n}\n');
    expect(load).toThrow(/config\.json:4:5: routing\.mdoe: unknown key/);
  });

  test("a bad value names the key and the line of the key", () => {
    expect(withFile('{\n  "backends": [\n    { "name": "x", "kind": "ollama", "url": "http://127.0.0.1:11434/v1" }\n  ]\n}')).toThrow(
      /config\.json:3:20: backends\[0\]\.kind: Invalid type: Expected \("mlx-lm" \| "lmstudio" \| "openai" \| "anthropic"\)/,
    );
    expect(withFile('{ "port": "8082" }')).toThrow(/config\.json:1:3: port: Invalid type: Expected number/);
  });

  test("a syntax error names its line and column; comments are allowed", () => {
    expect(withFile('// my config\n{\n  "port": 9000,\n  "host": 127.0.0.1\n}')).toThrow(/config\.json:4:16: expected "," or "}", found "\."/);
    expect(withFile('/* comment */ { "port": 9000 // trailing\n }')().config.port).toBe(9000);
  });

  test("references between keys are checked, with the line", () => {
    expect(withFile('{\n  "routing": { "mode": "ollama" }\n}')).toThrow(/config\.json:2:16: routing\.mode: "ollama" is neither "auto" nor a backend name/);
    expect(withFile('{ "host": "0.0.0.0" }')).toThrow(/authToken/);
  });

  test("environment overrides win over the file", () => {
    const { config } = withFile('{ "port": 9000 }', { ANYCLAUDE_PORT: "9100", ANYCLAUDE_MODE: "lmstudio", MLX_LM_URL: "http://127.0.0.1:9999/v1" })();
    expect(config.port).toBe(9100);
    expect(config.routing.mode).toBe("lmstudio");
    expect(config.backends.find((backend) => backend.name === "mlx-lm")!.url).toBe("http://127.0.0.1:9999/v1");
    expect(withFile("{}", { ANYCLAUDE_PORT: "eighty" })).toThrow("ANYCLAUDE_PORT");
  });
});

describe("loadConfig, edge cases", () => {
  test("the commented template of `config init` loads back to exactly the defaults", () => {
    const defaults = loadConfig({ path: "/nonexistent/anyclaude.json", env: {} }).config;
    expect(withFile(CONFIG_TEMPLATE)().config).toEqual(defaults);
  });

  test("flags beat the environment, which beats the file", () => {
    const load = (overrides: { host?: string; port?: number }) =>
      loadConfig({ path: "/nonexistent/anyclaude.json", env: { ANYCLAUDE_PORT: "9100", ANYCLAUDE_HOST: "127.0.0.2" }, overrides }).config;
    expect(load({})).toMatchObject({ host: "127.0.0.2", port: 9100 });
    expect(load({ port: 9200, host: "127.0.0.3" })).toMatchObject({ host: "127.0.0.3", port: 9200 });
  });

  test("a bad mode from ANYCLAUDE_MODE names the variable, not the file's line", () => {
    expect(withFile('{\n  "routing": { "mode": "auto" }\n}', { ANYCLAUDE_MODE: "ollama" })).toThrow(/^ANYCLAUDE_MODE: "ollama" is neither/);
  });

  test("a file error not tied to a line still names the file and the key", () => {
    expect(withFile('{ "host": "0.0.0.0" }')).toThrow(/config\.json: authToken: listening on 0\.0\.0\.0/);
  });

  test("duplicate keys, bad escapes and a non-object root are located", () => {
    expect(withFile('{\n  "port": 1,\n  "port": 2\n}')).toThrow(/config\.json:3:3: "port" appears twice/);
    expect(withFile('{ "host": "a\\x" }')).toThrow(/config\.json:1:11: invalid string/);
    expect(withFile("[1]")).toThrow(/config\.json:1:1: the config must be a JSON object/);
    expect(withFile('{ "__proto__": {} }')).toThrow(/__proto__: unknown key/);
  });

  test("secrets are masked for `config show`", () => {
    const { config } = withFile(
      '{ "authToken": "t0ken-3f9a1c7e5b2d8046a1c3e5f7b9d0e2f4", "host": "0.0.0.0", "backends": [{ "name": "x", "kind": "openai", "url": "http://127.0.0.1:1/v1", "apiKey": "sk-1" }] }',
    )();
    const masked = maskSecrets(config);
    expect(masked.authToken).toBe("********");
    expect(masked.backends[0]!.apiKey).toBe("********");
    expect(JSON.stringify(masked)).not.toMatch(/t0ken|sk-1/);
  });

  test('"replicas": one backend per URL, <name>#1, #2, ..., in the pool <name>; routing names the pool', () => {
    const { config } = withFile(
      '{ "backends": [{ "name": "qwen", "kind": "openai", "replicas": ["http://127.0.0.1:8080/v1", "http://127.0.0.1:8081/v1"], "cacheSlots": 8 }] }',
    )();
    expect(config.backends.map((backend) => [backend.name, backend.url, backend.replicaOf, backend.cacheSlots])).toEqual([
      ["qwen#1", "http://127.0.0.1:8080/v1", "qwen", 8],
      ["qwen#2", "http://127.0.0.1:8081/v1", "qwen", 8],
    ]);
    expect(config.routing).toMatchObject({ toolsBackend: "qwen", defaultBackend: "qwen" });
  });

  test('"replicas" errors name the key and its line', () => {
    expect(withFile('{\n  "backends": [\n    { "name": "q", "kind": "openai",\n      "replicas": ["http://127.0.0.1:1/v1", "nope"] }\n  ]\n}')).toThrow(
      /config\.json:4:\d+: backends\[0\]\.replicas\[1\]: must be a URL/,
    );
    expect(
      withFile(
        '{\n  "backends": [\n    { "name": "q", "kind": "openai", "url": "http://127.0.0.1:1/v1",\n      "replicas": ["http://127.0.0.1:2/v1"] }\n  ]\n}',
      ),
    ).toThrow(/config\.json:4:7: backends\[0\]\.replicas: give either "url"/);
    expect(withFile('{\n  "backends": [\n    { "name": "q", "kind": "openai" }\n  ]\n}')).toThrow(/config\.json:3:5: backends\[0\]: needs "url"/);
    expect(withFile('{ "backends": [{ "name": "q", "kind": "openai", "replicas": [] }] }')).toThrow(/replicas: list at least one URL/);
  });
});
