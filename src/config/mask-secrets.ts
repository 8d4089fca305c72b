// `config show` prints the effective config; secrets show only that they are set, and a backend
// URL with credentials in it shows them masked.
import { redactUrl } from "./redact-url";

const SECRET_KEYS = new Set(["apiKey", "authToken", "token"]);
// Every string under these is a secret: {"alice": "<token>"}.
const SECRET_MAPS = new Set(["authTokens"]);

export function maskSecrets<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, function (this: unknown, key, item) {
      if (SECRET_MAPS.has(key) && typeof item === "object" && item !== null && !Array.isArray(item))
        return Object.fromEntries(Object.keys(item).map((name) => [name, "********"]));
      return typeof item !== "string" ? item : SECRET_KEYS.has(key) ? "********" : key === "url" ? redactUrl(item) : item;
    }),
  );
}
