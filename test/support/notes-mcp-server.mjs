// A tiny MCP server over stdio (newline-delimited JSON-RPC), for Claude Code's --mcp-config: one
// tool, lookup_note, which Claude Code lists as the deferred tool mcp__notes__lookup_note.
import readline from "node:readline";

const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const LOOKUP_NOTE = {
  name: "lookup_note",
  description: "Look up one of the user's notes by its title",
  inputSchema: { type: "object", properties: { title: { type: "string", description: "The note's title" } }, required: ["title"] },
};

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  const reply = (result) => send({ jsonrpc: "2.0", id: message.id, result });
  if (message.method === "initialize") reply({ protocolVersion: message.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "notes", version: "1.0.0" } });
  else if (message.method === "tools/list") reply({ tools: [LOOKUP_NOTE] });
  else if (message.method === "tools/call") reply({ content: [{ type: "text", text: `note "${message.params.arguments.title}": buy milk` }] });
  else if (message.id !== undefined) reply({});
});
