"""Run every benchmark in bench/ and print one table: each goal, the measured figure, met or not.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
    REDIS_URL=redis://127.0.0.1:6379/7 python bench/run.py [--full] [--only NAME]

A benchmark joins by declaring, at the top level of its script, a literal

    BENCH_RUN = {"small": [args...], "full": [args...], "needs": ["postgres", "redis"]}

(optional "timeout": seconds) and by printing one ``BENCH-RESULT {json}`` line per goal
(``bench/_result.py``). The runner reads BENCH_RUN without importing the script, runs it with
the small arguments (``--full``: the full ones) at niceness 10, and collects the result lines.
The database in DATABASE_URL is emptied by some benchmarks: give it one of its own. See
docs/benchmarks.md.

Exit status: 1 when a benchmark failed to run, timed out or printed no result (so that none
rots); goals not met are shown in the table (``--strict`` makes them fail too).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PREFIX = "BENCH-RESULT "
DEFAULT_TIMEOUT = {"small": 900, "full": 4 * 3600}


def bench_run_of(script: Path) -> dict | None:
    """The script's BENCH_RUN literal, or None when it declares none."""
    tree = ast.parse(script.read_text(), filename=str(script))
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        if "BENCH_RUN" in targets and node.value is not None:
            return ast.literal_eval(node.value)
    return None


def scripts() -> list[Path]:
    return sorted(
        path
        for path in HERE.glob("*.py")
        if not path.name.startswith("_") and path.name != "run.py"
    )


def missing_needs(needs: list[str]) -> list[str]:
    missing = []
    if "postgres" in needs and not os.environ.get("DATABASE_URL", "").startswith(
        ("postgres://", "postgresql://")
    ):
        missing.append("DATABASE_URL (PostgreSQL)")
    if "redis" in needs and not os.environ.get("REDIS_URL"):
        missing.append("REDIS_URL")
    return missing


def run_one(script: Path, spec: dict, size: str, log_dir: Path) -> tuple[list[dict], str]:
    """Run one benchmark; its results and a problem ('' when it ran well)."""
    args = [str(arg) for arg in spec.get(size, [])]
    timeout = spec.get("timeout", {}).get(size) if isinstance(spec.get("timeout"), dict) else None
    timeout = timeout or spec.get("timeout") or DEFAULT_TIMEOUT[size]
    command = ["nice", "-n", "10", sys.executable, str(script), *args]
    print(f"== {script.stem} {' '.join(args)}", flush=True)
    log = log_dir / f"{script.stem}.log"
    results: list[dict] = []
    with log.open("w") as out:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        assert proc.stdout is not None
        problem = ""
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        watchdog = threading.Timer(timeout, expire)
        watchdog.start()
        try:
            for line in proc.stdout:
                out.write(line)
                if line.startswith(PREFIX):
                    try:
                        results.append(json.loads(line[len(PREFIX) :]))
                    except json.JSONDecodeError:
                        problem = f"unreadable result line: {line.strip()[:120]}"
                else:
                    print(f"   {line}", end="", flush=True)
            proc.wait()
        finally:
            watchdog.cancel()
    if expired.is_set():
        return results, f"timed out after {timeout} s (log: {log})"
    if proc.returncode:
        return results, f"exited with status {proc.returncode} (log: {log})"
    if not results:
        return results, "printed no BENCH-RESULT line"
    return results, problem


def table(rows: list[dict]) -> str:
    header = ("benchmark", "goal", "measured", "size", "met")
    lines = [header]
    for row in rows:
        figure = row.get("figure")
        measured = "-" if figure is None else f"{figure:,.1f} {row.get('unit', '')}".strip()
        met = row.get("verdict") or ("yes" if row.get("met") else "NO")
        lines.append((row["bench"], row["goal"], measured, row.get("size", ""), met))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if n == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the full sizes (hours)")
    parser.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--log-dir", type=Path, default=ROOT / "var" / "bench-logs")
    args = parser.parse_args()
    size = "full" if args.full else "small"
    args.log_dir.mkdir(parents=True, exist_ok=True)

    rows: list[dict] = []
    failed = False
    began = time.monotonic()
    for script in scripts():
        if args.only and script.stem not in args.only:
            continue
        spec = bench_run_of(script)
        if spec is None:
            rows.append(
                {"bench": script.stem, "goal": "(declares no BENCH_RUN: not run)", "verdict": "-"}
            )
            continue
        missing = missing_needs(spec.get("needs", []))
        if missing:
            failed = True
            rows.append(
                {
                    "bench": script.stem,
                    "goal": f"not run: needs {', '.join(missing)}",
                    "verdict": "NOT RUN",
                }
            )
            continue
        started = time.monotonic()
        results, problem = run_one(script, spec, size, args.log_dir)
        print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
        rows.extend(results)
        if problem:
            failed = True
            rows.append({"bench": script.stem, "goal": problem, "verdict": "FAILED"})

    print()
    print(f"Benchmarks ({size} sizes, {time.monotonic() - began:.0f} s, {os.cpu_count()} cores):")
    print(table(rows))
    unmet = [row for row in rows if "verdict" not in row and not row.get("met")]
    if unmet:
        print(f"\n{len(unmet)} goal(s) not met at these sizes.")
    return 1 if failed or (args.strict and unmet) else 0


if __name__ == "__main__":
    sys.exit(main())
