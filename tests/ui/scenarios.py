"""The viewer's scenes: one store and one set of keys each, shared by the snapshot tests and
``make screenshots`` (``python -m tests.ui.screenshots``), so the README shows what is tested.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static

from bgview.runtime.events import EventKind, JobEvent
from bgview.runtime.facts import Facts, PortFact, ProcessFact, ReadyCondition, ReadyKind
from bgview.runtime.restarts import RestartMode, RestartPolicy, Run
from bgview.runtime.store import load_job
from bgview.ui import BgviewApp, JobsScreen, make_app
from bgview.ui.job_table import JobTable
from tests.ui.helpers import until
from tests.ui.store_builder import T0, StoreBuilder

PROJECT = Path("/home/dev/webshop")
"""A fixed project path: it is shown on screen, so it must not be a temp directory."""


def clock() -> float:
    return T0


def colour_progress() -> bytes:
    """A build's output: colours, and a progress bar redrawn with ``\\r``."""
    lines = [b"\x1b[1m> webshop@2.3.0 build\x1b[0m", b"\x1b[2m> vite build\x1b[0m", b""]
    lines.append(b"\x1b[36mvite v5.4.2\x1b[0m \x1b[32mbuilding for production...\x1b[0m")
    bar = b"".join(
        b"\r\x1b[33m[" + b"#" * i + b" " * (20 - i) + b"]\x1b[0m " + str(i * 5).encode() + b"%"
        for i in range(0, 21, 4)
    )
    lines.append(bar + b"\r\x1b[32m[" + b"#" * 20 + b"]\x1b[0m 100% transformed 812 modules")
    lines.append(
        b"\x1b[2mdist/\x1b[0m\x1b[36massets/index-4f1c.js\x1b[0m   \x1b[1m143.20 kB\x1b[0m"
    )
    lines.append(
        b"\x1b[2mdist/\x1b[0m\x1b[35massets/index-9a2e.css\x1b[0m   \x1b[1m12.04 kB\x1b[0m"
    )
    lines.append(b"\x1b[31mwarning\x1b[0m: chunk larger than 500 kB after minification")
    lines.append(b"\x1b[32m\xe2\x9c\x93 built in 4.21s\x1b[0m")
    lines.append(b"\x1b[2J\x1b[Hscreen cleared? not here: escapes never reach the terminal")
    return b"\r\n".join(lines) + b"\r\n"


def server_output(lines: int = 40) -> bytes:
    return b"".join(
        f"12:00:{i % 60:02d} \x1b[32mGET\x1b[0m /api/items/{i} 200 {3 + i % 7}ms\r\n".encode()
        for i in range(lines)
    )


def mixed(store: StoreBuilder) -> None:
    """Every status at once: running, exited 0, failed tests, killed, timed out, could not start."""
    store.add("npm run build", colour_progress(), exit_code=0, started=-600, wall=4.4)
    store.add(
        "pytest -x tests/",
        b"tests/test_cart.py ..F\r\nFAILED tests/test_cart.py::test_total - assert 41 == 42\r\n",
        exit_code=1,
        started=-420,
        wall=31.0,
    )
    store.add(
        "python -m http.server 8000",
        server_output(8),
        status="killed",
        signal="SIGTERM",
        started=-300,
        wall=95.0,
    )
    store.add(
        "cargo watch -x check",
        b"[Running 'cargo check']\r\n",
        status="timeout",
        signal="SIGKILL",
        started=-240,
        wall=120.0,
    )
    store.add(
        "nmp run lint",
        b"",
        status="failed",
        reason="command not found: nmp",
        started=-200,
        wall=0.0,
    )
    store.add("npm run dev", server_output(), status="running", name="dev", started=-185.5)
    store.add(
        "tail -f logs/app.log", b"booting\r\nready on :3000\r\n", status="running", started=-12.3
    )


MB = 1024 * 1024


def dev_server_facts() -> Facts:
    """A dev server that is ready: npm, its node child listening on 5173, the URL it printed."""
    return Facts(
        updated_at=T0,
        cpu_percent=3.2,
        rss_bytes=182 * MB,
        process_count=2,
        processes=(
            ProcessFact(5101, "npm run dev", 0.4, 58 * MB),
            ProcessFact(5114, "node node_modules/.bin/vite", 2.8, 124 * MB),
        ),
        ports=(PortFact(5173, "127.0.0.1", 5114),),
        urls=("http://localhost:5173/",),
        ready=True,
        ready_after=1.8,
        ready_detail="http://localhost:5173/",
    )


