// Clients that try to starve a daemon on loopback: connections opened and left idle, bodies sent
// half, wrong tokens as fast as the daemon answers them. Each is bounded (a count, a duration).
import { connect, type Socket } from "node:net";

const BATCH = 100;

export type HeldConnections = {
  // How many the daemon has closed so far (the client closes none).
  closed(): number;
  // What the daemon sent on each (its first 4 KB), so far.
  received(): string[];
  // How many are open and have had nothing from the daemon for `ms` (or since they connected).
  silentFor(ms: number): number;
  destroy(): void;
};

// `count` connections; on each, `send` (nothing: an idle connection) and then silence. Opened a
// batch at a time, so that none is refused for a full accept queue.
export async function holdConnections(port: number, count: number, send = ""): Promise<HeldConnections> {
  const sockets: Socket[] = [];
  const answers: string[] = [];
  const lastHeard: number[] = [];
  let closed = 0;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const index = answers.push("") - 1;
      const socket = connect(port, "127.0.0.1", () => {
        lastHeard[index] = performance.now();
        if (send) socket.write(send);
        resolve();
      });
      socket.setEncoding("latin1");
      socket.on("data", (data: string) => {
        answers[index] = (answers[index] + data).slice(0, 4096);
        lastHeard[index] = performance.now();
      });
      socket.on("error", reject);
      socket.on("close", () => void closed++);
      sockets.push(socket);
    });
  for (let opened = 0; opened < count; opened += BATCH) await Promise.all(Array.from({ length: Math.min(BATCH, count - opened) }, open));
  const silentFor = (ms: number) => sockets.filter((socket, index) => !socket.closed && performance.now() - lastHeard[index]! > ms).length;
  return { closed: () => closed, received: () => answers, silentFor, destroy: () => sockets.forEach((socket) => socket.destroy()) };
}

// Waits until `done` holds or `withinMs` passed; how long it took (undefined: it never did).
export async function waitFor(done: () => boolean, withinMs: number): Promise<number | undefined> {
  const started = performance.now();
  while (!done()) {
    if (performance.now() - started > withinMs) return undefined;
    await Bun.sleep(100);
  }
  return performance.now() - started;
}

export type WrongTokens = { attempts: number; statuses: Record<string, number>; errorTypes: Record<string, number> };

// `parallel` loops sending requests with a wrong token, for `durationMs`.
export async function tryWrongTokens(url: string, durationMs: number, parallel: number): Promise<WrongTokens> {
  const result: WrongTokens = { attempts: 0, statuses: {}, errorTypes: {} };
  const until = performance.now() + durationMs;
  const loop = async (worker: number) => {
    for (let attempt = 0; performance.now() < until; attempt++) {
      const response = await fetch(`${url}/v1/models`, { headers: { "x-api-key": `wrong-${worker}-${attempt}` } });
      const body = (await response.json().catch(() => undefined)) as { error?: { type?: string } } | undefined;
      result.attempts++;
      result.statuses[response.status] = (result.statuses[response.status] ?? 0) + 1;
      const type = body?.error?.type ?? "not an Anthropic error";
      result.errorTypes[type] = (result.errorTypes[type] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: parallel }, (_, worker) => loop(worker)));
  return result;
}
