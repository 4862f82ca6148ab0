"""``python -m helpdesk.security.exposure HOST``: warn before serving the demo beyond loopback.

The embedded default runs with DEBUG on, demo passwords and an outbox anyone could read: it is
meant for the machine it runs on. Serving it on another address says so, in words, on stderr.
"""

from __future__ import annotations

import ipaddress
import sys

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def host_is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warning(host: str) -> str:
    return (
        f"WARNING: the demo will listen on {host}, not only on this machine (127.0.0.1).\n"
        "  It runs the embedded default: debug mode, demo accounts with published passwords\n"
        "  (admin / demo-admin ...) and test data. Anyone who can reach this address can sign\n"
        "  in as an administrator. Serve it on 127.0.0.1, or run in production mode\n"
        "  (HELPDESK_MODE=production, your own SECRET_KEY, no demo data) behind TLS.\n"
    )


def main(argv: list[str]) -> int:
    host = argv[0] if argv else "127.0.0.1"
    if not host_is_loopback(host):
        sys.stderr.write(warning(host))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
