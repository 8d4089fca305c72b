// Bytes kept across requests and written in place: a conversation's messages as the client sent
// them (src/server/conversation-cache.ts), and as they are sent upstream (serialize-body.ts). Only
// what a request adds is copied in; the buffer grows by half again when it must, so a long
// conversation leaves a few buffers behind in all, not one per request.
export class GrowingBytes {
  private buffer = new Uint8Array(0);
  private used = 0;

  get length(): number {
    return this.used;
  }

  // What the buffer holds, for memory bounds.
  get capacity(): number {
    return this.buffer.length;
  }

  // The first `length` bytes, as a view: read it before the next write.
  view(length = this.used): Uint8Array {
    return this.buffer.subarray(0, length);
  }

  // Keeps the first `length` bytes, then appends `piece`.
  writeAt(length: number, piece: Uint8Array): void {
    const needed = length + piece.length;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.ceil(needed * 1.5));
      grown.set(this.buffer.subarray(0, length));
      this.buffer = grown;
    }
    this.buffer.set(piece, length);
    this.used = needed;
  }
}
