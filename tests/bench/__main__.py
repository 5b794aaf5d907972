"""``make bench``: run every ``tests/bench/bench_*.py`` and print its figures.

Each module has a ``main()`` that prints a small table: the figure, its budget, and where an
issue names a peer tool, the ratio measured in the same run (this machine is shared and noisy,
so only same-run ratios mean much).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import tests.bench as package


def main() -> int:
    only = set(sys.argv[1:])
    names = sorted(
        m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("bench_")
    )
    for name in names:
        if only and name not in only and name.removeprefix("bench_") not in only:
            continue
        module = importlib.import_module(f"tests.bench.{name}")
        print(f"\n== {name.removeprefix('bench_')} ==", flush=True)
        started = time.perf_counter()
        module.main()
        print(f"({time.perf_counter() - started:.1f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
