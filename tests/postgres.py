"""A throwaway PostgreSQL server for a test session, run from the Debian binaries.

A team runs the platform store on PostgreSQL; the tests that prove it works need a
real server, not a mock. ``PostgresServer.start()`` makes one in a temporary
directory (``initdb``, then ``pg_ctl start`` on a free loopback port, its socket
in the same directory), creates a password-protected role that owns the databases
tests ask for, and ``stop()`` removes every trace. Nothing is shared with a
PostgreSQL the machine may already run.

``initdb`` refuses to run as root, so as root the server runs as the ``postgres``
user the Debian package creates (``runuser -u postgres --``); as anyone else it
runs as that user. Connections from tests go over TCP with the role's password,
the way a team's servers connect to a database host.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

BIN_GLOB = "/usr/lib/postgresql/*/bin"
ADMIN = "postgres"
ROLE = "jupyter_dl"
START_TIMEOUT = 60
# A test server never needs durability; without it, initdb and every commit are faster.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


def find_binaries() -> Path | None:
    """The newest Debian PostgreSQL ``bin`` directory that has ``initdb``, if any."""
    found = [Path(d) for d in glob.glob(BIN_GLOB) if (Path(d) / "initdb").exists()]
    return max(found, key=lambda d: _major(d.parent.name), default=None)


def _major(version: str) -> int:
    return int(version) if version.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class PostgresServer:
    """A running server: ``url(name)`` for a database of it, ``create_database(name)``
    for a fresh one."""

    bin_dir: Path
    root: Path
    port: int = 0
    user: str = ROLE
    password: str = field(default_factory=lambda: secrets.token_hex(12), repr=False)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @classmethod
    def start(cls, bin_dir: Path | None = None) -> PostgresServer:
        """Create, start and prepare a server; raise with its log when it will not start."""
        bin_dir = bin_dir or find_binaries()
        if bin_dir is None:
            raise FileNotFoundError(f"no PostgreSQL binaries under {BIN_GLOB}")
        root = Path(tempfile.mkdtemp(prefix="jupyter-dl-pg-"))
        server = cls(bin_dir, root)
        try:
            server._init()
            server._launch()
            server._create_role()
        except BaseException:
            server.stop()
            raise
        return server

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL of database ``dbname``, as the platform is configured with."""
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """A new empty database owned by the test role; returns its URL."""
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(self.user)
                )
            )
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are ended) and remove its files."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run(self._bin("pg_ctl"), "stop", "-D", self.data_dir, "-m", "fast", "-w")
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ steps

    def _init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, ADMIN, ADMIN)
        self._run(
            self._bin("initdb"),
            "-D",
            self.data_dir,
            "-U",
            ADMIN,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )

    def _launch(self) -> None:
        """Start on a free port; a port taken between the probe and the start is retried."""
        options = " ".join(f"-c {setting}" for setting in FAST_SETTINGS)
        for _attempt in range(3):
            self.port = _free_port()
            result = self._run(
                self._bin("pg_ctl"),
                "start",
                "-D",
                self.data_dir,
                "-l",
                self.log_file,
                "-w",
                "-t",
                str(START_TIMEOUT),
                "-o",
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 {options}",
                check=False,
            )
            if result.returncode == 0:
                return
        log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start:\n{result.stdout}{result.stderr}\n{log}")

    def _create_role(self) -> None:
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                    sql.Identifier(self.user), sql.Literal(self.password)
                )
            )

    # ---------------------------------------------------------------- helpers

    def _admin(self) -> psycopg.Connection[Any]:
        """A superuser connection over the server's private socket (trusted locally)."""
        import psycopg

        return psycopg.connect(
            host=str(self.root), port=self.port, user=ADMIN, dbname="postgres", autocommit=True
        )

    def _bin(self, name: str) -> Path:
        return self.bin_dir / name

    def _run(self, *args: object, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(a) for a in args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", ADMIN, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result
