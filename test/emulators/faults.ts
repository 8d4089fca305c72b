// Failures a test can make the next request(s) meet, the way real servers fail. A fault applies
// to the next chat request only, or to the next `times` of them.
export type Fault = (
  | { kind: "error-status"; status?: number; message?: string } // the server's own error shape
  | { kind: "drop-connection" } // closes the socket without a response
  | { kind: "break-stream"; afterChunks: number } // closes mid-stream: no finish_reason, no [DONE]
) & { times?: number };

export class FaultQueue {
  private queue: Fault[] = [];

  add(fault: Fault, times = fault.times ?? 1): void {
    for (let count = 0; count < times; count++) this.queue.push(fault);
  }

  next(): Fault | undefined {
    return this.queue.shift();
  }
}
