"""A model version's package on disk: how a ``torch.nn.Module`` becomes one, and back.

A package is a folder that serves without the code that defined the model:

``program.pt2``        the model as a ``torch.export`` program, batch size dynamic
                       (``program.ts``: TorchScript, when the model cannot be exported)
``weights.safetensors`` the ``state_dict`` (``weights.pt`` via ``torch.save`` when
                       safetensors cannot hold it, e.g. non-tensor entries)
``example.safetensors`` the example inputs and the outputs the model gave for them
``signature.json``     named inputs and outputs in Open Inference Protocol terms
``package.json``       the formats above and each file's size and SHA-256

:func:`build` writes a package and then **verifies** it: the program is loaded back
from disk and must reproduce the example outputs, and the stored weights must equal
the model's. A package that fails is never handed to the registry, so a published
version always loads. This is the only module of the registry that imports torch.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .signature import Signature, signature_from_examples

PROGRAM_EXPORT = "torch.export"
PROGRAM_TORCHSCRIPT = "torchscript"
WEIGHTS_SAFETENSORS = "safetensors"
WEIGHTS_TORCH = "state_dict"
PROGRAM_FILES = {PROGRAM_EXPORT: "program.pt2", PROGRAM_TORCHSCRIPT: "program.ts"}
WEIGHTS_FILES = {WEIGHTS_SAFETENSORS: "weights.safetensors", WEIGHTS_TORCH: "weights.pt"}
EXAMPLE_FILE = "example.safetensors"
SIGNATURE_FILE = "signature.json"
MANIFEST_FILE = "package.json"
#: How closely the reloaded program must reproduce the example outputs.
RTOL, ATOL = 1e-4, 1e-5


class PackageError(ValueError):
    """The model cannot be packaged as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Package:
    """What :func:`build` wrote: the folder and what the registry records of it."""

    root: Path
    program_format: str
    weights_format: str
    signature: Signature
    files: list[dict[str, Any]]

    @property
    def size(self) -> int:
        return sum(f["size"] for f in self.files)


def build(model: Any, example_input: Any, dest: Path) -> Package:
    """Package ``model`` into the empty folder ``dest`` and verify it loads.

    ``example_input`` is what ``model(...)`` takes: a tensor, a tuple or list of
    tensors (positional inputs), or a dict of tensors (keyword inputs), each with a
    batch dimension first.
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise PackageError(
            f"a model to publish must be a torch.nn.Module, not {type(model).__name__}"
        )
    names, inputs = _inputs(model, example_input)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            expected = _outputs(model(*inputs))
        dest.mkdir(parents=True, exist_ok=True)
        program_format = _save_program(model, inputs, dest)
        weights_format = _save_weights(model, dest)
    finally:
        model.train(was_training)
    signature = signature_from_examples(
        dict(zip(names, inputs, strict=True)), {f"output{i}": y for i, y in enumerate(expected)}
    )
    _save_examples(dest, dict(zip(names, inputs, strict=True)), expected)
    (dest / SIGNATURE_FILE).write_text(json.dumps(signature.to_json(), indent=1))
    verify(dest, program_format, weights_format, model)
    files = describe_files(dest)
    manifest = {
        "program": program_format,
        "weights": weights_format,
        "signature": signature.to_json(),
        "files": files,
    }
    (dest / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1))
    return Package(dest, program_format, weights_format, signature, describe_files(dest))


def open_package(root: Path) -> Package:
    """A package folder written by :func:`build` (kept with a run, say), checked again:
    its manifest read, its files' checksums compared and its example replayed."""
    try:
        manifest = json.loads((root / MANIFEST_FILE).read_text())
        program_format, weights_format = manifest["program"], manifest["weights"]
        signature = Signature.from_json(manifest["signature"])
        listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise PackageError(f"{root.name} is not a model package ({MANIFEST_FILE}: {e})") from None
    if program_format not in PROGRAM_FILES or weights_format not in WEIGHTS_FILES:
        raise PackageError(f"{root.name}: unknown formats {program_format!r}, {weights_format!r}")
    files = describe_files(root)
    found = {f["name"]: f["sha256"] for f in files}
    if found != listed:
        changed = sorted(set(found.items()) ^ set(listed.items()))
        raise PackageError(
            f"the files of {root.name} differ from its manifest ({changed[0][0]}): it was"
            " changed or is incomplete"
        )
    verify(root, program_format, weights_format)
    return Package(root, program_format, weights_format, signature, files)


