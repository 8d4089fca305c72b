// A build's identity: a hash of the sources it was built from, computed by Bun at bundle time
// (imported `with { type: "macro" }`), so a daemon started from an older binary is recognised
// even when the version number did not change.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export function sourceHash(): string {
  const root = import.meta.dir;
  const hasher = new Bun.CryptoHasher("sha256");
  const files = readdirSync(root, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"));
  for (const file of files.sort()) hasher.update(file).update(readFileSync(join(root, file)));
  hasher.update(readFileSync(join(root, "..", "package.json")));
  return hasher.digest("hex").slice(0, 12);
}
