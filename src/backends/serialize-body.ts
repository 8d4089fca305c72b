// A backend request's JSON. Its tool list is the same frozen array in every request that sent the
// same list (see src/server/tool-list-cache.ts), so that part, most of the body, is serialized
// once per list and spliced in; the object's key order is the only difference, which JSON ignores.
import { memoizeByIdentity } from "../memoize-by-identity";

const listJson = memoizeByIdentity((list: unknown[]) => JSON.stringify(list));

export function serializeBody(body: unknown): string {
  if (typeof body !== "object" || body === null || !("tools" in body) || !Array.isArray(body.tools) || !Object.isFrozen(body.tools)) return JSON.stringify(body);
  const { tools, ...rest } = body;
  const json = JSON.stringify(rest);
  return `${json.slice(0, -1)}${json === "{}" ? "" : ","}"tools":${listJson(tools)}}`;
}
