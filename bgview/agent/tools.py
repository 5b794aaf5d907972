"""The agent tools, defined once: names, descriptions and JSON schemas of their arguments.

Every way in reads from :data:`TOOLS`: the Anthropic and OpenAI tool lists for harness authors
(:func:`anthropic_tools`, :func:`openai_tools`), the MCP server's ``tools/list``, and the
argument checks of :mod:`bgview.agent.arguments`. Changing a tool here changes it everywhere.
What each tool returns as data is described in :mod:`bgview.agent.outputs` (MCP's
``outputSchema``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

from bgview.agent.outputs import BY_TOOL as OUTPUTS

MAX_TIMEOUT = 600.0
"""The longest a foreground ``bash`` waits before moving its command to the background."""
DEFAULT_TIMEOUT = 120.0
DEFAULT_READY_TIMEOUT = 60.0
"""How long ``bash`` with ``ready`` waits for the job to be ready, unless told."""
MAX_WAIT = 600.0
"""The longest ``bash_output`` may wait for new output."""

JsonSchema = dict[str, Any]


@dataclass(frozen=True)
class ToolSpec:
    """One tool as an agent sees it."""

    name: str
    description: str
    parameters: JsonSchema
    """A JSON Schema object describing the arguments."""

    def schema(self) -> JsonSchema:
        """A fresh copy of the argument schema (callers may mutate what they are given)."""
        return copy.deepcopy(self.parameters)

    def output_schema(self) -> JsonSchema:
        """A fresh copy of the schema of the tool's result data (MCP ``outputSchema``)."""
        return copy.deepcopy(OUTPUTS[self.name])


def _object(properties: dict[str, JsonSchema], required: list[str]) -> JsonSchema:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_SHELL_ID: JsonSchema = {
    "type": "string",
    "description": "The job's id, as returned by bash: bash_1, bash_2, …",
}

BASH = ToolSpec(
    name="bash",
    description=(
        "Run a shell command (bash -c) in the project directory, in a terminal (pty).\n"
        "Foreground (default): waits for it and returns its output (ANSI codes stripped, at most "
        "30,000 characters; the rest stays readable with bash_output) and how it ended. If it "
        "is still running after `timeout` seconds it is NOT killed: it is moved to the "
        "background and the result says `still running as bash_N`.\n"
        "run_in_background=true: returns at once with `started bash_N`; use it for dev "
        "servers, watchers and long builds, then read with bash_output and stop with "
        "kill_shell. Every job gets an id and a log, and a person can watch it live with "
        "`bgview`. When a background job ends, a notice such as "
        "`[bg:bash_3 exited 0, 1.4MB out, 12s wall]` is added to the end of your next tool "
        "result.\n"
        "ready (implies run_in_background): answer once the job is ready instead of at once "
        "— `bash_1 ready after 2.3s: http://localhost:5173/` with its last lines — or say why "
        'it is not (it ended, it waits for input, the timeout came). "auto": it listens on a '
        'TCP port or prints a local URL; a port number ("5173"); or a regex its output must '
        "match.\n"
        "notify_on: a regex; each new matching line is told as a notice "
        "(`[bg:bash_2 matched /ERROR/: ...]`), bursts counted, at most 20.\n"
        "Notices also say when a job waits for input (`[bg:bash_3 waiting for input: "
        '"Continue? [y/N]"]`: answer with write_stdin).\n'
        'restart (implies run_in_background): "on-failure" runs it again when it exits '
        'non-zero or crashes, "always" also after exit 0 — up to max_restarts times (default '
        "5), after backoff seconds (default 1) doubled at each restart, at most 60; one id "
        "throughout, each restart a notice (`[bg:bash_2 restarted (2 of 5) after exit 1]`); "
        "kill_shell stops it.\n"
        "Jobs end when this session ends unless keep=true."
    ),
    parameters=_object(
        {
            "command": {"type": "string", "description": "The command, as one shell string."},
            "run_in_background": {
                "type": "boolean",
                "description": "Return at once with the job's id instead of waiting.",
                "default": False,
            },
            "timeout": {
                "type": "number",
                "description": (
                    f"Foreground: seconds (not milliseconds) to wait, default "
                    f"{DEFAULT_TIMEOUT:g}, at most {MAX_TIMEOUT:g}; then the command is moved "
                    f"to the background. With ready: seconds to wait for readiness (default "
                    f"{DEFAULT_READY_TIMEOUT:g}; the job runs on either way)."
                ),
                "exclusiveMinimum": 0,
                "maximum": MAX_TIMEOUT,
                "default": DEFAULT_TIMEOUT,
            },
            "description": {
                "type": "string",
                "description": "A few words on what the command is for (echoed in the result).",
            },
            "name": {
                "type": "string",
                "description": (
                    "A name to show beside the id (e.g. `dev`); refused while another running "
                    "job has it, so one dev server cannot be started twice."
                ),
            },
            "keep": {
                "type": "boolean",
                "description": "Let the job outlive this session (default: it ends with it).",
                "default": False,
            },
            "ready": {
                "type": "string",
                "description": (
                    'When the job is ready: "auto" (it listens on a TCP port or prints a '
                    'local URL), a port number such as "5173", or a Python regex its output '
                    "must match. The call answers once it is (or why it is not)."
                ),
            },
            "restart": {
                "type": "string",
                "enum": ["on-failure", "always"],
                "description": (
                    "Run the command again when it ends: after a failure (non-zero exit, a "
                    "crash), or always; never after kill_shell."
                ),
            },
            "max_restarts": {
                "type": "integer",
                "description": "With restart: how many times at most (default 5).",
                "minimum": 0,
                "maximum": 10000,
            },
            "backoff": {
                "type": "number",
                "description": (
                    "With restart: seconds before the first restart (default 1), doubled at "
                    "each one, at most 60; a command that crashes within a second waits at "
                    "least a second."
                ),
                "minimum": 0,
                "maximum": 60,
            },
            "size": {
                "type": "string",
                "description": (
                    'The terminal\'s size, "COLUMNSxROWS" (default "120x40"): output is laid '
                    "out for it, and cleaned reads are what a terminal of that size shows."
                ),
            },
            "notify_on": {
                "type": "string",
                "description": (
                    "A Python regex: each new line of output matching it comes as a notice "
                    "(matches within 2 s of one are counted, at most 20 notices)."
                ),
            },
        },
        ["command"],
    ),
)

