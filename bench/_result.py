"""The one machine-readable line each benchmark prints per goal, which ``bench/run.py`` collects.

    BENCH-RESULT {"bench": "inbox_scale", "goal": "...", "figure": 41.2, "unit": "ms",
                  "met": true, "size": "1,000,000 tickets"}

See docs/benchmarks.md.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

PREFIX = "BENCH-RESULT "


def record(*, goal: str, figure: float | None, unit: str, met: bool, size: str = "") -> None:
    """Print one goal's result: ``figure`` (None when it could not be measured) and whether the
    goal was met, as one JSON line prefixed with ``BENCH-RESULT``."""
    if figure is not None and not math.isfinite(figure):
        figure = None
    line = {
        "bench": Path(sys.argv[0]).stem,
        "goal": goal,
        "figure": None if figure is None else round(float(figure), 2),
        "unit": unit,
        "met": bool(met) and figure is not None,
        "size": size,
    }
    print(PREFIX + json.dumps(line, ensure_ascii=False), flush=True)
