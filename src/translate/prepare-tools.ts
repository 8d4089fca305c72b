// Anthropic tools and tool_choice -> OpenAI function tools. Names are never changed (Claude Code
// answers "No such tool available" to a renamed tool) and the order is kept (it is in the prompt).
import { assertNever } from "../assert-never";
import { deepFreeze, memoizeByIdentity } from "../memoize-by-identity";
import type { Tool, ToolChoice } from "../protocol/anthropic";
import type { ChatRequest, FunctionTool } from "../protocol/openai";
import { cleanJsonSchema } from "./clean-json-schema";

type PreparedTools = Pick<ChatRequest, "tools" | "tool_choice" | "parallel_tool_calls"> & { warnings: string[] };

export function prepareTools(tools: Tool[] | undefined, toolChoice: ToolChoice | undefined, cleanSchemas: boolean): PreparedTools {
  if (!tools) return { warnings: [] };
  const { functions, warnings } = (cleanSchemas ? withCleanSchemas : withSchemasAsSent)(tools);
  if (functions.length === 0) return { warnings: [...warnings] };
  return { tools: functions, ...mapToolChoice(toolChoice), warnings: [...warnings] };
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

function mapToolChoice(choice: ToolChoice | undefined): Pick<ChatRequest, "tool_choice" | "parallel_tool_calls"> {
  if (!choice) return {};
  const parallel = "disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case "auto":
      return { tool_choice: "auto", ...parallel };
    case "any":
      return { tool_choice: "required", ...parallel };
    case "tool":
      return { tool_choice: { type: "function", function: { name: choice.name } }, ...parallel };
    case "none":
      return { tool_choice: "none" };
    default:
      return assertNever(choice);
  }
}