BASH_OUTPUT = ToolSpec(
    name="bash_output",
    description=(
        "New output of a job since your last bash_output (or bash) on it: only complete lines, "
        "ANSI codes stripped, progress bars in their final form, at most 30,000 characters per "
        "call. Ends with the job's state. `filter` keeps only lines matching a regex, `exclude` "
        "drops lines matching one (lines filtered out are consumed too). `wait_seconds` waits "
        "up to that long and returns as soon as there is new (matching) output or the job ends."
    ),
    parameters=_object(
        {
            "shell_id": _SHELL_ID,
            "filter": {
                "type": "string",
                "description": "A Python regex: return only the lines that match it.",
            },
            "exclude": {
                "type": "string",
                "description": "A Python regex: leave out the lines that match it.",
            },
            "wait_seconds": {
                "type": "number",
                "description": (
                    f"Wait up to this long (0 to {MAX_WAIT:g} seconds) for new output or the "
                    "job's end."
                ),
                "minimum": 0,
                "maximum": MAX_WAIT,
            },
            "since": {
                "type": "string",
                "description": (
                    "Instead of new output: every line written since then, a duration ago "
                    "(5m, 90s, 1h30m) or a clock time (14:00); moves no cursor, gives the "
                    "newest 30,000 characters."
                ),
            },
        },
        ["shell_id"],
    ),
)

KILL_SHELL = ToolSpec(
    name="kill_shell",
    description=(
        "Stop a job: SIGTERM to its whole process group, SIGKILL after a grace period; returns "
        "once every process is gone, with the job's final notice."
    ),
    parameters=_object({"shell_id": _SHELL_ID}, ["shell_id"]),
)

LIST_SHELLS = ToolSpec(
    name="list_shells",
    description=(
        "The project's jobs: id, state, wall time, output size and command; running ones first. "
        "Under the table, what each running job is doing: its processes with CPU and memory, "
        "the ports it listens on and the URLs it printed, whether it is ready, whether it "
        "waits for input (and its prompt), its watched pattern."
    ),
    parameters=_object({}, []),
)

WRITE_STDIN = ToolSpec(
    name="write_stdin",
    description=(
        "Type text into a running job's terminal, e.g. to answer a prompt. Nothing is added: "
        "end the text with a newline to press Enter. Control characters work as keys: "
        "\\u0003 is Ctrl+C, \\u0004 is Ctrl+D. Read the job's response with bash_output."
    ),
    parameters=_object(
        {
            "shell_id": _SHELL_ID,
            "text": {"type": "string", "description": "What to type (include \\n for Enter)."},
        },
        ["shell_id", "text"],
    ),
)

TOOLS: tuple[ToolSpec, ...] = (BASH, BASH_OUTPUT, KILL_SHELL, LIST_SHELLS, WRITE_STDIN)
"""Every tool, in the order agents are shown them."""

BY_NAME: dict[str, ToolSpec] = {tool.name: tool for tool in TOOLS}


def anthropic_tools() -> list[JsonSchema]:
    """The tools in the Anthropic Messages API format (``tools=[...]``)."""
    return [
        {"name": t.name, "description": t.description, "input_schema": t.schema()} for t in TOOLS
    ]


def openai_tools(api: Literal["chat", "responses"] = "chat") -> list[JsonSchema]:
    """The tools in the OpenAI format: Chat Completions (default) or the Responses API.

    For the Responses API each function says ``"strict": false``: that API takes a missing
    ``strict`` for strict mode, which requires every property to be listed as required and
    makes the model fill every optional argument (a ``timeout``, a ``filter``) on every call.
    """
    if api == "responses":
        return [
            {
                "type": "function",
                "name": t.name,
                "description": t.description,
                "parameters": t.schema(),
                "strict": False,
            }
            for t in TOOLS
        ]
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.schema()},
        }
        for t in TOOLS
    ]
