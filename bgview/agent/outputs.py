"""The JSON schemas of what each agent tool returns as data (MCP ``outputSchema``).

Since MCP 2025-06-18 a tool may declare the shape of its result and return it as
``structuredContent`` beside the text: a harness then reads ``result["id"]`` instead of parsing
``started bash_1``. :mod:`bgview.agent.results` builds the data; these schemas say what it
holds, and the tests validate every result against them with ``jsonschema``.

Every result has ``notices``: what the text's last lines tell (jobs that ended, became ready,
wait for input, matched a watched pattern), one object each. Strings are kept exact, as in
``bgview list --json``: JSON escapes control characters, so none reaches a terminal raw.
"""

from __future__ import annotations

from typing import Any

from bgview.runtime.facts import FactKind
from bgview.runtime.record import JobStatus

JsonSchema = dict[str, Any]

STATUSES = [status.value for status in JobStatus]
ENDED = "ended"
"""A notice's kind when it tells a job's end (the others are :class:`FactKind` values)."""
NOTICE_KINDS = [ENDED, *(kind.value for kind in FactKind)]


def _nullable(kind: str, description: str = "") -> JsonSchema:
    # anyOf rather than "type": [kind, "null"]: clients that map schemas onto a one-type
    # dialect (the OpenAPI subset of Gemini's function declarations) keep both branches.
    schema: JsonSchema = {"anyOf": [{"type": kind}, {"type": "null"}]}
    if description:
        schema["description"] = description
    return schema


def _object(properties: dict[str, JsonSchema], required: list[str]) -> JsonSchema:
    # Open objects: a field added later (a newer bgview) must not fail an older client's check.
    return {"type": "object", "properties": properties, "required": required}


NOTICE: JsonSchema = _object(
    {
        "id": {"type": "string", "description": "The job the notice is about."},
        "kind": {
            "type": "string",
            "enum": NOTICE_KINDS,
            "description": "ended, or what a running job did (ready, input, match, …).",
        },
        "status": {"type": "string", "enum": STATUSES, "description": "The job's status now."},
        "text": {"type": "string", "description": "The notice line, as in the text."},
    },
    ["id", "kind", "status", "text"],
)

_NOTICES: JsonSchema = {
    "type": "array",
    "items": NOTICE,
    "description": "Notices given since the previous call, oldest first, each once.",
}

JOB_FIELDS: dict[str, JsonSchema] = {
    "id": {"type": "string", "description": "The job's id: bash_1, bash_2, …"},
    "name": _nullable("string", "The name given with name, if any."),
    "status": {"type": "string", "enum": STATUSES},
    "exit_code": _nullable("integer", "The command's exit code, once it exited."),
    "signal": _nullable("string", "The signal that ended it (SIGTERM …)."),
    "killed_by": _nullable("string", "Who asked for the kill: agent, user, owner-exit, …"),
    "reason": _nullable("string", "Why it failed or was lost, in words."),
    "keep": {"type": "boolean", "description": "It outlives the session that started it."},
    "wall_seconds": {"type": "number", "description": "From its start to its end (or now)."},
    "output_bytes": {"type": "integer", "description": "Every byte it wrote so far."},
    "log_path": {"type": "string", "description": "Its output.log: every byte, exactly."},
    "ready": _nullable("boolean", "Whether its ready condition is met; null without one."),
    "ready_detail": _nullable("string", "What made it ready, or why it is not."),
    "urls": {"type": "array", "items": {"type": "string"}, "description": "Local URLs printed."},
    "ports": {
        "type": "array",
        "items": {"type": "integer"},
        "description": "TCP ports its processes listen on.",
    },
    "waiting_for_input": {"type": "boolean", "description": "It waits at a prompt."},
    "prompt": _nullable("string", "The prompt it waits at, if it printed one."),
    "restarts": {"type": "integer", "description": "Times its restart policy ran it again."},
    "restart_of": _nullable("string", "The job this one restarts (bgview restart), if any."),
}
"""A job as every tool's data gives it: what an agent acts on, a subset of ``list --json``."""