def with_facts(store: StoreBuilder) -> None:
    """What jobs are doing: a finished build, an API on a port still starting, a busy test
    run, a ready dev server with its URL, and a migration waiting for an answer."""
    store.add("npm run build", colour_progress(), exit_code=0, started=-600, wall=4.4)
    store.add(
        "uvicorn api:app --port 8000",
        b"INFO: Waiting for application startup.\r\n",
        status="running",
        started=-30,
        pid=5001,
        ready=ReadyCondition(ReadyKind.PORT, port=8000),
        facts=Facts(
            updated_at=T0,
            cpu_percent=97.0,
            rss_bytes=71 * MB,
            process_count=1,
            processes=(ProcessFact(5001, "uvicorn api:app --port 8000", 97.0, 71 * MB),),
            ready=False,
        ),
    )
    store.add(
        "pytest -n 4 tests/",
        b"collected 812 items\r\n" + b"." * 90 + b"\r\n",
        status="running",
        started=-95,
        pid=5201,
        facts=Facts(
            updated_at=T0,
            cpu_percent=388.0,
            rss_bytes=1300 * MB,
            process_count=5,
            processes=(ProcessFact(5201, "pytest -n 4 tests/", 1.0, 96 * MB),),
        ),
    )
    store.add(
        "npm run dev",
        server_output(12),
        status="running",
        name="dev",
        started=-185.5,
        pid=5101,
        ready=ReadyCondition(ReadyKind.AUTO),
        facts=dev_server_facts(),
    )
    store.add(
        "./manage.py migrate",
        b"Apply 3 migrations to the production database? [y/N] ",
        status="running",
        started=-20,
        pid=5301,
        facts=Facts(
            updated_at=T0,
            cpu_percent=0.0,
            rss_bytes=42 * MB,
            process_count=1,
            processes=(ProcessFact(5301, "python ./manage.py migrate", 0.0, 42 * MB),),
            waiting_for_input=True,
            prompt="Apply 3 migrations to the production database? [y/N]",
        ),
    )


def runs(*times: tuple[float, float, int]) -> tuple[Run, ...]:
    """Runs of a job with a restart policy: ``(start, end, exit code)`` relative to T0."""
    return tuple(Run(T0 + a, T0 + b, code) for a, b, code in times)


def with_restarts(store: StoreBuilder) -> None:
    """Restart policies: a worker that gave up after five restarts, a build restarted by
    hand (its row says which job it restarts), a dev server waiting out its backoff after
    its third run, and a queue worker restarted once and running again."""
    rule = RestartPolicy(RestartMode.ON_FAILURE, 5, 1.0)
    crash = b"Error: connect ECONNREFUSED 127.0.0.1:6379\r\n"
    gave_up = [(-900.0 + 10 * i, -899.9 + 10 * i, 1) for i in range(6)]
    store.add(
        "node worker.js",
        crash * 6,
        exit_code=1,
        started=-900,
        wall=50.1,
        restart=rule,
        runs=runs(*gave_up),
        name="worker",
    )
    store.add("npm run build", colour_progress(), exit_code=1, started=-700, wall=4.0)
    store.add(
        "npm run build", colour_progress(), exit_code=0, started=-600, wall=4.4, restart_of="bash_2"
    )
    store.add(
        "npm run dev",
        server_output(6) + b"Error: listen EADDRINUSE: address already in use :::5173\r\n",
        status="running",
        name="web",
        started=-120,
        restart=rule,
        runs=runs((-120, -90, 1), (-89, -60, 1), (-58, -3, 1)),
        restart_at=1.0,
    )
    store.add(
        "python -m queue_worker",
        b"worker up\r\nlost the broker\r\nworker up\r\n",
        status="running",
        started=-300,
        restart=RestartPolicy(RestartMode.ALWAYS, 10, 2.0),
        runs=(Run(T0 - 300, T0 - 200, 0, None), Run(T0 - 198, None, None, None, 30)),
    )


def empty(store: StoreBuilder) -> None:
    """No job at all: the empty state says how to start one."""


def cut_log(store: StoreBuilder) -> None:
    """A job whose first 3 MB were dropped by the log size cap."""
    store.add(
        "./load-test.sh --forever",
        server_output(30),
        status="running",
        started=-3600,
        dropped=3 * 1024 * 1024 + 4321,
    )


def matrix(store: StoreBuilder) -> None:
    """A test matrix: twenty jobs that just ended, two of them failing."""
    for n in range(1, 21):
        output = b"collected 12 items\r\n" + (b"....F......." if n in (5, 13) else b"." * 12)
        store.add(
            f"pytest -k case_{n}",
            output + b"\r\n",
            exit_code=1 if n in (5, 13) else 0,
            started=-40.0 + n * 0.1,
            wall=21.0,
        )


Keys = Callable[[Pilot[int]], Awaitable[None]]


async def loaded(pilot: Pilot[int]) -> None:
    """Until the feed's first look is on screen (it reads the store in its own thread)."""
    app = pilot.app
    assert isinstance(app, BgviewApp)
    await until(pilot, lambda: app.jobs_screen.loaded, what="the feed's first look")
    await pilot.pause()


