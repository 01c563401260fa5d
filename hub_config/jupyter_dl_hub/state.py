"""The embedded hub's state directory and the secrets it keeps there.

Everything a running hub writes (database, cookie secret, pid files, the demo
password, the users' homes) lives under one directory, so a hub is moved, reset
or thrown away by handling that directory alone. Secrets are created on first
use and reused afterwards: restarting the hub keeps logins and passwords valid.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

STATE_DIR_ENV = "JUPYTER_DL_HUB_STATE_DIR"


def default_state_dir() -> Path:
    """``$JUPYTER_DL_HUB_STATE_DIR``, else ``.state/hub`` under the current directory."""
    configured = os.environ.get(STATE_DIR_ENV)
    return Path(configured) if configured else Path.cwd() / ".state" / "hub"


def ensure_state_dir(path: Path) -> Path:
    """Create the state directory readable by its owner only; return its absolute path.

    It holds the hub's secrets, so an existing directory is left as the admin made
    it, but a new one is never world-readable.
    """
    path = path.absolute()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def read_or_create_secret(path: Path) -> str:
    """The secret stored in ``path``; a new one is generated and kept there if it is missing.

    The file is readable by its owner only. An empty file counts as missing, so
    deleting or emptying it is how an admin asks for a new secret.
    """
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    ensure_state_dir(path.parent)
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # The mode above applies only to a file os.open creates; tighten an existing one.
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as stream:
        stream.write(secret + "\n")
    return secret
