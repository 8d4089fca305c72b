// The checks mlx_lm.server (mlx_lm/server.py) makes on a chat request, and how each one fails.
// Parameter validation runs in do_POST outside any try: a bad value raises, the handler dies, and
// the client gets no response at all. Message problems surface later, inside generate(), which
// the handler catches and answers with 404 {"error": str(exception)}.

// validate_model_parameters(), for the parameters a proxy might send. (Python's bool is an int,
// so True passes an int check; JSON cannot tell 1 from 1.0 once parsed, so ints are integers.)
export function parametersAreValid(body: Record<string, unknown>, maxTokens: unknown): boolean {
  const isInt = (value: unknown) => Number.isInteger(value) || typeof value === "boolean";
  const isNumber = (value: unknown) => typeof value === "number" || typeof value === "boolean";
  const within = (value: unknown, min: number, max = Number.POSITIVE_INFINITY) => Number(value) >= min && Number(value) <= max;
  // body.get(key, default): a key sent as null stays None, and fails its check.
  const get = (key: string, fallback: unknown) => (key in body ? body[key] : fallback);
  const checks: [unknown, (value: unknown) => boolean][] = [
    [get("stream", false), (value) => typeof value === "boolean"],
    [maxTokens, (value) => isInt(value) && within(value, 0)],
    [get("temperature", 0), (value) => isNumber(value) && within(value, 0)],
    [get("top_p", 1), (value) => isNumber(value) && within(value, 0, 1)],
    [get("top_k", 0), (value) => isInt(value) && within(value, 0)],
    [get("min_p", 0), (value) => isNumber(value) && within(value, 0, 1)],
    [get("repetition_penalty", 0), (value) => isNumber(value) && within(value, 0)],
    [get("presence_penalty", 0), isNumber],
    [get("frequency_penalty", 0), isNumber],
    [get("logprobs", false), (value) => typeof value === "boolean"],
    [get("top_logprobs", -1), (value) => isInt(value) && (value === -1 || within(value, 0, 11))],
    [get("model", "default_model"), (value) => typeof value === "string"],
    [get("seed", null), (value) => value === null || isInt(value)],
    [get("logit_bias", null), (value) => value === null || (typeof value === "object" && !Array.isArray(value))],
  ];
  // handle_chat_completions asserts the messages are there, also outside the try.
  return checks.every(([value, valid]) => valid(value)) && Array.isArray(body.messages);
}

type Message = { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] };

// process_message_content(): text-only content arrays; tool-call arguments parsed with json.loads.
// Returns the exception text, or undefined when the messages are fine.
export function messageProblem(messages: Message[]): string | undefined {
  for (const message of messages) {
    if (Array.isArray(message.content)) {
      const parts = message.content as { type?: string; text?: unknown }[];
      const texts = parts.filter((part) => part.type === "text");
      if (texts.some((part) => part.text === undefined)) return "'text'"; // a KeyError prints its key
      if (texts.length !== parts.length) return "Only 'text' content type is supported.";
    }
    for (const call of message.tool_calls ?? []) {
      const args = call.function?.arguments;
      if (!args) continue; // an empty string is falsy in Python: left alone
      if (typeof args !== "string") return `the JSON object must be str, bytes or bytearray, not ${pythonTypeName(args)}`;
      try {
        JSON.parse(args);
      } catch {
        return jsonDecodeError(args);
      }
    }
  }
  return undefined;
}

function pythonTypeName(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "boolean") return "bool";
  return "dict";
}

// json.JSONDecodeError's text for the two commonest mistakes (a bare word, an unquoted key), in
// Python's words; other mistakes get the first wording at the first character.
function jsonDecodeError(text: string): string {
  const start = Math.max(0, text.search(/\S/));
  const key = /^\{\s*/.exec(text.slice(start));
  if (key && !/^["}]/.test(text.slice(start + key[0].length))) {
    const at = start + key[0].length;
    return `Expecting property name enclosed in double quotes: line 1 column ${at + 1} (char ${at})`;
  }
  return `Expecting value: line 1 column ${start + 1} (char ${start})`;
}
