"""The embedded default's signing key: random, made on first start, kept under the data dir.

Production reads ``SECRET_KEY`` from the environment. Without it, the embedded default would
otherwise sign widget tokens, Telegram links and media addresses with a key anyone can read,
so it makes its own key once and keeps it in ``<data dir>/secret_key``, readable by its owner
only (mode 0600). Several processes starting at once agree on one key: the file appears
atomically, written in full, and the one that loses the race reads the winner's.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"
MIN_LENGTH = 50


def embedded_secret_key(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FILE_NAME
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if len(key) >= MIN_LENGTH:
        return key
    key = secrets.token_urlsafe(48)
    temporary = data_dir / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # link() never replaces: of processes racing here, exactly one key wins.
            os.link(temporary, path)
        except FileExistsError:
            existing = path.read_text(encoding="ascii").strip()
            if len(existing) >= MIN_LENGTH:
                return existing
            os.replace(temporary, path)  # a short or empty key left by hand: replace it
            return key
    finally:
        temporary.unlink(missing_ok=True)
    return key
