// A request's body and the body sent on for it are ~400 KB each in a long conversation, and dead
// once read and sent. The collector frees such buffers late (it paces itself by a JavaScript heap
// that is small next to them), so under a team's load they piled up: without collections while
// busy, 16 sessions of 400 KB peaked at 204-235 MB resident, and at 166-196 MB with these handed
// back (`bun scripts/bench-team.ts`). Handing their memory back at once
// (`ArrayBuffer.prototype.transfer(0)` detaches the buffer and frees what it held) keeps that
// from building up without a collection. Only for bytes their caller owns whole: a view of part
// of a buffer (a kept buffer's, or Node's pool of small Buffers, which Bun does not use) is left
// alone.
export function releaseBytes(bytes: Uint8Array): void {
  const { buffer } = bytes;
  if (!(buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength || buffer.detached) return;
  try {
    buffer.transfer(0);
  } catch {
    // A buffer that cannot be detached (one the runtime holds) is freed by the collector.
  }
}
