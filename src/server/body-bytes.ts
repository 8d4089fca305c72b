// A request body is read as bytes and decoded only in the pieces that are parsed: what a request of
// the session sent before is recognised by comparing bytes, never decoded or parsed again.

// A body, or a piece of one, as text: as Request.text() decodes it (a byte order mark kept).
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

// Whether `body` holds `bytes` at `start`: one memcmp.
export function bytesAt(body: Uint8Array, start: number, bytes: Uint8Array): boolean {
  return start + bytes.length <= body.length && Buffer.compare(body.subarray(start, start + bytes.length), bytes) === 0;
}

export function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
