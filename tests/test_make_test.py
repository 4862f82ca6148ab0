"""`make test` on a fresh machine: it waits for apt's lock instead of silently skipping the
IMAP and browser tests, and the run ends with a plain summary of what was skipped and why."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

from tests.conftest import pytest_terminal_summary

ROOT = Path(__file__).resolve().parent.parent


def fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\n" + body + "\n")
    path.chmod(0o755)


def test_system_deps_waits_for_apts_lock_then_installs(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    # Nothing installed; we are root; the lock is held for the first three looks.
    fake(bin_dir, "dpkg-query", "exit 1")
    fake(bin_dir, "id", 'echo 0')
    fake(bin_dir, "sleep", "exit 0")
    fake(
        bin_dir,
        "fuser",
        f'n=$(cat {tmp_path}/n 2>/dev/null || echo 0); echo $((n+1)) > {tmp_path}/n; '
        '[ "$n" -lt 3 ]',
    )
    fake(bin_dir, "apt-get", f'echo "apt-get $*" >> {calls}; exit 0')
    result = subprocess.run(
        [str(ROOT / "scripts" / "ensure-system-deps")],
        env={**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Waiting for apt's lock" in result.stdout
    assert (tmp_path / "n").read_text().strip() == "4"  # looked until the lock was free
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("apt-get -o DPkg::Lock::Timeout=") and "update" in lines[0]
    assert "install" in lines[1] and "chromium" in lines[1] and "dovecot-imapd" in lines[1]


def test_the_run_ends_with_what_was_skipped_and_why():
    def skipped(nodeid: str, reason: str):
        return SimpleNamespace(nodeid=nodeid, longrepr=(nodeid, 1, f"Skipped: {reason}"))

    written: list[str] = []
    reporter = SimpleNamespace(
        stats={
            "skipped": [
                skipped("tests/e2e/test_widget.py::test_a", "/usr/bin/chromium is missing"),
                skipped("tests/e2e/test_demo_stack.py::test_b", "/usr/bin/chromium is missing"),
                skipped("tests/channels_in/email/test_imap.py::t", "dovecot is not installed"),
            ]
        },
        section=lambda title: written.append(f"== {title}"),
        write_line=written.append,
    )
    pytest_terminal_summary(reporter, 0, None)
    assert written == [
        "== skipped, and why",
        "tests/channels_in/email: 1 test(s) skipped: dovecot is not installed",
        "tests/e2e: 2 test(s) skipped: /usr/bin/chromium is missing",
    ]
