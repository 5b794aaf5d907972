"""Checking a tool call's arguments against the tool's schema, with errors an agent can act on.

Agents get arguments wrong in a handful of ways: a missing one, a misspelt one, a string where
a number belongs, a number out of range. Each comes back as one sentence naming the argument
and what the tool takes, so the next call can be right. Only the small part of JSON Schema the
tools use is understood (object, string, boolean, number, minimum/maximum); the schemas in
:mod:`bgview.agent.tools` are the only source of truth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bgview.agent.tools import JsonSchema, ToolSpec
from bgview.runtime.errors import BgviewError


class ToolCallError(BgviewError):
    """A tool call that cannot be carried out as given; the text says what to change."""


_TYPE_WORDS = {
    "string": "a string",
    "boolean": "true or false",
    "number": "a number",
    "integer": "a whole number",
}


def _json_type(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _check_value(tool: str, name: str, schema: JsonSchema, value: object) -> Any:
    kind = schema.get("type")
    ok = (
        (kind == "string" and isinstance(value, str))
        or (kind == "boolean" and isinstance(value, bool))
        # JSON has one number type; Python's bool is an int, and it is not a number here.
        or (kind == "number" and isinstance(value, int | float) and not isinstance(value, bool))
        # 3.0 is a whole number as JSON has it (some clients send every number as a float).
        or (
            kind == "integer"
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and float(value).is_integer()
        )
    )
    if not ok:
        want = _TYPE_WORDS.get(str(kind), str(kind))
        raise ToolCallError(
            f"{tool}: {name} must be {want}, not {_json_type(value)} ({_shown(value)})"
        )
    if kind == "string" and "enum" in schema and value not in schema["enum"]:
        takes = " or ".join(repr(option) for option in schema["enum"])
        raise ToolCallError(f"{tool}: {name} must be {takes}, not {_shown(value)}")
    if kind in ("number", "integer"):
        number = float(value)  # type: ignore[arg-type]  # checked just above
        if not math.isfinite(number):
            raise ToolCallError(f"{tool}: {name} must be a finite number, not {value!r}")
        low, high = schema.get("minimum"), schema.get("maximum")
        above = schema.get("exclusiveMinimum")
        if (
            (low is not None and number < low)
            or (high is not None and number > high)
            or (above is not None and number <= above)
        ):
            lower = f"more than {above:g}" if above is not None else f"at least {low:g}"
            upper = f" and at most {high:g}" if high is not None else ""
            raise ToolCallError(f"{tool}: {name} must be {lower}{upper}, not {value:g}")
        return int(number) if kind == "integer" else number
    return value


def check_arguments(spec: ToolSpec, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
    """The arguments, checked against ``spec``'s schema; raises :class:`ToolCallError`.

    Optional arguments given as JSON ``null`` count as not given: some clients send every
    optional argument, unset ones as null.
    """
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        raise ToolCallError(
            f"{spec.name}: the arguments must be a JSON object, not {_json_type(arguments)}"
        )
    properties: dict[str, JsonSchema] = spec.parameters["properties"]
    required: list[str] = spec.parameters["required"]
    unknown = [key for key in arguments if key not in properties]
    if unknown:
        takes = ", ".join(properties) or "no arguments"
        raise ToolCallError(f"{spec.name}: unknown argument {unknown[0]!r} (it takes: {takes})")
    checked: dict[str, Any] = {}
    for name, schema in properties.items():
        value = arguments.get(name)
        if value is None:
            if name in required:
                raise ToolCallError(f"{spec.name}: missing required argument {name!r}")
            continue
        checked[name] = _check_value(spec.name, name, schema, value)
    return checked
