// Wrong tokens (issue 27): slowed per peer address, each logged with the address and which
// attempt it was (so the log never folds them into one "repeated" line); a correct token and
// other addresses are never slowed. Against a bound server: the peer's address is the socket's.
import { afterAll, expect, test } from "bun:test";
import { connect } from "node:net";
import { formatWithOptions } from "node:util";
import type { ConsolaReporter } from "consola";
import { resolveConfig } from "../../src/config/resolve-config";
import { logger } from "../../src/logger";
import { startServer } from "../../src/server/start-server";

const TOKEN = "s3cret";
const server = await startServer({
  config: resolveConfig({ port: 0, prewarm: false, authToken: TOKEN, backends: [{ name: "none", kind: "openai", url: "http://127.0.0.1:9/v1" }] }, {}),
  fetch: (async () => Response.json({ data: [] })) as unknown as typeof fetch,
});
afterAll(() => server.stop());
const port = Number(new URL(server.url).port);

const lines: string[] = [];
const capture: ConsolaReporter = { log: (entry) => void lines.push(formatWithOptions({ colors: false }, ...entry.args)) };

async function timedStatus(token: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${server.url}/anyclaude/status`, { headers: { "x-api-key": token } });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

// The same request from another loopback address (Linux routes all of 127.0.0.0/8 to lo).
function statusFrom(localAddress: string, token: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ port, host: "127.0.0.1", localAddress }, () =>
      socket.write(`GET /anyclaude/status HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${token}\r\nConnection: close\r\n\r\n`),
    );
    let raw = "";
    socket.setEncoding("utf8");
    socket.on("data", (data: string) => (raw += data));
    socket.on("error", reject);
    socket.on("close", () => resolve({ status: Number(raw.split(" ")[1]), ms: performance.now() - started }));
  });
}

test("wrong tokens from one address are answered later and later, each logged with the address; a correct token and other addresses are not slowed", async () => {
  logger.addReporter(capture);
  const wrong: { status: number; ms: number }[] = [];
  try {
    for (let attempt = 0; attempt < 8; attempt++) wrong.push(await timedStatus("guess"));
  } finally {
    logger.removeReporter(capture);
  }
  expect(wrong.map((answer) => answer.status)).toEqual(Array(8).fill(401));
  // The delays the daemon chose, as it logged them (wall-clock times on a shared machine would
  // only add noise): none for the first three, then growing.
  const refusals = lines.filter((line) => line.includes("refused: 401"));
  expect(refusals).toHaveLength(8);
  refusals.forEach((line, index) => expect(line).toContain(`(from 127.0.0.1, failed attempt ${index + 1}`));
  const delays = refusals.map((line) => Number(/answered after (\d+) ms/.exec(line)?.[1] ?? 0));
  expect(delays.slice(0, 3)).toEqual([0, 0, 0]);
  for (let index = 4; index < delays.length; index++) expect(delays[index]!).toBeGreaterThan(delays[index - 1]!);
  expect(wrong[7]!.ms).toBeGreaterThanOrEqual(delays[7]!);
  expect(lines.some((line) => /repeated/.test(line))).toBe(false);

  // While the next wrong guess from this address waits its turn (over a second), a correct token
  // and a guess from another address are answered: neither waits behind it.
  const slowed = timedStatus("guess");
  const [right, elsewhere] = await Promise.all([timedStatus(TOKEN), statusFrom("127.0.0.2", "guess")]);
  const guess = await slowed;
  expect([right.status, elsewhere.status, guess.status]).toEqual([200, 401, 401]);
  expect(right.ms).toBeLessThan(guess.ms);
  expect(elsewhere.ms).toBeLessThan(guess.ms);
}, 30_000);
