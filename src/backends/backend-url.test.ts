import { describe, expect, test } from "bun:test";
import { apiUrl, serverUrl } from "./backend-url";

describe("backend URLs", () => {
  test("a query in the configured URL stays at the end; the endpoint goes on the path before it", () => {
    expect(apiUrl({ kind: "openai", url: "http://h/v1?api_key=K" }, "/chat/completions")).toBe("http://h/v1/chat/completions?api_key=K");
    expect(apiUrl({ kind: "openai", url: "http://h/openai/v1/?api_key=K&x=1" }, "/models")).toBe("http://h/openai/v1/models?api_key=K&x=1");
    expect(apiUrl({ kind: "lmstudio", url: "http://h:1234?api_key=K" }, "/chat/completions")).toBe("http://h:1234/v1/chat/completions?api_key=K");
    expect(apiUrl({ kind: "anthropic", url: "http://h:8080/v1?key=K" }, "/messages")).toBe("http://h:8080/v1/messages?key=K");
    expect(serverUrl("http://h:8080/v1?api_key=K", "/health")).toBe("http://h:8080/health?api_key=K");
  });

  test("without a query, as before", () => {
    expect(apiUrl({ kind: "openai", url: "http://h/v1/" }, "/chat/completions")).toBe("http://h/v1/chat/completions");
    expect(apiUrl({ kind: "mlx-lm", url: "http://h:8081" }, "/models")).toBe("http://h:8081/v1/models");
    expect(serverUrl("http://h:8081/v1", "/props")).toBe("http://h:8081/props");
  });
});
