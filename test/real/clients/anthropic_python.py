"""The official Python SDK (PyPI's `anthropic`), used as its documentation shows, against the
Messages API at argv[1]. Runs every case of the client suite and prints one JSON object: for each
case what the SDK returned (its own types, read back as plain values), or the exception it raised.
"""

import sys
from typing import Literal

import anthropic
from pydantic import BaseModel

from cases import MADE_UP_CALL, MODEL, PNG_BASE64, TOOLS, run_cases

client = anthropic.Anthropic(base_url=sys.argv[1], api_key="client-suite", max_retries=0, timeout=120)
ask = [{"role": "user", "content": "What is the weather in Paris?"}]


class Weather(BaseModel):
    sky: Literal["sunny", "rainy"]
    windy: bool


def message(reply):
    return {
        "id": reply.id,
        "stop_reason": reply.stop_reason,
        "stop_sequence": reply.stop_sequence,
        "content": [block.model_dump(exclude_none=True) for block in reply.content],
        "usage": {"input_tokens": reply.usage.input_tokens, "output_tokens": reply.usage.output_tokens},
    }


def plain():
    return message(client.messages.create(model=MODEL, max_tokens=64, messages=ask))


def stream():
    with client.messages.stream(model=MODEL, max_tokens=64, messages=ask) as events:
        text = "".join(events.text_stream)
        final = events.get_final_message()
    return {**message(final), "streamed_text": text}


def forced(choice):
    return message(client.messages.create(model=MODEL, max_tokens=128, messages=ask, tools=TOOLS, tool_choice=choice))


def forced_stream():
    with client.messages.stream(model=MODEL, max_tokens=128, messages=ask, tools=TOOLS, tool_choice={"type": "tool", "name": "get_weather"}) as events:
        return message(events.get_final_message())


def parse():
    reply = client.messages.parse(model=MODEL, max_tokens=128, messages=ask, output_format=Weather)
    return {**message(reply), "parsed_output": reply.parsed_output.model_dump() if reply.parsed_output else None}


def stop_sequence():
    return message(client.messages.create(model=MODEL, max_tokens=64, messages=ask, stop_sequences=["."]))


def count_tokens():
    return {"input_tokens": client.messages.count_tokens(model=MODEL, messages=ask, tools=TOOLS).input_tokens}


def bad_request():
    try:
        client.messages.create(model=MODEL, max_tokens=64, messages=[])
    except anthropic.APIStatusError as error:
        return {"raised": type(error).__name__, "status": error.status_code, "body": error.body}
    return {"raised": None}


def image():
    picture = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_BASE64}}
    first = [{"role": "user", "content": [picture, {"type": "text", "text": "What is in this picture?"}]}]
    reply = client.messages.create(model=MODEL, max_tokens=64, messages=first)
    # The session goes on: the next turn resends the picture in its history, as Claude Code does.
    history = first + [{"role": "assistant", "content": reply.content}, {"role": "user", "content": "And now?"}]
    return {"first": message(reply), "next": message(client.messages.create(model=MODEL, max_tokens=64, messages=history))}


def tool_loop():
    first = client.messages.create(model=MODEL, max_tokens=128, messages=ask, tools=TOOLS, tool_choice={"type": "tool", "name": "get_weather"})
    # Where no call came (a server that cannot force one), the turn is written as if it had, so
    # that the tool result is still tried.
    turn = [block.model_dump(exclude_none=True) for block in first.content]
    if not any(block["type"] == "tool_use" for block in turn):
        turn = [MADE_UP_CALL]
    results = [{"type": "tool_result", "tool_use_id": block["id"], "content": "Sunny, 21 C"} for block in turn if block["type"] == "tool_use"]
    history = ask + [{"role": "assistant", "content": turn}, {"role": "user", "content": results}]
    second = client.messages.create(model=MODEL, max_tokens=64, messages=history, tools=TOOLS)
    return {"first": message(first), "second": message(second)}


run_cases({
    "plain": plain,
    "stream": stream,
    "forced tool": lambda: forced({"type": "tool", "name": "get_weather"}),
    "forced tool, streamed": forced_stream,
    "any tool": lambda: forced({"type": "any"}),
    "structured output (messages.parse)": parse,
    "stop sequence": stop_sequence,
    "count_tokens": count_tokens,
    "bad request": bad_request,
    "image to a text-only model": image,
    "tool result, two turns": tool_loop,
})