READ_FIELDS: dict[str, JsonSchema] = {
    "lines": {
        "type": "array",
        "items": {"type": "string"},
        "description": "The new complete lines (cleaned: no ANSI codes), without newlines.",
    },
    "dropped": {
        "type": "integer",
        "description": "Bytes the log size cap dropped before this read could see them.",
    },
    "next": {"type": "integer", "description": "The log offset the next read starts from."},
    "more": {"type": "boolean", "description": "Cut at the per-read limit: read again."},
    "unread": {"type": "integer", "description": "Bytes of output after next, right now."},
}
"""What a cursor read gives: ``bash_output``, and a foreground ``bash``."""

BASH: JsonSchema = _object(
    {
        **JOB_FIELDS,
        "background": {
            "type": "boolean",
            "description": (
                "The job runs on after this answer (started in the background, ready, "
                "waiting for input, or moved there at the timeout)."
            ),
        },
        **{key: value for key, value in READ_FIELDS.items() if key != "lines"},
        "lines": {
            **READ_FIELDS["lines"],
            "description": "A foreground command's output (empty for a background start).",
        },
        "notices": _NOTICES,
    },
    ["id", "status", "background", "notices"],
)
BASH_OUTPUT: JsonSchema = _object(
    {**JOB_FIELDS, **READ_FIELDS, "notices": _NOTICES},
    ["id", "status", "lines", "dropped", "next", "notices"],
)
KILL_SHELL: JsonSchema = _object(
    {
        **JOB_FIELDS,
        "already_ended": {"type": "boolean", "description": "It had ended before the call."},
        "notices": _NOTICES,
    },
    ["id", "status", "already_ended", "notices"],
)
WRITE_STDIN: JsonSchema = _object(
    {
        "id": JOB_FIELDS["id"],
        "status": JOB_FIELDS["status"],
        "sent": {"type": "integer", "description": "Characters typed into its terminal."},
        "notices": _NOTICES,
    },
    ["id", "status", "sent", "notices"],
)

LISTED_JOB: JsonSchema = _object(
    {
        **{k: v for k, v in JOB_FIELDS.items() if k not in ("wall_seconds", "ports")},
        "command": {"type": "string"},
        "argv": {"type": "array", "items": {"type": "string"}},
        "cwd": {"type": "string"},
        "project": {"type": "string"},
        "pid": _nullable("integer"),
        "owner_pid": _nullable("integer"),
        "timeout": _nullable("number"),
        "started_at": {"type": "number", "description": "Unix time."},
        "ended_at": _nullable("number", "Unix time."),
        "dropped_bytes": {"type": "integer"},
        "ports": {"type": "array", "items": {"type": "object"}},
        "processes": {"type": "array", "items": {"type": "object"}},
        "cpu_percent": _nullable("number"),
        "rss_bytes": _nullable("integer"),
    },
    ["id", "status", "command", "cwd", "started_at", "log_path"],
)
"""One job as ``bgview list --json`` gives it (its every field; the main ones described)."""

LIST_SHELLS: JsonSchema = _object(
    {
        "jobs": {
            "type": "array",
            "items": LISTED_JOB,
            "description": "Running jobs first, then the most recent ended ones.",
        },
        "hidden": {"type": "integer", "description": "Older ended jobs not included."},
        "notices": _NOTICES,
    },
    ["jobs", "hidden", "notices"],
)

BY_TOOL: dict[str, JsonSchema] = {
    "bash": BASH,
    "bash_output": BASH_OUTPUT,
    "kill_shell": KILL_SHELL,
    "list_shells": LIST_SHELLS,
    "write_stdin": WRITE_STDIN,
}
"""Each tool's output schema, by the tool's name."""
