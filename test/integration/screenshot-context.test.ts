// Issue 18: a screenshot made a request "too long". Its base64 text was counted as prose (a
// 300 KB PNG as ~114k tokens), so a vision backend with a 32k context was refused before it was
// asked, count_tokens said the same, and as Claude Code resends the image every turn the whole
// session failed. Driven in process: the scripted LM Studio tells the probe its loaded context.
import { sentJson } from "../support/sent-body";
import { beforeAll, describe, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";
import { modelsResponse } from "../emulators/lmstudio-models";
import { claudeCodeSystem, claudeCodeTools } from "../support/claude-code-fixture";
import { makePng, toBase64 } from "../support/make-images";

const CONTEXT = 32768;
const MODEL = "qwen/qwen2.5-vl-7b";

describe("a screenshot in a Claude Code conversation, against a 32k-context vision backend", () => {
  const screenshot = makePng(1920, 1080, 300 * 1024);
  const image = { type: "image", source: { type: "base64", media_type: "image/png", data: toBase64(screenshot) } };
  const body = {
    model: "claude-opus-5-5",
    max_tokens: 1024,
    system: claudeCodeSystem("images"),
    tools: claudeCodeTools(),
    messages: [
      { role: "user", content: "Take a screenshot of the app and tell me what is wrong" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "screencapture -x /tmp/app.png" } }] },
      // The tool's image, and the same screenshot pasted by the user: both reach the model.
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [image] }, { type: "text", text: "and here it is again" }, image] },
    ],
  };
  const upstream: unknown[] = [];
  const { app, daemon } = createApp({
    config: resolveConfig({ backends: [{ name: "lmstudio", kind: "lmstudio", url: "http://127.0.0.1:1234/v1", tools: true, images: true }] }, {}),
    version: "test",
    fetch: (async (input: string | URL | Request, init: RequestInit = {}) => {
      const url = new URL(String(input));
      const models = modelsResponse(url.pathname, { id: MODEL, contextLength: CONTEXT, loaded: true, toolUse: true });
      if (models) return models;
      upstream.push(sentJson(init));
      // No usage in the reply: the daemon reports its own estimate as the prompt's size.
      return Response.json({ choices: [{ message: { role: "assistant", content: "The button is cut off." }, finish_reason: "stop" }] });
    }) as typeof fetch,
  });
  const read = (response: Response): Promise<any> => response.json();
  const post = (path: string, payload: unknown) =>
    app.handle(new Request(`http://localhost${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) }));

  beforeAll(async () => {
    await daemon.pool.probeAll();
    expect(daemon.pool.get("lmstudio").probe?.contextLength).toBe(CONTEXT);
  });

  test("the screenshot is ~300 KB of PNG (~400 KB of base64)", () => {
    expect(screenshot.length).toBe(300 * 1024);
    expect(image.source.data.length).toBeGreaterThan(400_000);
  });

  test("count_tokens counts each image as the vision model does: a few thousand tokens, not 114k", async () => {
    const { input_tokens } = await read(await post("/v1/messages/count_tokens", body));
    const head = (await read(await post("/v1/messages/count_tokens", { ...body, messages: body.messages.slice(0, 1) }))).input_tokens;
    // Two 1920x1080 images at Qwen2.5-VL's 2,693 tokens each, plus the few words around them.
    expect(input_tokens - head).toBeGreaterThan(2 * 2693);
    expect(input_tokens - head).toBeLessThan(2 * 2693 + 200);
    expect(input_tokens).toBeLessThan(CONTEXT);
  });

  test("the request passes the context check, reaches the backend with both images, and reports the count_tokens estimate", async () => {
    const response = await post("/v1/messages", body);
    const reply = await read(response);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-anyclaude-backend")).toBe("lmstudio");
    const sent = JSON.stringify(upstream.at(-1));
    expect(sent.split(image.source.data).length - 1).toBe(2);
    const { input_tokens } = await read(await post("/v1/messages/count_tokens", body));
    expect(reply.usage.input_tokens).toBe(input_tokens);
  });
});
