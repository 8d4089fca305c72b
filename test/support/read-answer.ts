// What a client makes of the daemon's answer, read within bounds: at most `maxBytes` and
// `timeoutMs` (a daemon that relays an endless backend must fail a test, not hang it or fill the
// test's memory). An SSE answer is parsed event by event and kept as a summary: the events' names,
// the error event, the stop reason, every tool_use block with its input, every usage number.
const KEPT_BYTES = 16 * 1024 * 1024;

export type Answer = {
  status: number;
  bytes: number;
  longestGapMs: number; // the longest wait for the next bytes, once the first came
  cut?: "maxBytes" | "frame" | "timeout" | "reset"; // why the reading stopped before the answer ended
  events: string[];
  error?: { type: string; message: string }; // a JSON error body, or the SSE error event
  stopReason?: string;
  textChars: number;
  toolUses: { id: string; name: string; input: string }[]; // input: the JSON streamed for it
  usageNumbers: unknown[];
};

export async function readAnswer(response: Response, limits: { maxBytes: number; timeoutMs: number }): Promise<Answer> {
  const answer: Answer = { status: response.status, bytes: 0, longestGapMs: 0, events: [], textChars: 0, toolUses: [], usageNumbers: [] };
  const sse = (response.headers.get("content-type") ?? "").includes("text/event-stream");
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const deadline = setTimeout(() => {
    answer.cut = "timeout";
    void reader.cancel();
  }, limits.timeoutMs);
  let buffered = "";
  let lastRead: number | undefined;
  try {
    while (true) {
      const { done, value } = await reader.read();
      const now = performance.now();
      if (lastRead !== undefined) answer.longestGapMs = Math.max(answer.longestGapMs, now - lastRead);
      lastRead = now;
      if (done) break;
      answer.bytes += value.length;
      if (answer.bytes > limits.maxBytes) {
        answer.cut = "maxBytes";
        await reader.cancel();
        break;
      }
      // A JSON body past KEPT_BYTES is no answer a client can use; an SSE frame that big neither.
      if (sse || buffered.length < KEPT_BYTES) buffered += decoder.decode(value, { stream: true });
      if (!sse) continue;
      let end: number;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        see(answer, buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
      }
      if (buffered.length > KEPT_BYTES) {
        answer.cut = "frame";
        await reader.cancel();
        break;
      }
    }
  } catch {
    answer.cut ??= "reset";
  } finally {
    clearTimeout(deadline);
  }
  if (!sse && !answer.cut) answer.error = errorOf(buffered);
  return answer;
}

function see(answer: Answer, frame: string): void {
  const event = /^event: (.*)$/m.exec(frame)?.[1] ?? "";
  const data = JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? "null");
  if (answer.events.at(-1) !== event) answer.events.push(event); // runs of deltas as one name
  if (event === "error") answer.error = data.error;
  if (event === "message_start") answer.usageNumbers.push(...Object.values(data.message.usage ?? {}));
  if (event === "message_delta") {
    answer.stopReason = data.delta.stop_reason;
    answer.usageNumbers.push(...Object.values(data.usage ?? {}));
  }
  if (event === "content_block_start" && data.content_block.type === "tool_use")
    answer.toolUses.push({ id: data.content_block.id, name: data.content_block.name, input: "" });
  if (event === "content_block_delta" && data.delta.type === "input_json_delta") answer.toolUses.at(-1)!.input += data.delta.partial_json;
  if (event === "content_block_delta" && data.delta.type === "text_delta") answer.textChars += data.delta.text.length;
}

function errorOf(body: string): Answer["error"] {
  try {
    const parsed = JSON.parse(body);
    return parsed?.type === "error" ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

// One line for the table: the status and how the answer ended.
export function describeAnswer(answer: Answer): string {
  const cut = answer.cut ? `, cut: ${answer.cut} after ${answer.bytes} B` : "";
  if (answer.error) return `${answer.status}${answer.events.length ? " event: error" : ""} ${answer.error.type}${cut}`;
  if (answer.events.length)
    return `${answer.status} ${answer.events.at(-1)} (${answer.stopReason ?? "no stop reason"}, ${answer.toolUses.length} tool_use)${cut}`;
  return `${answer.status} not an Anthropic answer${cut}`;
}
