// The official Anthropic SDK in a runtime of the test's choosing (node or bun): one message
// created, one streamed, against the daemon at argv[2]. Prints the result as one JSON line, or
// the error's status and message, and exits 1.
import Anthropic from "@anthropic-ai/sdk";

const client = new Anthropic({ baseURL: process.argv[2], apiKey: process.argv[3] ?? "test-key", maxRetries: 0 });
const ask = { model: "claude-opus-5-5", max_tokens: 256, messages: [{ role: "user", content: "What is 2+2?" }] };
try {
  const created = await client.messages.create(ask);
  const streamed = await client.messages.stream(ask).finalMessage();
  console.log(JSON.stringify({ created: created.content, streamed: streamed.content }));
} catch (error) {
  console.log(JSON.stringify({ status: error.status, message: error.message }));
  process.exit(1);
}
