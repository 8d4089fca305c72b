// How one request is put to one backend: the upstream call, how its stream is decoded and
// converted, and how a whole (non-streaming) answer is read.
import type { RequestTrace } from "../metrics/request-trace";
import type { MessagesResponse, Tool } from "../protocol/anthropic";
import type { Reply } from "../translate/reply";
import type { Daemon } from "./daemon";

export type CallContext = {
  backend: string;
  model: string; // the name replies carry (replyModelName): the served model, not the Claude one asked for
  upstreamModel: string;
  messageId: string;
  inputTokens: number;
  toolUseId: (index: number) => string;
  stopSequences?: readonly string[]; // the request's stop_sequences
  undeclaredTools?: ReadonlyMap<string, Tool>; // loaded deferred tools the server was not told of
  contentAsTool?: string; // the reply's content is this forced tool's arguments (prepare-tools.ts)
  onReply: (reply: Reply) => void;
  trace: RequestTrace; // timings and progress, for status, statusline and the log
  signal: AbortSignal;
  fetcher: typeof fetch;
  // Resolves when the request may go upstream: held meanwhile for a shared prefill (share-prefill.ts).
  ready?: Promise<unknown>;
  // The server slot to send the request to, picked as it goes (src/backends/slot-pinning.ts).
  pickSlot?: () => number | undefined;
};

// The upstream call, once the request may go.
export function whenReady(context: CallContext, send: () => Promise<Response>): Promise<Response> {
  return context.ready ? context.ready.then(send) : send();
}

export type BackendCall = {
  upstream: Promise<Response>;
  streamResponse: (daemon: Daemon) => Promise<Response>;
  readMessage: (response: Response) => Promise<{ message: MessagesResponse; reply: Reply }>;
};
