// The backend-independent form of a request, computed once: billing line stripped, what the
// request needs (tools, images), its prefix chain and the conversation it belongs to.
import * as v from "valibot";
import { memoizeByPrefix } from "../memoize-by-identity";
import { MessagesRequest, type LocalRequest, type Message, type Tool } from "../protocol/anthropic";
import { buildPrefixChain, chainFor, chainTokens, conversationKey, type PrefixChain } from "../prefix/prefix-chain";
import { declaredWithLoaded, splitTools } from "../translate/deferred-tools";
import { normalizeContent, type ContentNote } from "../translate/normalize-content";
import { stripBillingHeader } from "../translate/strip-billing-header";
import { validationError } from "../validation-error";

export type NormalizedRequest = {
  // Tools: those not deferred (see deferred-tools.ts); messages: only blocks every backend takes.
  request: LocalRequest;
  // The tool list for servers that parse calls only to tools in the request: the deferred tools the
  // conversation loaded follow the others, in the order it loaded them.
  toolsWithLoaded: readonly Tool[];
  loadedTools: ReadonlyMap<string, Tool>; // the deferred tools the conversation loaded, by name
  contentNotes: ContentNote[]; // blocks translated or degraded, for one log line each
  hasTools: boolean; // a non-empty tool list
  usesTools: boolean; // tool blocks in the conversation, or a tool_choice that demands a tool
  hasImages: boolean;
  chain: PrefixChain;
  estimatedTokens: number;
  // Claude Code's session, else derived from the prompt's start; scoped by the person
  // (scopeSessionId): the key of everything the daemon keeps of the conversation.
  sessionId?: string;
  clientSessionId?: string; // the same as the client knows it, for status and the log
  person?: string; // whose token the request carried (authorize.ts)
};

// A client's body, validated (a 400 naming the field) and normalized.
export function normalizeBody(body: unknown, headers: Headers, person?: string): NormalizedRequest {
  const parsed = v.safeParse(MessagesRequest, body);
  if (!parsed.success) throw validationError(parsed.issues);
  return normalizeRequest(parsed.output, headers, person);
}

// A session is its person's: the same id (or the same prompt start) sent with another person's
// token is another conversation, with its own backend, replay memory and status entry.
export function scopeSessionId(person: string | undefined, sessionId: string): string {
  return person === undefined ? sessionId : `${person}/${sessionId}`;
}

export function normalizeRequest(raw: MessagesRequest, headers: Headers, person?: string): NormalizedRequest {
  const tools = raw.tools ? splitTools(raw.tools) : undefined;
  const content = normalizeContent(raw.messages, tools?.byName ?? NO_TOOLS);
  const request: LocalRequest = {
    ...raw,
    system: stripBillingHeader(raw.system),
    messages: content.messages,
    ...(tools ? { tools: tools.declared as Tool[] } : {}),
  };
  const facts = factsFor(request.messages).at(-1) ?? { toolBlocks: false, images: false };
  const demandsTool = request.tool_choice?.type === "any" || request.tool_choice?.type === "tool";
  const chain = buildPrefixChain(request);
  const clientSessionId = readSessionId(request, headers) ?? prefixSessionId(chain);
  return {
    request,
    toolsWithLoaded: tools ? declaredWithLoaded(tools, content.loadedTools) : [],
    loadedTools: new Map(content.loadedTools.flatMap((name) => (tools?.byName.has(name) ? [[name, tools.byName.get(name)!]] : []))),
    contentNotes: content.notes,
    hasTools: (request.tools?.length ?? 0) > 0,
    usesTools: facts.toolBlocks || demandsTool,
    hasImages: facts.images,
    chain,
    estimatedTokens: chainTokens(chainFor(chain, true)),
    sessionId: clientSessionId === undefined ? undefined : scopeSessionId(person, clientSessionId),
    clientSessionId,
    person,
  };
}

// One map for every request without tools, so that their messages are normalized once too
// (normalize-content.ts memoizes per message and tool map).
const NO_TOOLS: ReadonlyMap<string, Tool> = new Map();

// What the messages up to each one need of a backend, looked at once per message the session sent
// before: the last one's is the request's.
type MessageFacts = { toolBlocks: boolean; images: boolean };
const factsFor = memoizeByPrefix((message: Message, before: MessageFacts | undefined): MessageFacts => {
  const blocks = typeof message.content === "string" ? [] : message.content;
  return {
    toolBlocks: (before?.toolBlocks ?? false) || blocks.some((block) => block.type === "tool_use" || block.type === "tool_result"),
    images:
      (before?.images ?? false) ||
      blocks.some(
        (block) =>
          block.type === "image" || (block.type === "tool_result" && Array.isArray(block.content) && block.content.some((part) => part.type === "image")),
      ),
  };
});

// Without a session id, a conversation is known by its head and its first message.
function prefixSessionId(chain: PrefixChain): string | undefined {
  return chain.messages.length > 0 ? `prefix:${conversationKey(chain)}` : undefined;
}

// Claude Code sends its session id as a header, and inside metadata.user_id (a JSON string).
function readSessionId(request: LocalRequest, headers: Headers): string | undefined {
  const header = headers.get("x-claude-code-session-id");
  if (header) return header;
  const userId = request.metadata?.user_id;
  if (!userId) return undefined;
  try {
    const parsed: unknown = JSON.parse(userId);
    if (typeof parsed === "object" && parsed !== null && "session_id" in parsed && typeof parsed.session_id === "string") return parsed.session_id;
  } catch {
    // older versions: user_<hash>_account_<uuid>_session_<uuid>
  }
  return /_session_([0-9a-f-]{36})$/.exec(userId)?.[1] ?? userId;
}
