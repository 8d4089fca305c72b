// A backend request's JSON, byte for byte what JSON.stringify makes of it. What requests share is
// frozen and serialized once: the tool list, the same array in every request that sent the same
// list (src/server/tool-list-cache.ts), and each message a conversation sent before, translated
// once (src/server/message-translations.ts). A request then serializes only what is new in it,
// and its body is one join of the pieces.
import { memoizeByIdentity } from "../memoize-by-identity";

const sharedJson = memoizeByIdentity((value: object) => JSON.stringify(value));

export function serializeBody(body: unknown): string {
  if (typeof body !== "object" || body === null || Array.isArray(body) || Object.isFrozen(body)) return JSON.stringify(body);
  const parts: string[] = ["{"];
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || typeof value === "function" || typeof value === "symbol") continue; // left out, as JSON.stringify does
    if (parts.length > 1) parts.push(",");
    parts.push(JSON.stringify(key), ":");
    if (Array.isArray(value)) pushArray(parts, value);
    else parts.push(JSON.stringify(value));
  }
  parts.push("}");
  return parts.join("");
}

function pushArray(parts: string[], list: unknown[]): void {
  if (Object.isFrozen(list)) return void parts.push(sharedJson(list));
  parts.push("[");
  for (let index = 0; index < list.length; index++) {
    const item = list[index];
    if (index > 0) parts.push(",");
    parts.push(typeof item === "object" && item !== null && Object.isFrozen(item) ? sharedJson(item) : (JSON.stringify(item) ?? "null"));
  }
  parts.push("]");
}
