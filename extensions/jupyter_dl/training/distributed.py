"""``dl.distributed``: what training code needs to know and do inside a distributed job.

The same code runs in a notebook cell (one process, nothing distributed) and in
every rank of a job: ``rank``, ``world_size`` and ``device`` read what torch
elastic set; ``wrap`` returns a ``DistributedDataParallel`` model on the rank's
device inside a job and the model itself outside one; ``sampler`` shards a
dataset across ranks; ``save_checkpoint`` and ``load_checkpoint`` let a job
restarted after a failure resume where it stopped.

Importing this module costs nothing; torch is imported by the first call that
needs it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .files import CHECKPOINTS_ENV, JOB_ID_ENV, atomic_file

#: How many checkpoints ``save_checkpoint`` keeps unless told otherwise.
KEEP_CHECKPOINTS = 3
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)\.pt$")


class Distributed:
    """The current process's place in its job, read from the environment torch elastic
    sets (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``TORCHELASTIC_RESTART_COUNT``)."""

    @property
    def rank(self) -> int:
        """This process's rank among all processes of the job (0 outside a job)."""
        return int(os.environ.get("RANK", "0"))

    @property
    def world_size(self) -> int:
        """How many processes the job has (1 outside a job)."""
        return int(os.environ.get("WORLD_SIZE", "1"))

    @property
    def local_rank(self) -> int:
        """This process's rank on its machine: the index of its GPU."""
        return int(os.environ.get("LOCAL_RANK", "0"))

    @property
    def restart(self) -> int:
        """How often the job's processes were restarted after a failure (0 at first)."""
        return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0, the one that logs, saves checkpoints and returns."""
        return self.rank == 0

    @property
    def job_id(self) -> str | None:
        """The id of the job this process belongs to (None outside a job)."""
        return os.environ.get(JOB_ID_ENV)

    @property
    def in_job(self) -> bool:
        """Whether this process was started by torch elastic (a job, or ``torchrun``)."""
        return "MASTER_ADDR" in os.environ and "RANK" in os.environ

    @property
    def device(self) -> Any:
        """``cuda:<local_rank>`` when this process has a GPU, else ``cpu`` (a ``torch.device``)."""
        import torch

        if torch.cuda.is_available() and self.local_rank < torch.cuda.device_count():
            return torch.device("cuda", self.local_rank)
        return torch.device("cpu")

    @property
    def backend(self) -> str:
        """The collective backend: ``nccl`` between GPUs, ``gloo`` on CPU."""
        return "nccl" if self.device.type == "cuda" else "gloo"

    def setup(self) -> bool:
        """Join the job's default process group (once); False outside a job.

        Function jobs are set up before the function runs, so ``torch.distributed``
        collectives work inside it; a script may call this or set up the group itself.
        """
        if not self.in_job:
            return False
        import torch
        import torch.distributed as dist

        if not dist.is_initialized():
            if self.device.type == "cuda":
                torch.cuda.set_device(self.device)
            dist.init_process_group(backend=self.backend)
        return True

    def wrap(self, model: Any, **ddp_options: Any) -> Any:
        """``model`` on this process's device, in ``DistributedDataParallel`` inside a job.

        ``ddp_options`` go to ``DistributedDataParallel`` (``find_unused_parameters=True``,
        ...). Outside a job the model is returned on its device, unwrapped.
        """
        model = model.to(self.device)
        if not self.setup():
            return model
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=device_ids, **ddp_options)

    def sampler(
        self, dataset: Any, shuffle: bool = True, seed: int = 0, drop_last: bool = False
    ) -> Any:
        """A ``DistributedSampler`` giving this rank its share of ``dataset``.

        Pass it as the ``DataLoader``'s ``sampler`` and call ``set_epoch(epoch)`` at
        the start of each epoch so shuffling differs between epochs.
        """
        from torch.utils.data.distributed import DistributedSampler

        return DistributedSampler(
            dataset,
            num_replicas=self.world_size,
            rank=self.rank,
            shuffle=shuffle,
            seed=seed,
            drop_last=drop_last,
        )

    def barrier(self) -> None:
        """Wait until every rank gets here (returns at once outside a job)."""
        if not self.setup():
            return
        import torch.distributed as dist

        if self.device.type == "cuda":
            dist.barrier(device_ids=[self.device.index])
        else:
            dist.barrier()

    # -- checkpoints ---------------------------------------------------------

    @property
    def checkpoint_dir(self) -> Path:
        """The job's checkpoint folder; ``checkpoints`` in the working folder outside a job."""
        return Path(os.environ.get(CHECKPOINTS_ENV) or "checkpoints")

    def checkpoints(self) -> list[Path]:
        """The saved checkpoints, oldest first."""
        return [path for _, path in self._numbered()]

    def _numbered(self) -> list[tuple[int, Path]]:
        found = []
        if self.checkpoint_dir.is_dir():
            for path in self.checkpoint_dir.iterdir():
                match = _CHECKPOINT.match(path.name)
                if match:
                    found.append((int(match[1]), path))
        return sorted(found)

    def save_checkpoint(self, state: Any, keep: int = KEEP_CHECKPOINTS) -> Path | None:
        """Save ``state`` (anything ``torch.save`` takes) as the newest checkpoint.

        Only rank 0 writes (other ranks return None at once). The file appears whole
        or not at all, even if the job is killed while saving; the newest ``keep``
        checkpoints are kept.
        """
        if not self.is_main:
            return None
        if keep < 1:
            raise ValueError(f"keep must be at least 1, not {keep}")
        import torch

        existing = self._numbered()
        number = existing[-1][0] + 1 if existing else 1
        path = self.checkpoint_dir / f"checkpoint-{number:06d}.pt"
        with atomic_file(path) as out:
            torch.save(state, out)
        for old in self.checkpoints()[:-keep]:
            old.unlink(missing_ok=True)
        return path

    def load_checkpoint(self, map_location: Any = None) -> Any | None:
        """The newest checkpoint's state, on this process's device; None when there is none.

        Checkpoints are the job's own files, so they are loaded in full
        (``weights_only=False``): optimizer states, numbers and plain objects included.
        """
        existing = self.checkpoints()
        if not existing:
            return None
        import torch

        location = map_location if map_location is not None else self.device
        return torch.load(existing[-1], map_location=location, weights_only=False)

    def __repr__(self) -> str:
        where = f"job {self.job_id}" if self.job_id else "no job"
        return f"<dl.distributed rank {self.rank} of {self.world_size} ({where})>"


#: ``dl.distributed``.
distributed = Distributed()
