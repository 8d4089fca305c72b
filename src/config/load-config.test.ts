import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "./load-config";

function withFile(text: string, env: Record<string, string> = {}) {
  const path = join(mkdtempSync(join(tmpdir(), "anyclaude-config-")), "config.json");
  writeFileSync(path, text);
  return () => loadConfig({ path, env });
}

describe("loadConfig", () => {
  test("a missing file means the contract's defaults", () => {
    const { config, exists } = loadConfig({ path: "/nonexistent/anyclaude.json", env: {} });
    expect(exists).toBe(false);
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8082, routing: { mode: "auto", toolsBackend: "lmstudio", defaultBackend: "mlx-lm", affinity: true, toolsWhen: "defined" } });
    expect(config.backends.map((backend) => [backend.name, backend.url, backend.tools, backend.cacheSlots])).toEqual([
      ["lmstudio", "http://127.0.0.1:1234/v1", true, 4],
      ["mlx-lm", "http://127.0.0.1:8081/v1", false, 10],
    ]);
  });

  test("an unknown key is an error naming the key and its line", () => {
    const load = withFile('{\n  "port": 9000,\n  "routing": {\n    "mdoe": "auto"\n  }\n}\n');
    expect(load).toThrow(/config\.json:4:5: routing\.mdoe: unknown key/);
  });

  test("a bad value names the key and the line of the key", () => {
    expect(withFile('{\n  "backends": [\n    { "name": "x", "kind": "ollama", "url": "http://127.0.0.1:11434/v1" }\n  ]\n}')).toThrow(/config\.json:3:20: backends\[0\]\.kind: Invalid type: Expected \("mlx-lm" \| "lmstudio" \| "openai" \| "anthropic"\)/);
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
