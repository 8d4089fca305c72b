import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../config/resolve-config";
import { daemonUrl } from "./cli-context";

const at = (host: string) =>
  daemonUrl({ config: resolveConfig({ host, port: 9000, authToken: "t0ken-3f9a1c7e5b2d8046a1c3e5f7b9d0e2f4" }, {}), path: "", exists: false });

describe("daemonUrl", () => {
  test("a wildcard listen address is reached on loopback; IPv6 in brackets", () => {
    expect(at("0.0.0.0")).toBe("http://127.0.0.1:9000");
    expect(at("::")).toBe("http://[::1]:9000");
    expect(at("127.0.0.1")).toBe("http://127.0.0.1:9000");
  });
});
