// `config show` prints the effective config; secrets show only that they are set.
const SECRET_KEYS = new Set(["apiKey", "authToken"]);

export function maskSecrets<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, item) => (SECRET_KEYS.has(key) && typeof item === "string" ? "********" : item)));
}
