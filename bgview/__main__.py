"""``python -m bgview`` is the ``bgview`` command."""

from __future__ import annotations

import sys

from bgview.entry import main

sys.exit(main())
