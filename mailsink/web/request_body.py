"""Request bodies read as Mailpit's Go handlers read them, plus the form bodies of the PyPI client.

Go's `encoding/json` matches keys case-insensitively (`ids` == `IDs`), ignores unknown keys and
takes `null` as the zero value; `field` does the same lookup on any JSON object, nested ones
included. `mailpit-api-client` sends `application/x-www-form-urlencoded` bodies (`ids=a&ids=b&
Read=true`); they are read into the same shape, a repeated key becoming a list, so endpoints do
not care which they got. Bad bodies raise `BadRequest` with the text the client will see.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

JSONObject = dict[str, Any]
FORM_TYPE = "application/x-www-form-urlencoded"
TRUE_TEXTS = frozenset({"1", "true", "t", "yes", "on"})
FALSE_TEXTS = frozenset({"", "0", "false", "f", "no", "off"})


class BadRequest(Exception):
    """A request the client must fix; `str(error)` is the answer's text."""


async def read_object(request: Request, *, empty: JSONObject | None = None) -> JSONObject:
    """The body as an object. An empty body gives `empty`, or raises `EOF` (Go's text) when
    `empty` is None; a body that is not a JSON object raises with what was wrong."""
    raw = await request.body()
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == FORM_TYPE:
        return form_object(raw)
    if not raw.strip():
        if empty is None:
            raise BadRequest("EOF")
        return empty
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise BadRequest(f"invalid JSON body: {error}") from None
    if not isinstance(body, dict):
        raise BadRequest(f"expected a JSON object, got {type(body).__name__}")
    return body


def form_object(raw: bytes) -> JSONObject:
    """`a=1&b=2&b=3` → {"a": "1", "b": ["2", "3"]}."""
    fields: JSONObject = {}
    for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
        if key in fields:
            previous = fields[key]
            fields[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[key] = value
    return fields


def field(body: JSONObject, name: str) -> Any:
    """The value of key `name`, matched as Go matches it: exactly, else case-insensitively."""
    if name in body:
        return body[name]
    lowered = name.lower()
    for key, value in body.items():
        if key.lower() == lowered:
            return value
    return None


def string_field(body: JSONObject, name: str) -> str:
    value = field(body, name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"expected {name} to be a string, got {json.dumps(value)}")
    return value


def string_list_field(body: JSONObject, name: str) -> list[str]:
    """A list of strings; a single string (one form value) is a list of one."""
    value = field(body, name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"expected {name} to be a list of strings, got {json.dumps(value)}")
    return value


def bool_field(body: JSONObject, name: str) -> bool:
    """A JSON boolean, or a form value such as `true`, `True` or `1`; missing is false."""
    value = field(body, name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, list) and value:
        value = value[-1]
    if isinstance(value, str) and value.strip().lower() in TRUE_TEXTS | FALSE_TEXTS:
        return value.strip().lower() in TRUE_TEXTS
    raise BadRequest(f"expected {name} to be true or false, got {json.dumps(value)}")
