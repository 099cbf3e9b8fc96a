"""A private PostgreSQL 16 + pgvector server in a folder, from the ``pgserver`` wheel.

For tests, benches and a laptop trial: no system install, no root, no
network. ``python -m qa.store.pgserver_local FOLDER`` prints a
``QA_INDEX`` URL for a server that stays up until ``--stop``.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path


def start(folder: Path, keep: bool = False):
    """The server running on ``folder`` (started if needed); ``keep`` leaves it running after this process."""
    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset in containers
        try:
            import pgserver
        except ImportError as exc:
            raise SystemExit("pgserver is not installed: pip install -r requirements.txt") from exc
        return pgserver.get_server(folder, cleanup_mode=None if keep else "stop")


def database_url(server, name: str = "postgres") -> str:
    """The server's URL for database ``name``, created on first use."""
    uri = server.get_uri()
    if name == "postgres":
        return uri
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a plain database name: {name!r}")
    import psycopg

    with psycopg.connect(uri, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f"CREATE DATABASE {name}")
    return re.sub(r"/postgres(\?|$)", rf"/{name}\1", uri, count=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--database", default="qa")
    parser.add_argument("--stop", action="store_true")
    args = parser.parse_args()
    server = start(args.folder, keep=not args.stop)
    if args.stop:
        server.cleanup()
        return
    print(database_url(server, args.database))


if __name__ == "__main__":
    sys.exit(main())
