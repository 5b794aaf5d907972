"""``make demo``: the viewer on a few sample jobs, in a throwaway store.

A temporary ``BGVIEW_HOME`` gets four jobs — a ticking dev server, a build with a coloured
progress bar drawn with ``\\r``, a test run that fails, and a worker that is killed — then the
viewer opens on them. The jobs belong to this process (a :class:`~bgview.runtime.Session`), so
they end when the demo does, even if it is killed outright; the store is deleted on the way out:
after ``q``, on SIGTERM and SIGHUP, and when the terminal goes away (``make demo`` never hears
SIGHUP: make takes it), within the 2 s a closed terminal is given.
"""

from __future__ import annotations

import _thread
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from bgview.host.hangup import EXIT_HANGUP, TerminalGuard
from bgview.runtime import Session

if TYPE_CHECKING:
    from bgview.ui.app import BgviewApp

SERVER = r"""
echo "dev server listening on http://localhost:5173"
i=0
while true; do
  i=$((i+1))
  ms=$((RANDOM % 40 + 2))
  printf '%s \033[32mGET\033[0m /api/items/%d \033[2m200 %dms\033[0m\n' "$(date +%T)" $i $ms
  if [ $((i % 9)) = 0 ]; then
    printf '%s \033[33mWARN\033[0m slow query on /api/search (812ms)\n' "$(date +%T)"
  fi
  sleep 0.8
done
"""

BUILD = r"""
printf '\033[1m> webshop@2.3.0 build\033[0m\n'
printf '\033[36mvite v5.4.2\033[0m building for production...\n'
for i in $(seq 0 40); do
  bar=$(printf '%*s' $((i / 2)) '' | tr ' ' '#')
  printf '\r\033[33m[%-20s]\033[0m %3d%% transforming modules' "$bar" $((i * 100 / 40))
  sleep 0.15
done
printf '\r\033[32m[####################]\033[0m 100%% transformed 812 modules\n'
printf '\033[2mdist/\033[0m\033[36massets/index-4f1c.js\033[0m  \033[1m143.20 kB\033[0m\n'
printf '\033[32m✓ built in 6.2s\033[0m\n'
"""

TESTS = r"""
printf '\033[1m============ test session starts ============\033[0m\n'
for t in cart checkout search users; do
  printf 'tests/test_%s.py ' $t; sleep 0.3; printf '\033[32m....\033[0m'
  if [ $t = checkout ]; then printf '\033[31mF\033[0m'; fi
  printf '\n'
done
printf '\033[31mFAILED\033[0m tests/test_checkout.py::test_total - assert 41 == 42\n'
printf '\033[31m======= 1 failed, 16 passed in 1.31s =======\033[0m\n'
exit 1
"""

WORKER = r"""
echo "worker: waiting for jobs on queue 'emails'"
while true; do sleep 1; echo "worker: idle"; done
"""


SAMPLES = {
    "dev-server": SERVER,
    "build": BUILD,
    "test": TESTS,
    "worker": WORKER,
}


def write_samples(project: Path) -> None:
    """The sample commands as little scripts, so the table shows commands, not scripts."""
    bin_dir = project / "bin"
    bin_dir.mkdir()
    for name, body in SAMPLES.items():
        path = bin_dir / name
        path.write_text("#!/bin/bash\n" + body.lstrip())
        path.chmod(0o700)


def start_samples(session: Session) -> None:
    """The four sample jobs; the worker is killed once it has said something."""
    session.start("./bin/dev-server --port 5173", name="dev")
    session.start("./bin/build --mode production")
    session.start("./bin/test -x")
    worker = session.start("./bin/worker --queue emails")
    session.wait(worker.id, timeout=5, pattern="idle")
    session.kill(worker.id, grace=1.0)


class Demo:
    """The throwaway store, its jobs and the viewer, and every way of leaving them."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="bgview-demo-"))
        self.project = self.home / "webshop"
        self.project.mkdir()
        os.environ["BGVIEW_HOME"] = str(self.home)
        write_samples(self.project)
        os.chdir(self.project)
        self.session = Session(self.project, home=self.home)
        self.app: BgviewApp | None = None
        self.leaving: int | None = None
        """Asked to leave (a signal, a closed terminal) with this status."""
        self._cleaned = threading.Lock()

    def run(self) -> int:
        start_samples(self.session)
        from bgview.ui import make_app  # after the jobs: they start while Textual imports

        self.app = make_app(self.project, home=self.home)
        if self.leaving is not None:  # a signal came while the jobs were starting
            return self.leaving
        self.app.run()
        return self.leaving or self.app.return_code or 0

    def leave(self, code: int) -> None:
        """Leave the viewer with ``code``; from any thread, or a signal handler."""
        self.leaving = code
        if self.app is not None:
            self.app.request_exit(code)
        elif threading.current_thread() is not threading.main_thread():
            # Still starting the jobs (which can take a second): stop that at once, as a
            # SIGTERM would.
            _thread.interrupt_main(signal.SIGTERM)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.app is None:  # still starting the jobs: stop that, and clean up
            raise SystemExit(self.leaving or 128 + signum)
        self.leave(128 + signum)

    def clean_up(self) -> None:
        """End the jobs and delete the store; once, whoever gets here first."""
        if not self._cleaned.acquire(blocking=False):
            return
        self.session.close(grace=0.5)
        shutil.rmtree(self.home, ignore_errors=True)

    def last_resort(self) -> None:
        """The viewer did not leave in time after the terminal went away."""
        self.clean_up()
        os._exit(EXIT_HANGUP)


def main() -> int:
    """Build the throwaway store, open the viewer, clean everything up."""
    demo = Demo()
    signal.signal(signal.SIGTERM, demo.on_signal)
    guard = TerminalGuard(lambda: demo.leave(EXIT_HANGUP), last_resort=demo.last_resort)
    try:
        with guard:
            return demo.run()
    finally:
        os.chdir(demo.home.parent)
        demo.clean_up()


if __name__ == "__main__":
    sys.exit(main())
