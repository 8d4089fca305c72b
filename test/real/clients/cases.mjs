// What the JavaScript clients of the client suite share with the Python ones (cases.py): the
// request's parts and the runner that prints each case's outcome as JSON (test/real/clients.ts
// reads it).
export const MODEL = "claude-haiku-4-5";
// Two tools: when any tool will do, llama-server's grammar has the test model write the first
// (their tie-break prefers "lookup" to "get"), so a forced get_weather is what the server was
// told, never luck.
const city = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
export const TOOLS = [
  { name: "lookup_time", description: "The time in a city", input_schema: city },
  { name: "get_weather", description: "The weather in a city", input_schema: city },
];
export const WEATHER_SCHEMA = { type: "object", properties: { sky: { type: "string", enum: ["sunny", "rainy"] }, windy: { type: "boolean" } }, required: ["sky", "windy"], additionalProperties: false };
// The call a two-turn case sends back when the server made none (it cannot be forced there).
export const MADE_UP_CALL = { type: "tool_use", id: "toolu_made_up", name: "get_weather", input: { city: "Paris" } };
export const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
export const ASK = "What is the weather in Paris?";

export async function runCases(cases) {
  const outcomes = {};
  for (const [name, run] of Object.entries(cases)) {
    const started = performance.now();
    try {
      outcomes[name] = { ok: await run() };
    } catch (error) {
      // The outcome of the case: the test says whether it may fail.
      outcomes[name] = { error: { type: error?.constructor?.name, message: String(error?.message).slice(0, 500), status: error?.status ?? error?.statusCode ?? null, trace: String(error?.stack).slice(0, 1500) } };
    }
    outcomes[name].seconds = Math.round(performance.now() - started) / 1000;
  }
  process.stdout.write(JSON.stringify(outcomes));
}
