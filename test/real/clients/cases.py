"""What the Python clients of the client suite share: the request's parts and the runner that
prints each case's outcome as JSON (test/real/clients.ts reads it)."""

import json
import sys
import time
import traceback

# Any Claude model name: anyclaude serves every name with its backend's model, and llama-server
# answers whatever name it is sent.
MODEL = "claude-haiku-4-5"

# Two tools: when any tool will do, llama-server's grammar has the test model write the first
# (their tie-break prefers "lookup" to "get"), so a forced get_weather is what the server was
# told, never luck.
TOOLS = [
    {"name": "lookup_time", "description": "The time in a city", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    {"name": "get_weather", "description": "The weather in a city", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
]

# The call a two-turn case sends back when the server made none (it cannot be forced there).
MADE_UP_CALL = {"type": "tool_use", "id": "toolu_made_up", "name": "get_weather", "input": {"city": "Paris"}}

# A 1x1 PNG.
PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def run_cases(cases):
    outcomes = {}
    for name, case in cases.items():
        started = time.monotonic()
        try:
            outcomes[name] = {"ok": case()}
        except Exception as error:  # the outcome of the case: the test says whether it may fail
            outcomes[name] = {"error": {"type": type(error).__name__, "message": str(error)[:500], "status": getattr(error, "status_code", None), "trace": traceback.format_exc()[-1500:]}}
        outcomes[name]["seconds"] = round(time.monotonic() - started, 2)
    json.dump(outcomes, sys.stdout, default=str)
