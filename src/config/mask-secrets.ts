// `config show` prints the effective config; secrets show only that they are set, and a backend
// URL with credentials in it shows them masked.
import { redactUrl } from "./redact-url";

const SECRET_KEYS = new Set(["apiKey", "authToken"]);

export function maskSecrets<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, item) => (typeof item !== "string" ? item : SECRET_KEYS.has(key) ? "********" : key === "url" ? redactUrl(item) : item)));
}
