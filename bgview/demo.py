"""``make demo``: the viewer on a few sample jobs, in a throwaway store.

A temporary ``BGVIEW_HOME`` gets four jobs — a ticking dev server, a build with a coloured
progress bar drawn with ``\\r``, a test run that fails, and a worker that is killed — then the
viewer opens on them. The jobs belong to this process (a :class:`~bgview.runtime.Session`), so
they end when the demo does, even if it is killed outright; the store is deleted on the way out.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from bgview.runtime import Session

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


def main() -> int:
    """Build the throwaway store, open the viewer, clean everything up."""
    home = Path(tempfile.mkdtemp(prefix="bgview-demo-"))
    project = home / "webshop"
    project.mkdir()
    os.environ["BGVIEW_HOME"] = str(home)
    write_samples(project)
    os.chdir(project)
    session = Session(project, home=home)
    try:
        start_samples(session)
        from bgview.ui import make_app  # after the jobs: they start while Textual imports

        app = make_app(project, home=home)
        app.run()
        return app.return_code or 0
    finally:
        session.close(grace=0.5)
        os.chdir(home.parent)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
