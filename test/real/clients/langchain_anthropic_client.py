"""langchain-anthropic's ChatAnthropic, used as its documentation shows, against the Messages API
at argv[1]. Runs every case of the client suite and prints one JSON object: for each case what
langchain returned, or the exception it raised.
"""

import sys
from typing import Literal

from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from pydantic import BaseModel, Field

from cases import MADE_UP_CALL, MODEL, PNG_BASE64, TOOLS, run_cases

chat = ChatAnthropic(model=MODEL, base_url=sys.argv[1], api_key="client-suite", max_tokens=128, max_retries=0, timeout=120)
ask = "What is the weather in Paris?"


class GetWeather(BaseModel):
    """The weather in a city"""

    city: str = Field(description="the city")


class Weather(BaseModel):
    """What the weather is"""

    sky: Literal["sunny", "rainy"]
    windy: bool


def reply(message: AIMessage):
    return {
        "content": message.content,
        "tool_calls": [{"name": call["name"], "args": call["args"], "id": call["id"]} for call in message.tool_calls],
        "stop_reason": message.response_metadata.get("stop_reason"),
        "stop_sequence": message.response_metadata.get("stop_sequence"),
        "usage": message.usage_metadata,
    }


def stream():
    merged = None
    for chunk in chat.stream(ask):
        merged = chunk if merged is None else merged + chunk
    return reply(merged)


def structured(method):
    schema = GetWeather if method == "function_calling" else Weather
    result = chat.with_structured_output(schema, method=method, include_raw=True).invoke(ask)
    parsed = result["parsed"]
    return {"parsed": parsed.model_dump() if parsed else None, "parsing_error": str(result["parsing_error"]) if result["parsing_error"] else None, "raw": reply(result["raw"])}


def image():
    picture = {"type": "image", "source_type": "base64", "mime_type": "image/png", "data": PNG_BASE64}
    first = HumanMessage(content=[picture, {"type": "text", "text": "What is in this picture?"}])
    answer = chat.invoke([first])
    return {"first": reply(answer), "next": reply(chat.invoke([first, answer, HumanMessage("And now?")]))}


def tool_loop():
    tools = [GetWeather]
    first = chat.bind_tools(tools, tool_choice="GetWeather").invoke(ask)
    # Where no call came (a server that cannot force one), the turn is written as if it had, so
    # that the tool result is still tried.
    turn = first if first.tool_calls else AIMessage(content="", tool_calls=[{"name": "GetWeather", "args": {"city": "Paris"}, "id": MADE_UP_CALL["id"]}])
    results = [ToolMessage(content="Sunny, 21 C", tool_call_id=call["id"]) for call in turn.tool_calls]
    second = chat.bind_tools(tools).invoke([HumanMessage(ask), turn, *results])
    return {"first": reply(first), "second": reply(second)}


run_cases({
    "plain": lambda: reply(chat.invoke(ask)),
    "stream": stream,
    "forced tool": lambda: reply(chat.bind_tools(TOOLS, tool_choice="get_weather").invoke(ask)),
    "any tool": lambda: reply(chat.bind_tools(TOOLS, tool_choice="any").invoke(ask)),
    "with_structured_output (function_calling)": lambda: structured("function_calling"),
    "with_structured_output (json_schema)": lambda: structured("json_schema"),
    "stop sequence": lambda: reply(chat.invoke(ask, stop=["."])),
    "count tokens": lambda: {"input_tokens": chat.get_num_tokens_from_messages([HumanMessage(ask)])},
    "image to a text-only model": image,
    "tool result, two turns": tool_loop,
})
