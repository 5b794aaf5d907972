"""The ``bgview`` command's first step.

``bgview status`` runs on every shell prompt (a statusline), so it is handed over before the
full command line — argparse and the runtime, tens of milliseconds of imports — is loaded.
Everything else goes to :func:`bgview.cli.main`.
"""

from __future__ import annotations

import sys


def main() -> int:
    raw = sys.argv[1:]
    if "status" in raw:
        from bgview.statusline import main as status

        code = status(raw)
        if code is not None:
            return code
    from bgview.cli import main as command

    return command(raw)


if __name__ == "__main__":
    sys.exit(main())
