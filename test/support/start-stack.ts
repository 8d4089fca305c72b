// The daemon on a free loopback port, in front of both emulated backends.
import Anthropic from "@anthropic-ai/sdk";
import type { ConfigFile } from "../../src/config/config-schema";
import { resolveConfig } from "../../src/config/resolve-config";
import { startServer } from "../../src/server/start-server";
import { startLmStudioServer, startMlxLmServer, type EmulatorHandle, type LmStudioOptions, type MlxLmOptions } from "../emulators";

export type Stack = {
  url: string;
  mlx: EmulatorHandle;
  lmstudio: EmulatorHandle;
  client: Anthropic;
  status(): Promise<any>;
  stop(): Promise<void>;
};

export async function startStack(
  options: { mlx?: MlxLmOptions; lmstudio?: LmStudioOptions; config?: (urls: { mlx: string; lmstudio: string }) => ConfigFile } = {},
): Promise<Stack> {
  const mlx = await startMlxLmServer(options.mlx);
  const lmstudio = await startLmStudioServer(options.lmstudio);
  const file: ConfigFile = options.config?.({ mlx: mlx.url, lmstudio: lmstudio.url }) ?? {
    backends: [
      { name: "lmstudio", kind: "lmstudio", url: lmstudio.url, tools: true },
      { name: "mlx-lm", kind: "mlx-lm", url: mlx.url, tools: false },
    ],
  };
  const server = await startServer({ config: resolveConfig({ ...file, port: 0 }, {}) });
  const client = new Anthropic({ baseURL: server.url, apiKey: "test-key", maxRetries: 0 });
  return {
    url: server.url,
    mlx,
    lmstudio,
    client,
    status: async () => (await fetch(`${server.url}/anyclaude/status`)).json(),
    async stop() {
      await server.stop();
      await Promise.all([mlx.stop(), lmstudio.stop()]);
    },
  };
}
