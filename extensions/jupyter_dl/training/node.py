"""What each pod of a Kubernetes job runs: ``python -m jupyter_dl.training.node <torchrun args>``.

It is ``torchrun`` (``torch.distributed.run``) with the two things only the pod
itself knows:

- whether it hosts the c10d rendezvous. Node 0 does: an indexed Job's pod with
  ``JOB_COMPLETION_INDEX=0``, or a PyTorchJob's master (``PET_NODE_RANK=0``, set
  by the training operator). It says so (``is_host``) instead of letting torch
  guess from DNS, which may not know a pod yet in its first seconds;
- that the job's folder is there: a pod without the shared volume stops at once
  with exit code 2 and a message naming the folder and the ``volume`` option,
  rather than every rank failing with a traceback.

The last argument is the job's folder, as in ``torchrun ... --module
jupyter_dl.training.entry <job dir>``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

#: Where a pod's node index comes from: an indexed Job, then the training operator.
INDEX_ENV = ("JOB_COMPLETION_INDEX", "PET_NODE_RANK")


def node_index(env: Mapping[str, str]) -> int:
    """This pod's place among the job's pods (0 when nothing says otherwise)."""
    for name in INDEX_ENV:
        if env.get(name, "").strip().isdigit():
            return int(env[name])
    return 0


def torchrun_args(args: list[str], env: Mapping[str, str]) -> list[str]:
    """``args`` with this pod's part of the rendezvous (``is_host``) added."""
    host = "is_host=1" if node_index(env) == 0 else "is_host=0"
    for i, arg in enumerate(args):
        if arg.startswith("--rdzv-conf="):
            return [*args[:i], f"{arg},{host}", *args[i + 1 :]]
    return [f"--rdzv-conf={host}", *args]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(
            "usage: python -m jupyter_dl.training.node <torchrun args> <job dir>", file=sys.stderr
        )
        return 2
    job_dir = Path(args[-1])
    if not (job_dir / "job.json").is_file():
        print(
            f"jupyter-dl: the job's folder {job_dir} is not visible in this pod: the jobs"
            " folder must be on the PersistentVolumeClaim named by the kubernetes backend's"
            " 'volume' option, mounted at the same path ('mount_path') as on the server",
            file=sys.stderr,
            flush=True,
        )
        return 2
    from torch.distributed.run import main as torchrun

    torchrun(torchrun_args(args, os.environ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
