// The official SDKs against anyclaude on the real servers, case by case (test/real/clients.ts):
// PyPI's `anthropic`, and @anthropic-ai/sdk under Node and under Bun.
import { SDK_CHECKS } from "./client-checks";
import { clientCommand, describeClients, packageVersion, type Client } from "./clients";
import { manifest } from "./real-servers";

const CLIENTS: Client[] = [
  {
    client: "anthropic (Python)",
    version: () => manifest().clients.anthropic,
    command: () => clientCommand("anthropic_python.py", "python"),
    cases: SDK_CHECKS,
  },
  {
    client: "@anthropic-ai/sdk under Node",
    version: () => packageVersion("@anthropic-ai/sdk"),
    command: () => clientCommand("anthropic-node.mjs", "node"),
    cases: SDK_CHECKS,
  },
  {
    client: "@anthropic-ai/sdk under Bun",
    version: () => packageVersion("@anthropic-ai/sdk"),
    command: () => clientCommand("anthropic-node.mjs", "bun"),
    cases: SDK_CHECKS,
  },
];

describeClients("the official SDKs", CLIENTS);
