"""What a job is doing, gathered by its supervisor: real servers, prompts, busy loops, memory,
watched patterns — and the rules that read its output, tested on their own.

Jobs are real commands in real ptys. Waits are for what the test needs, with a deadline; the
two tests that prove something does *not* happen watch for it over a few seconds.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time

import pytest

from bgview.runtime import Job, Runtime
from bgview.runtime.facts import NO_FACTS, FactEvent, FactKind, Facts, PortFact, ProcessFact
from bgview.runtime.fsio import DirFd
from bgview.runtime.journal import NOTICES_LOG, append_event, promise_notice_room
from bgview.runtime.journal import read_number as journal_number
from bgview.runtime.outputfacts import MAX_LINE, URL_RATE, OutputScan, is_local
from bgview.runtime.present import rows, status_cell
from bgview.runtime.procfacts import _address
from tests.conftest import RunCli
from tests.runtime.helpers import FakeJob, until
from tests.support import free_port

PY = sys.executable


def listed(cli: RunCli) -> dict[str, dict[str, object]]:
    """``bgview list --json``, by id."""
    done = cli("list", "--json")
    assert done.returncode == 0, done.stderr
    return {job["id"]: job for job in json.loads(done.stdout)}


def fact(rt: Runtime, job_id: str, check: object, timeout: float = 10.0, what: str = "") -> Job:
    """The job once ``check(job)`` holds (fails the test after ``timeout``)."""

    def look() -> Job | None:
        job = rt.job(job_id)
        return job if check(job) else None  # type: ignore[operator]

    return until(look, timeout=timeout, what=what or "a fact")


def texts(rt: Runtime, consumer: str = "agent") -> list[str]:
    return [notice.text for notice in rt.notices(consumer)]


# ---- servers: ports, URLs, readiness ----------------------------------------------------------


def test_a_real_http_server_is_ready_auto_and_its_port_is_listed(cli: RunCli, rt: Runtime) -> None:
    port = free_port()
    server = [PY, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    done = cli("run", "--ready", "auto", "--", *server)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "bash_1\n"  # only the id: `id=$(bgview run --ready auto ...)`
    assert done.stderr.startswith("bash_1 ready after ")
    assert done.stderr.rstrip().endswith(f": http://127.0.0.1:{port}/")
    record = until(lambda: (r := listed(cli)["bash_1"])["ports"] and r, what="the port listed")
    assert record["ports"] == [{"port": port, "address": "127.0.0.1", "pid": record["pid"]}]
    assert record["urls"] == [f"http://127.0.0.1:{port}/"]
    assert (record["ready"], record["ready_condition"]) == (True, "auto")
    assert record["waiting_for_input"] is False and record["prompt"] is None
    processes = record["processes"]
    assert isinstance(processes, list) and processes[0]["pid"] == record["pid"]
    assert "http.server" in processes[0]["command"] and processes[0]["rss_bytes"] > 1 << 20
    assert isinstance(record["cpu_percent"], float) and isinstance(record["rss_bytes"], int)
    # The table says where it serves; the notice was given once, to each consumer.
    assert f"running http://127.0.0.1:{port}/" in cli("list").stdout
    assert [t for t in texts(rt) if "ready" in t] == [
        f"[bg:bash_1 ready after {done.stderr.split()[3][:-1]}: http://127.0.0.1:{port}/]"
    ]
    assert texts(rt) == []
    assert [t for t in texts(rt, "other") if "ready" in t] != []
    # Once it has ended, the record keeps what it printed and that it was ready, nothing more.
    job = rt.kill("bash_1", grace=1)
    assert job.facts.urls == (f"http://127.0.0.1:{port}/",) and job.ready is True
    assert (job.facts.processes, job.facts.ports, job.facts.cpu_percent) == ((), (), 0.0)


def test_ready_port_is_a_child_listening_without_a_word(cli: RunCli, rt: Runtime) -> None:
    port = free_port()
    quiet = f"sleep 0.3; {PY} -m http.server {port} --bind 127.0.0.1 >/dev/null 2>&1"
    done = cli("run", "--ready-port", str(port), quiet)
    assert done.returncode == 0, done.stderr
    assert done.stderr.rstrip().endswith(f"ready after {done.stderr.split()[3]} port {port}")
    job = fact(rt, "bash_1", lambda j: j.facts.ports, what="the port")
    server = [p for p in job.facts.processes if p.command.startswith(f"{PY} -m http.server")]
    assert len(server) == 1 and server[0].pid != job.pid  # bash leads; its child listens
    assert job.facts.ports == (PortFact(port, "127.0.0.1", server[0].pid),)
    assert job.facts.urls == ()
    assert f"running port {port}" in status_cell(job)


def test_a_job_that_ends_before_it_is_ready(cli: RunCli, rt: Runtime) -> None:
    done = cli("run", "--ready", "auto", "echo starting; exit 3")
    assert done.returncode == 1
    assert done.stdout == "bash_1\n"
    assert done.stderr.startswith("bash_1 ended before it was ready: [bg:bash_1 exited 3, ")
    record = listed(cli)["bash_1"]
    assert (record["ready"], record["ready_detail"]) == (False, "it ended before it was ready")
    # Not ready by the timeout: exit 1, the id printed, the job runs on, `wait --ready` too.
    done = cli("run", "--ready", "never", "--ready-timeout", "0.5", "sleep 30")
    assert (done.returncode, done.stdout) == (1, "bash_2\n")
    assert done.stderr == "bash_2 not ready after 0.5s (waiting for /never/); it is still running\n"
    assert rt.job("bash_2").running and rt.job("bash_2").starting
    assert "starting" in cli("list").stdout
    done = cli("wait", "bash_2", "--ready", "--timeout", "0.2")
    assert done.returncode == 1 and "not ready after 0.2s" in done.stderr
    done = cli("wait", "bash_1", "--ready")
    assert done.returncode == 1 and "ended before it was ready" in done.stderr
    # A job given no condition has nothing to wait for; bad conditions are refused.
    cli("run", "true")
    assert cli("wait", "bash_3", "--ready").returncode == 2
    assert cli("run", "--ready", "(", "true").stderr.startswith("bgview: invalid ready regex '('")
    assert "not a TCP port" in cli("run", "--ready-port", "70000", "true").stderr
    assert "matches an empty line" in cli("run", "--notify-on", "x*", "true").stderr
    assert len(rt.jobs()) == 3  # nothing was started for the refused ones


def test_a_ready_pattern_matches_coloured_output(rt: Runtime) -> None:
    command = "echo compiling; sleep 0.3; printf '\\033[32mready\\033[0m in 42 ms\\n'; sleep 30"
    job = rt.start(command, ready=r"ready in \d+ ms")
    assert job.ready is False and job.starting and rows([job])[0][1] == "starting"
    job, ready = rt.wait(job.id, ready=True, timeout=10)
    assert ready and job.facts.ready_detail == "ready in 42 ms"
    assert 0.3 <= (job.facts.ready_after or 0) < 5
    assert texts(rt) == [f"[bg:{job.id} ready after {job.facts.ready_after:.1f}s: ready in 42 ms]"]


def test_urls_it_printed_newest_first_and_only_local_ones(rt: Runtime) -> None:
    lines = [
        "  \\033[32m➜\\033[39m  Local:   \\033[36mhttp://localhost:\\033[1m5173\\033[22m/\\033[39m",
        "npm notice New version: https://github.com/npm/cli/releases/tag/v11.0.0",
        "Server listening on port 3000",
        "Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)",
        "again: http://localhost:5173/.",
    ]
    command = "".join(f"printf '{line}\\n'; " for line in lines) + "sleep 30"
    job = fact(rt, rt.start(command).id, lambda j: len(j.facts.urls) == 3, what="three URLs")
    assert job.facts.urls == (
        "http://localhost:5173/",
        "http://127.0.0.1:8000",
        "http://localhost:3000",
    )
    assert job.ready is None  # no condition: nothing is "ready", and no notice says so
    assert texts(rt) == []


# ---- waiting for input ------------------------------------------------------------------------


def test_a_prompt_is_waiting_for_input(rt: Runtime) -> None:
    job = rt.start("read -p 'Continue? [y/N] ' answer; echo got $answer; sleep 30")
    until(lambda: b"Continue?" in job.log_path.read_bytes(), what="the prompt")
    shown = time.monotonic()
    job = fact(rt, job.id, lambda j: j.facts.waiting_for_input, what="waiting for input")
    assert time.monotonic() - shown <= 4.5  # 3 s of quiet, then told at once
    assert job.facts.prompt == "Continue? [y/N]"
    assert f"running {chr(0x2328)} input" in status_cell(job)
    assert texts(rt) == [f'[bg:{job.id} waiting for input: "Continue? [y/N]"]']
    rt.write_stdin(job.id, "y\n")
    job = fact(rt, job.id, lambda j: not j.facts.waiting_for_input, what="the wait to end")
    assert job.facts.prompt is None
    until(lambda: b"got y" in job.log_path.read_bytes(), what="the answer taken")
    assert texts(rt) == []  # once per wait: `sleep` reads nothing


def test_not_waiting_while_it_prints_nor_while_it_sleeps(rt: Runtime) -> None:
    ticking = rt.start("(while :; do echo tick; sleep 0.4; done) & read -p 'Continue? ' x")
    sleeping = rt.start("sleep 30")
    deadline = time.monotonic() + 5.0  # past the 3 s of quiet and a refresh after it
    while time.monotonic() < deadline:
        for job in (rt.job(ticking.id), rt.job(sleeping.id)):
            assert not job.facts.waiting_for_input, job.id
        time.sleep(0.05)
    assert rt.job(sleeping.id).facts.process_count == 1  # facts were gathered all along
    assert texts(rt) == []


# ---- processes: CPU and memory ----------------------------------------------------------------


def test_a_busy_loop_uses_most_of_a_core(rt: Runtime) -> None:
    job = rt.start([PY, "-c", "while True: pass"])
    # Long enough for a core to come free on a machine shared with other test runs.
    job = fact(rt, job.id, lambda j: j.facts.cpu_percent > 50, timeout=40, what="over 50% CPU")
    (busy,) = job.facts.processes
    assert busy.pid == job.pid and busy.cpu_percent > 50


def test_a_child_that_allocates_100_mb_is_resident(rt: Runtime) -> None:
    code = "import time; data = b'x' * (100 << 20); print('allocated', flush=True); time.sleep(300)"
    job = rt.start(f"{shlex.quote(PY)} -c {shlex.quote(code)}; true")
    job = fact(rt, job.id, lambda j: j.facts.rss_bytes >= 100 << 20, what="100 MB resident")
    leader, child = job.facts.processes
    assert leader.pid == job.pid and child.pid != job.pid and "allocated" in child.command
    assert child.rss_bytes >= 100 << 20 and job.facts.process_count == 2
    assert job.facts.rss_bytes == leader.rss_bytes + child.rss_bytes


# ---- watching a pattern -----------------------------------------------------------------------


def test_a_burst_of_matches_is_counted_within_the_cooldown(rt: Runtime) -> None:
    burst = "\\n".join(f"ERROR {n}" for n in range(1, 16))
    job = rt.start(f"echo fine; printf '{burst}\\n'; sleep 30", notify_on="ERROR")
    told: list[str] = []
    until(lambda: told.extend(texts(rt)) or len(told) == 2, what="the match and the count")
    assert told == [
        f"[bg:{job.id} matched /ERROR/: ERROR 1]",
        f"[bg:{job.id} matched /ERROR/ 14 more times in 2s]",
    ]
    assert rt.job(job.id).facts.matches == 15


def test_a_watch_stops_after_twenty_notices(rt: Runtime) -> None:
    script = 'for i in $(seq 1 26); do echo "ERROR $i"; sleep 0.35; done; echo done; sleep 30'
    job = rt.start(script, notify_on=r"ERROR \d+", notify_cooldown=0.1)
    told: list[str] = []
    until(
        lambda: told.extend(texts(rt)) or any("stopped" in t for t in told),
        timeout=30,
        what="the watch to stop",
    )
    assert told[0] == f"[bg:{job.id} matched /ERROR \\d+/: ERROR 1]"
    assert len(told) == 21 and all("matched" in t for t in told[:20])
    total = rt.job(job.id).facts.matches
    assert told[20] == f"[bg:{job.id} watch for /ERROR \\d+/ stopped after {total} matches]"
    until(lambda: b"done" in job.log_path.read_bytes(), timeout=20, what="the last lines")
    assert texts(rt) == []  # the lines after the cap are not told
    assert rt.job(job.id).facts.watch_stopped == f"after {total} matches"


def test_a_pattern_that_would_backtrack_for_ever_is_given_up(rt: Runtime, cli: RunCli) -> None:
    line = "a" * 40  # (a+)+$b tries 2**40 ways on it: hours in a backtracking engine
    job = rt.start(f"echo {line}; sleep 0.2; echo after; sleep 30", notify_on="(a+)+$b")
    told = until(lambda: texts(rt), timeout=10, what="the watch given up")
    assert told == [
        f"[bg:{job.id} watch for /(a+)+$b/ stopped: its pattern took too long to match "
        "(over 0.1s of CPU on one block of output)]"
    ]
    until(lambda: b"after" in job.log_path.read_bytes(), what="output still captured")
    done = cli("run", "--ready", "(a+)+$b", f"echo {line}; sleep 30")
    assert done.returncode == 1 and "cannot become ready: its pattern took too long" in done.stderr
    assert rt.kill(job.id, grace=1).status.ended


# ---- the record and the notices, without processes -------------------------------------------


def test_facts_json_is_read_for_a_running_job_and_damage_hides_nothing(rt: Runtime) -> None:
    fake = FakeJob(rt)
    try:
        facts = Facts(
            updated_at=1.0,
            cpu_percent=12.5,
            rss_bytes=3 << 20,
            process_count=1,
            processes=(ProcessFact(42, "node server.js", 12.5, 3 << 20),),
            ports=(PortFact(5173, "::", 42),),
            urls=("http://localhost:5173/",),
            waiting_for_input=True,
            prompt="Continue?",
        )
        (fake.dir / "facts.json").write_text(json.dumps(facts.to_dict()))
        assert rt.job(fake.id).facts == facts
        record = rt.job(fake.id).to_json()
        assert record["ports"] == [{"port": 5173, "address": "::", "pid": 42}]
        assert (record["ready"], record["waiting_for_input"]) == (None, True)
        for garbage in ('{"processes": 3}', "[]", "{", '{"ready": "yes"}'):
            (fake.dir / "facts.json").write_text(garbage)
            assert rt.job(fake.id).facts == NO_FACTS  # listed all the same
    finally:
        fake.end()


def test_an_event_keeps_the_room_promised_to_jobs_ends(rt: Runtime) -> None:
    rt.project.ensure()
    project = DirFd.open(rt.project.dir)
    try:
        promise_notice_room(project)
        promise_notice_room(project)
        log = rt.project.dir / NOTICES_LOG

        def room() -> int:
            fd = os.open(rt.project.dir / "notices.room", os.O_RDONLY)
            try:
                return (journal_number(fd) or 0) - os.stat(log).st_size
            finally:
                os.close(fd)

        before = room()
        event = FactEvent(FactKind.MATCH, "ERROR \x1b[31mred", "ERROR")
        append_event(project, "bash_1", event.to_dict())
        assert room() == before == 128
        line = log.read_bytes().splitlines()[-1]
        assert line.startswith(b"bash_1 {") and b"\x1b" not in line  # JSON escapes it
    finally:
        project.close()


@pytest.mark.parametrize(
    ("chunks", "urls"),
    [
        # a URL cut in two by the pty's reads is found whole
        ([b"see http://local", b"host:5173/ now\n"], ["http://localhost:5173/"]),
        # colour codes inside it are stripped; prose punctuation around it is not part of it
        ([b"(\x1b[36mhttp://[::1]:8000/\x1b[0m).\n"], ["http://[::1]:8000/"]),
        # `listening` without a scheme, with a host or only a port
        ([b"Listening on 0.0.0.0:8080\n", b"listening on port 3000\n"],
         ["http://localhost:3000", "http://0.0.0.0:8080"]),
        # a private network's address counts; a web site does not
        ([b"Network: http://192.168.1.5:5173/\nDocs: https://vite.dev/guide\n"],
         ["http://192.168.1.5:5173/"]),
        # a URL printed again becomes the newest
        ([b"http://a.localhost:1/\nhttp://127.0.0.1:2/\nhttp://a.localhost:1/\n"],
         ["http://a.localhost:1/", "http://127.0.0.1:2/"]),
        # a line past MAX_LINE without its newline: its start is searched, its rest skipped
        ([b"http://localhost:9/ " + b"x" * MAX_LINE, b"y" * 100 + b"http://localhost:10/\n"],
         ["http://localhost:9/"]),
    ],
)  # fmt: skip
def test_urls_found_in_output(chunks: list[bytes], urls: list[str]) -> None:
    scan = OutputScan()
    for chunk in chunks:
        scan.feed(chunk)
    assert scan.urls == urls


def test_a_firehose_is_looked_at_for_urls_only_at_the_end_of_its_blocks() -> None:
    scan = OutputScan()
    block = b"x" * 99 + b"\n"
    scan.feed(block * (URL_RATE // len(block)))  # this second's full look, spent
    scan.feed(b"http://localhost:1/\n" + block * 100)  # mid-block: not looked at
    scan.feed(block * 100 + b"ready: http://localhost:2/\n")  # at its end: found
    assert scan.urls == ["http://localhost:2/"]


@pytest.mark.parametrize(
    ("chunks", "prompt"),
    [
        ([b"Continue? [y/N] "], "Continue? [y/N]"),
        # a progress bar rewritten in place, then the prompt on the same line
        ([b"10%\r100%\rOverwrite? ", b"(y/n) "], "Overwrite? (y/n)"),
        # coloured, after earlier lines
        ([b"done\n\x1b[1;33mName:\x1b[0m "], "Name:"),
        # the prompt ended with a newline: the last line stands in
        ([b"Password for ada:\n"], "Password for ada:"),
        # escape sequences it does not strip are shown, never passed on
        ([b"\x07ask\x00 "], "^Gask^@"),
        ([b""], None),
    ],
)
def test_the_prompt_is_the_last_partial_line(chunks: list[bytes], prompt: str | None) -> None:
    scan = OutputScan()
    for chunk in chunks:
        scan.feed(chunk)
    assert scan.prompt() == prompt


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:5173/", True),
        ("http://0.0.0.0:8000", True),
        ("http://[::]:8000/", True),
        ("http://10.1.2.3/", True),
        ("http://user@127.0.0.1:9/x", True),
        ("https://pypi.org/simple", False),
        ("http://8.8.8.8/", False),
    ],
)
def test_which_urls_are_the_jobs_own(url: str, local: bool) -> None:
    assert is_local(url) is local


@pytest.mark.parametrize(
    ("hexed", "address"),
    [
        (b"0100007F", "127.0.0.1"),
        (b"00000000", "0.0.0.0"),
        (b"00000000000000000000000000000000", "::"),
        (b"00000000000000000000000001000000", "::1"),
        (b"0000000000000000FFFF00000100007F", "::ffff:127.0.0.1"),
    ],
)
def test_addresses_as_proc_net_tcp_writes_them(hexed: bytes, address: str) -> None:
    assert _address(hexed) == address


def test_facts_round_trip_and_the_final_form() -> None:
    facts = Facts(
        updated_at=2.0,
        cpu_percent=1.5,
        rss_bytes=10,
        process_count=1,
        processes=(ProcessFact(7, "x", 1.5, 10),),
        ports=(PortFact(80, "0.0.0.0", 7),),
        urls=("http://localhost/",),
        ready=True,
        ready_after=1.25,
        ready_detail="http://localhost/",
        waiting_for_input=True,
        prompt="?",
        matches=3,
        watch_stopped="after 3 matches",
    )
    assert Facts.from_dict(json.loads(json.dumps(facts.to_dict()))) == facts
    kept = facts.ended()
    assert (kept.processes, kept.ports, kept.waiting_for_input, kept.prompt) == (
        (),
        (),
        False,
        None,
    )
    assert (kept.urls, kept.ready, kept.matches) == (facts.urls, True, 3)


def test_old_records_have_no_facts() -> None:
    assert Facts.from_dict({}) == NO_FACTS
