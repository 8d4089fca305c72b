// Anthropic tools and tool_choice -> OpenAI function tools. Names are never changed (Claude Code
// answers "No such tool available" to a renamed tool) and the order is kept (it is in the prompt).
import { assertNever } from "../assert-never";
import { deepFreeze, memoizeByIdentity } from "../memoize-by-identity";
import type { Tool, ToolChoice } from "../protocol/anthropic";
import type { ReplyControls } from "../backends/backend-quirks";
import type { ChatRequest, FunctionTool } from "../protocol/openai";
import { cleanJsonSchema } from "./clean-json-schema";
import { jsonSchemaFormat } from "./json-schema-format";

type ChoiceFields = Pick<ChatRequest, "tool_choice" | "parallel_tool_calls" | "response_format"> & {
  // The tool whose call the reply's content is (ReplyControls "schema"): read back as that call.
  contentAsTool?: string;
  warning?: string;
};
type PreparedTools = Pick<ChatRequest, "tools"> & Omit<ChoiceFields, "warning"> & { warnings: string[] };

// The tool list is the same whatever tool_choice says: it sits early in the prompt, so a forced
// tool must not change it (the server's cached prefix would end there).
export function prepareTools(
  tools: Tool[] | undefined,
  toolChoice: ToolChoice | undefined,
  cleanSchemas: boolean,
  forcedTool: ReplyControls["forcedTool"] = "named",
): PreparedTools {
  if (!tools) return { warnings: [] };
  const { functions, warnings } = (cleanSchemas ? withCleanSchemas : withSchemasAsSent)(tools);
  if (functions.length === 0) return { warnings: [...warnings] };
  const { warning, ...choice } = mapToolChoice(toolChoice, functions, forcedTool);
  return { tools: functions, ...choice, warnings: warning ? [...warnings, warning] : [...warnings] };
}

// Once per tool list (requests that send the same list share it), frozen: the same array goes
// into every body, and its JSON is made once too (serialize-body.ts).
const withCleanSchemas = memoizeByIdentity((tools: Tool[]) => toFunctions(tools, true));
const withSchemasAsSent = memoizeByIdentity((tools: Tool[]) => toFunctions(tools, false));

function toFunctions(tools: Tool[], cleanSchemas: boolean): { functions: FunctionTool[]; warnings: string[] } {
  const warnings: string[] = [];
  const functions: FunctionTool[] = [];
  for (const tool of tools) {
    if (!tool.input_schema) {
      // Server tools (web_search, code_execution) run on Anthropic's side; no local server has them.
      warnings.push(`dropped server tool "${tool.name}" (${tool.type ?? "no input_schema"})`);
      continue;
    }
    const parameters = cleanSchemas ? (cleanJsonSchema(tool.input_schema) as Record<string, unknown>) : tool.input_schema;
    functions.push({ type: "function", function: { name: tool.name, description: tool.description, parameters } });
  }
  return { functions: deepFreeze(functions), warnings };
}

function mapToolChoice(choice: ToolChoice | undefined, functions: FunctionTool[], forcedTool: ReplyControls["forcedTool"]): ChoiceFields {
  if (!choice) return {};
  const parallel = "disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case "auto":
      return { tool_choice: "auto", ...parallel };
    case "any":
      return { tool_choice: "required", ...parallel };
    case "tool":
      return forceTool(choice.name, functions, forcedTool, parallel);
    case "none":
      return { tool_choice: "none" };
    default:
      return assertNever(choice);
  }
}

function forceTool(name: string, functions: FunctionTool[], forcedTool: ReplyControls["forcedTool"], parallel: ChoiceFields): ChoiceFields {
  switch (forcedTool) {
    case "named":
      return { tool_choice: { type: "function", function: { name } }, ...parallel };
    case "schema": {
      const tool = functions.find((candidate) => candidate.function.name === name);
      if (!tool)
        return { tool_choice: "required", ...parallel, warning: `tool_choice names "${name}", which is not among the tools: any tool required instead` };
      // The schema is already cleaned as the tool list is (or not): the same grammar either way.
      return { tool_choice: "none", response_format: jsonSchemaFormat(name, tool.function.parameters, false), contentAsTool: name };
    }
    case "unenforced":
      return { warning: `tool_choice "${name}" not enforced: this backend does not read tool_choice` };
    default:
      return assertNever(forcedTool);
  }
}
