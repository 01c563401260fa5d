"""A mirror of one run in Weights & Biases, for teams that already read their runs there.

The platform's own store stays the record; this sink repeats what the run
logs into a W&B run with the same id, so links and comparisons in W&B keep
working. It is driven by the run's background writer thread, never by the
training loop, so W&B's own latency (login, upload) costs training nothing.
``wandb`` is imported only when a sink is created, and W&B's usual settings
(``WANDB_MODE``, ``WANDB_DIR``, ``WANDB_API_KEY``, ...) apply unchanged.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class WandbSink:
    """One W&B run mirroring one platform run.

    Each sink owns its W&B run (``reinit="create_new"``), so a user's own
    ``wandb.init`` in the same process is neither finished nor reused.
    """

    def __init__(
        self,
        project: str,
        name: str,
        config: dict[str, Any],
        tags: list[str],
        notes: str | None,
        run_id: str,
        **init_kwargs: Any,
    ) -> None:
        wandb = _import_wandb()
        self._wandb = wandb
        self._last_step = -1
        init_kwargs.setdefault("reinit", "create_new")
        self._run = wandb.init(
            project=project,
            name=name,
            config=config,
            tags=tags,
            notes=notes,
            id=run_id,
            **init_kwargs,
        )

    @property
    def url(self) -> str | None:
        """Where the run can be seen in W&B; None offline or disabled."""
        url = getattr(self._run, "url", None)
        return url if isinstance(url, str) else None

    def log(self, points: dict[str, float], step: int) -> None:
        """Log ``points`` at ``step``.

        W&B keeps one row per step and drops a step lower than one it has
        seen (with a warning in the user's output), so such points are
        skipped here, leaving the platform's store the complete record.
        """
        if step < self._last_step:
            log.debug(
                "W&B keeps steps in order; not mirroring step %d after %d", step, self._last_step
            )
            return
        self._last_step = step
        self._run.log(dict(points), step=step)

    def summary(self, values: dict[str, Any]) -> None:
        """Set the run's summary values (final or best metrics) shown in W&B tables."""
        self._run.summary.update(dict(values))

    def log_artifact(self, path: Path, name: str) -> None:
        """Upload a file or directory as a W&B artifact.

        W&B artifact names allow letters, digits, ``-``, ``_`` and ``.`` only;
        a platform name such as ``code/train.ipynb`` becomes an artifact
        ``code-train.ipynb`` of type ``code`` (the name's first folder).
        """
        path = Path(path)
        artifact = self._wandb.Artifact(artifact_name(name), type=artifact_type(name))
        if path.is_dir():
            artifact.add_dir(str(path))
        else:
            artifact.add_file(str(path), name=path.name)
        self._run.log_artifact(artifact)

    def finish(self, exit_code: int = 0) -> None:
        """Close the W&B run, marking it failed when ``exit_code`` is not 0."""
        self._run.finish(exit_code=exit_code)


class WandbMirror:
    """A writer listener that mirrors a run to W&B through ``WandbSink``.

    The sink is created on first use, on the writer thread, because ``wandb.init``
    takes most of a second even offline. A mirror that cannot start (wandb
    missing, not logged in) says so once and stays off; tracking goes on.
    """

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self.sink: WandbSink | None = None
        self.failed = False

    def __call__(self, batch: list[tuple[int, float, dict[str, float]]]) -> None:
        sink = self._sink()
        if sink is None:
            return
        for step, _, metrics in batch:
            points = {k: v for k, v in metrics.items() if not k.startswith("system/")}
            if points:
                sink.log(points, step)

    def finish(self, summary: dict[str, Any], exit_code: int) -> None:
        """Send the final summary and end the W&B run."""
        if self.sink is not None:
            self.sink.summary(summary)
            self.sink.finish(exit_code)

    def _sink(self) -> WandbSink | None:
        if self.sink is None and not self.failed:
            r = self.record
            try:
                self.sink = WandbSink(
                    r["project"], r["name"], r["config"], r["tags"], r["notes"] or None, r["id"]
                )
            except Exception as e:
                self.failed = True
                log.warning("jupyter-dl: not mirroring run %s to W&B: %s", r["id"], e)
        return self.sink


def artifact_name(name: str) -> str:
    """``name`` in the characters W&B accepts for an artifact name."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return cleaned or "artifact"


def artifact_type(name: str) -> str:
    """The W&B artifact type for a platform artifact: its first folder, else ``file``."""
    folder, sep, _ = name.partition("/")
    return artifact_name(folder) if sep and folder else "file"


def _import_wandb() -> Any:
    try:
        import wandb
    except ImportError as e:
        raise RuntimeError(
            "Mirroring runs to Weights & Biases needs the wandb package: pip install wandb"
        ) from e
    return wandb