def verify(dest: Path, program_format: str, weights_format: str, model: Any = None) -> None:
    """Load the package back from disk and check it reproduces its example; with
    ``model``, also that the stored weights are the model's. :class:`PackageError`
    says what differs."""
    import torch

    program = load_program(dest, program_format)
    inputs, expected = _load_examples(dest)
    with torch.no_grad():
        got = _outputs(program(*inputs.values()))
    if len(got) != len(expected):
        raise PackageError(
            f"the stored program returns {len(got)} outputs where the model returned"
            f" {len(expected)}; nothing was published"
        )
    for i, (a, b) in enumerate(zip(got, expected, strict=True)):
        if a.shape != b.shape or not torch.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True):
            diff = (a - b).abs().max().item() if a.shape == b.shape else f"shape {tuple(a.shape)}"
            raise PackageError(
                f"the stored model does not reproduce output {i} of the example input"
                f" (difference {diff}); it may depend on randomness or on Python state"
                " that export cannot capture. Nothing was published"
            )
    if model is not None:
        stored = load_weights(dest, weights_format)
        for key, value in model.state_dict().items():
            kept = stored.get(key)
            if isinstance(value, torch.Tensor) and (kept is None or not torch.equal(kept, value)):
                raise PackageError(f"the stored weight {key!r} differs from the model's")


def load_program(root: Path, program_format: str, device: str | None = None) -> Any:
    """The package's model, ready to call: a module from the exported program (or
    the TorchScript module), in eval mode, on ``device``."""
    import torch

    path = root / PROGRAM_FILES[program_format]
    if program_format == PROGRAM_EXPORT:
        module = torch.export.load(str(path)).module()
        if device is not None:
            module = module.to(device)
        return module
    module = torch.jit.load(str(path), map_location=device)  # type: ignore[no-untyped-call]
    module.eval()
    return module


def load_weights(root: Path, weights_format: str, device: str | None = None) -> dict[str, Any]:
    """The package's ``state_dict``."""
    path = root / WEIGHTS_FILES[weights_format]
    if weights_format == WEIGHTS_SAFETENSORS:
        from safetensors.torch import load_file

        return dict(load_file(str(path), device=device or "cpu"))
    import torch

    state: dict[str, Any] = torch.load(path, map_location=device or "cpu", weights_only=True)
    return state


def load_example(root: Path) -> dict[str, Any]:
    """The example inputs (by input name) the package was published with, as tensors."""
    return _load_examples(root)[0]


