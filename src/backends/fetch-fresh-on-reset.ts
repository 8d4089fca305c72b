// llama-server closes idle keep-alive connections after 5 s (`Keep-Alive: timeout=5`); a request
// sent on a pooled connection just as the server closes it is reset before any byte of a response
// (seen about once in a hundred requests). Such a request is sent once more on a new connection:
// `keepalive: false` makes Bun open one of its own rather than take a pooled one.
export async function fetchFreshOnReset(fetcher: typeof fetch, url: string, init: BunFetchRequestInit): Promise<Response> {
  try {
    return await fetcher(url, init);
  } catch (error) {
    if (init.signal?.aborted || !isResetBeforeResponse(error)) throw error;
    return fetcher(url, { ...init, keepalive: false });
  }
}

// Bun: ECONNRESET "The socket connection was closed unexpectedly"; Node: ECONNRESET or EPIPE.
export function isResetBeforeResponse(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "ECONNRESET" || code === "EPIPE" || /socket connection was closed unexpectedly/i.test(error instanceof Error ? error.message : "");
}