async def open_build(pilot: Pilot[int]) -> None:
    """The build is the oldest job: the last row."""
    await loaded(pilot)
    await pilot.press(*["down"] * 6)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def nothing(pilot: Pilot[int]) -> None:
    await loaded(pilot)


async def open_dev_server(pilot: Pilot[int]) -> None:
    """The ready dev server is the fourth row (after the prompt, the API and the tests)."""
    await loaded(pilot)
    await pilot.press("down", "down", "down")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def toast(pilot: Pilot[int]) -> None:
    """The failing test run's end, as the feed reports it: its toast."""
    await loaded(pilot)
    app = pilot.app
    assert isinstance(app, BgviewApp)
    screen = app.jobs_screen
    assert isinstance(screen, JobsScreen)
    assert screen.project is not None
    job = load_job(screen.project.jobs_dir / "bash_2", PROJECT)
    assert job is not None
    screen.apply([JobEvent(EventKind.ENDED, job.dir, job, job.output_bytes)])
    await until(pilot, lambda: app._notifications, what="the toast")
    await pilot.pause()


async def ask_delete(pilot: Pilot[int]) -> None:
    """``d`` on the failed test run, bash_2 (the sixth row)."""
    await loaded(pilot)
    await pilot.press("down", "down", "down", "down", "down", "d")
    await pilot.pause()


async def matrix_ends(pilot: Pilot[int]) -> None:
    """The twenty ends, as the feed reports them in one batch: one toast for them all."""
    await loaded(pilot)
    app = pilot.app
    assert isinstance(app, BgviewApp)
    screen = app.jobs_screen
    jobs = screen.query_one(JobTable).jobs.values()
    screen.apply([JobEvent(EventKind.ENDED, job.dir, job, job.output_bytes) for job in jobs])
    await until(pilot, lambda: app._notifications, what="the toast")
    await pilot.pause()


@dataclass(frozen=True)
class Scenario:
    """One scene: how the store looks, the terminal's size and what is pressed."""

    name: str
    build: Callable[[StoreBuilder], None]
    size: tuple[int, int]
    keys: Keys
    description: str


SCENARIOS = [
    Scenario("table", mixed, (120, 32), nothing, "the job table with every status"),
    Scenario(
        "job", mixed, (120, 32), open_build, "a build open full-screen: colours, progress bar"
    ),
    Scenario("toast", mixed, (120, 32), toast, "a toast as a failing test run ends"),
    Scenario("empty", empty, (100, 24), nothing, "the empty state"),
    Scenario("cut", cut_log, (120, 24), nothing, "a log cut by the size cap"),
    Scenario("narrow", mixed, (60, 20), nothing, "a narrow terminal (60×20)"),
    Scenario("ended", matrix, (120, 32), matrix_ends, "twenty jobs ending at once: one toast"),
    Scenario("delete", mixed, (120, 32), ask_delete, "d asks before it deletes"),
    Scenario(
        "facts",
        with_facts,
        (120, 32),
        nothing,
        "what jobs are doing: a ready dev server, a job waiting for input, CPU and memory",
    ),
    Scenario(
        "processes",
        with_facts,
        (120, 32),
        open_dev_server,
        "a dev server's screen: its processes with their CPU, memory and port, its URL",
    ),
    Scenario(
        "restarts",
        with_restarts,
        (120, 24),
        nothing,
        "restart policies: a restart count per row, a job waiting to restart, one given up",
    ),
]


def build_app(scenario: Scenario, home: Path) -> tuple[BgviewApp, StoreBuilder]:
    """The store for ``scenario`` under ``home`` and the viewer on it (fixed clock, no
    animation)."""
    store = StoreBuilder(home, PROJECT)
    store.project  # noqa: B018 - creates the project's directories even when it has no job
    scenario.build(store)
    app = make_app(PROJECT, clock=clock, home=home)
    app.animation_level = "none"
    return app, store


class Host(App[None]):
    """Somebody else's app: no CSS of bgview's, its own first screen."""

    TITLE = "bgview"  # the snapshot's window title, so the two pictures compare

    def __init__(self, home: Path) -> None:
        super().__init__()
        self.home = home
        self.animation_level = "none"

    def compose(self) -> ComposeResult:
        yield Static("the host's own screen", id="host")

    def open_jobs(self) -> JobsScreen:
        screen = JobsScreen(PROJECT, clock=clock, home=self.home)
        self.push_screen(screen)
        return screen


async def push_jobs(pilot: Pilot[None]) -> None:
    """The host pushes bgview's jobs screen, and it has its first look."""
    app = pilot.app
    assert isinstance(app, Host)
    screen = app.open_jobs()
    await until(pilot, lambda: screen.loaded, what="the feed's first look")
    await pilot.pause()
