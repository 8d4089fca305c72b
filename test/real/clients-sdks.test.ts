// The official SDKs against anyclaude on the real servers, case by case (test/real/clients.ts):
// PyPI's `anthropic`, and @anthropic-ai/sdk under Node and under Bun.
import { afterAll, beforeAll, describe, test } from "bun:test";
import { SDK_CHECKS } from "./client-checks";
import { checkCase, clientCommand, packageVersion, runClient, saveClientFigures, startPaths, type CaseFigures, type Outcomes, type Path, type Paths } from "./clients";
import { describeReal, manifest } from "./real-servers";

const CLIENTS = [
  { client: "anthropic (Python)", version: () => manifest().clients.anthropic, command: () => clientCommand("anthropic_python.py", "python") },
  { client: "@anthropic-ai/sdk under Node", version: () => packageVersion("@anthropic-ai/sdk"), command: () => clientCommand("anthropic-node.mjs", "node") },
  { client: "@anthropic-ai/sdk under Bun", version: () => packageVersion("@anthropic-ai/sdk"), command: () => clientCommand("anthropic-node.mjs", "bun") },
];

describeReal("the official SDKs", () => {
  let paths: Paths;
  beforeAll(async () => {
    paths = await startPaths();
  }, 300_000);
  afterAll(() => paths?.stop(), 60_000);

  describe.each(CLIENTS)("$client", ({ client, version, command }) => {
    const results = new Map<Path, Outcomes>();
    const figures: CaseFigures = {};
    beforeAll(async () => {
      const outcomes = await Promise.all(paths.paths.map((path) => runClient(command(), path, client)));
      paths.paths.forEach((path, index) => results.set(path, outcomes[index]!));
    }, 300_000);
    afterAll(() => saveClientFigures(client, version(), figures));

    for (const [name, entry] of Object.entries(SDK_CHECKS)) {
      test(name, () => checkCase(results, name, entry, figures));
    }
  });
});