def predictor(
    root: Path, program_format: str, signature: Signature, device: str | None = None
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A batch predict function over numpy arrays, for the inference server: inputs by
    name in, outputs by name out."""
    import numpy as np
    import torch

    module = load_program(root, program_format, device)
    names = [spec.name for spec in signature.inputs]
    outputs = [spec.name for spec in signature.outputs]

    def predict(batch: dict[str, Any]) -> dict[str, Any]:
        args = [torch.from_numpy(np.ascontiguousarray(batch[n])).to(device or "cpu") for n in names]
        with torch.inference_mode():
            result = _outputs(module(*args))
        return {name: y.detach().cpu().numpy() for name, y in zip(outputs, result, strict=True)}

    return predict


def describe_files(root: Path) -> list[dict[str, Any]]:
    """Each file of the package with its size and SHA-256, in name order."""
    described = []
    for path in sorted(p for p in root.iterdir() if p.is_file() and p.name != MANIFEST_FILE):
        described.append(
            {"name": path.name, "size": path.stat().st_size, "sha256": sha256_of(path)}
        )
    return described


def sha256_of(path: Path) -> str:
    """A file's SHA-256, as a package lists it."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------- internals


def _inputs(model: Any, example: Any) -> tuple[list[str], list[Any]]:
    """Input names and tensors, in the order ``forward`` takes them."""
    import torch

    if isinstance(example, torch.Tensor):
        example = (example,)
    if isinstance(example, Mapping):
        params = list(inspect.signature(model.forward).parameters)
        unknown = [k for k in example if k not in params]
        if unknown:
            raise PackageError(f"{type(model).__name__}.forward takes no input {unknown[0]!r}")
        order = [p for p in params if p in example]
        names, tensors = order, [example[p] for p in order]
    elif isinstance(example, Sequence) and not isinstance(example, (str, bytes)):
        tensors = list(example)
        params = [
            name
            for name, p in inspect.signature(model.forward).parameters.items()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        names = [params[i] if i < len(params) else f"input{i}" for i in range(len(tensors))]
    else:
        raise PackageError(
            "example_input must be a tensor, a tuple of tensors or a dict of tensors,"
            f" not {type(example).__name__}"
        )
    if not tensors:
        raise PackageError("example_input needs at least one tensor")
    for name, x in zip(names, tensors, strict=True):
        if not isinstance(x, torch.Tensor):
            raise PackageError(f"example input {name!r} is a {type(x).__name__}, not a tensor")
        if x.dim() == 0:
            raise PackageError(f"example input {name!r} needs a batch dimension first")
    return names, [x.detach().cpu() for x in tensors]


def _outputs(result: Any) -> list[Any]:
    import torch

    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, Mapping):
        result = list(result.values())
    if isinstance(result, (tuple, list)) and all(isinstance(y, torch.Tensor) for y in result):
        return list(result)
    raise PackageError(
        f"the model returned a {type(result).__name__}; a published model returns a tensor"
        " or a tuple of tensors"
    )


def _save_program(model: Any, inputs: list[Any], dest: Path) -> str:
    """``torch.export`` with a dynamic batch dimension, else TorchScript by tracing."""
    import torch

    # A batch of one would let export specialise the batch size to 1: trace with two.
    traced = [torch.cat([x, x]) if x.shape[0] == 1 else x for x in inputs]
    dynamic = tuple({0: torch.export.Dim.DYNAMIC} for _ in traced)
    export_error: Exception | None = None
    try:
        program = torch.export.export(model, tuple(traced), dynamic_shapes=dynamic)
        torch.export.save(program, str(dest / PROGRAM_FILES[PROGRAM_EXPORT]))
        return PROGRAM_EXPORT
    except Exception as e:
        export_error = e
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # trace's own deprecation and tracer notes
            scripted = torch.jit.trace(model, tuple(traced), check_trace=False)  # type: ignore[no-untyped-call]
        torch.jit.save(scripted, str(dest / PROGRAM_FILES[PROGRAM_TORCHSCRIPT]))
        warnings.warn(
            f"{type(model).__name__} could not be exported ({_first_line(export_error)});"
            " it was published as a TorchScript trace, which replays the branches the"
            " example input took",
            stacklevel=4,
        )
        return PROGRAM_TORCHSCRIPT
    except Exception as e:
        raise PackageError(
            f"{type(model).__name__} can be neither exported"
            f" (torch.export: {_first_line(export_error)})"
            f" nor traced (TorchScript: {_first_line(e)}); nothing was published"
        ) from e


def _save_weights(model: Any, dest: Path) -> str:
    import torch

    state = model.state_dict()
    try:
        from safetensors.torch import save_model

        save_model(model, str(dest / WEIGHTS_FILES[WEIGHTS_SAFETENSORS]))
        return WEIGHTS_SAFETENSORS
    except Exception:
        (dest / WEIGHTS_FILES[WEIGHTS_SAFETENSORS]).unlink(missing_ok=True)
    torch.save(state, dest / WEIGHTS_FILES[WEIGHTS_TORCH])
    return WEIGHTS_TORCH


def _save_examples(dest: Path, inputs: Mapping[str, Any], outputs: list[Any]) -> None:
    """Inputs as ``input:<position>:<name>`` (safetensors keeps no order), outputs as
    ``output:<position>``."""
    from safetensors.torch import save_file

    tensors = {f"input:{i:03d}:{k}": v.contiguous() for i, (k, v) in enumerate(inputs.items())}
    tensors.update(
        {f"output:{i:03d}": y.detach().cpu().contiguous() for i, y in enumerate(outputs)}
    )
    save_file(tensors, str(dest / EXAMPLE_FILE))


def _load_examples(root: Path) -> tuple[dict[str, Any], list[Any]]:
    """The example inputs by name in ``forward``'s order, and the outputs in order."""
    from safetensors.torch import load_file

    loaded = load_file(str(root / EXAMPLE_FILE))
    inputs = {k.split(":", 2)[2]: loaded[k] for k in sorted(loaded) if k.startswith("input:")}
    outputs = [loaded[k] for k in sorted(loaded) if k.startswith("output:")]
    return inputs, outputs


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
