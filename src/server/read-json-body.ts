// Request bodies: a JSON object, or an error that says what is wrong with them. A body over the
// cap is refused as soon as it is known to be too large, never read whole into memory.
import { ApiError, invalidRequest } from "../api-error";
import { nestsDeeperThan } from "./json-depth";

// Claude Code's deepest value is a tool's JSON schema, a dozen levels; recursion in validation,
// hashing and translation is safe far beyond this.
export const MAX_NESTING = 512;

export async function readJsonBody(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const text = await readCapped(request, maxBytes);
  if (text.trim() === "") throw invalidRequest("the request body is empty; expected a JSON object");
  if (nestsDeeperThan(text, MAX_NESTING)) throw invalidRequest(`the request body nests objects and arrays more than ${MAX_NESTING} levels deep`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`the request body is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw invalidRequest(`body: the request body must be a JSON object ({"model", "messages", ...}), not ${Array.isArray(json) ? "an array" : json === null ? "null" : `a ${typeof json}`}`);
  }
  return json as Record<string, unknown>;
}

async function readCapped(request: Request, maxBytes: number): Promise<string> {
  const announced = request.headers.get("content-length");
  if (Number(announced ?? 0) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return "";
  // A body of known length within the cap is read whole by Bun itself: one copy, not three.
  if (announced !== null) return request.text();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // A chunked body announces no length: count while reading.
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "request_too_large", `the request body is larger than ${maxBytes} bytes (the daemon's "maxBodyBytes")`);
}
