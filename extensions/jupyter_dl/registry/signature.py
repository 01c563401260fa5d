"""What a published model takes and returns, in the terms of the Open Inference Protocol.

A model version carries a :class:`Signature`: named input and output tensors, each
with an OIP datatype (``FP32``, ``INT64``...) and a shape in which ``-1`` means any
size and the first dimension is the batch dimension. The registry stores it as
JSON next to the model; the inference server checks every request against it, so
a caller who sends the wrong shape or dtype is told the signature they should have
sent (``x: FP32[-1, 4] -> y: FP32[-1, 1]``) instead of getting a traceback from
inside the model.

Only numpy is needed here: torch dtypes are accepted by name (``torch.float32``),
so the registry and the server can describe torch models without importing torch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest

if TYPE_CHECKING:
    import numpy as np

# OIP datatype -> numpy dtype name. BYTES (strings) is not supported.
DATATYPES: dict[str, str] = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "UINT32": "uint32",
    "UINT64": "uint64",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
}
_BY_NUMPY_NAME = {numpy_name: datatype for datatype, numpy_name in DATATYPES.items()}

# torch's short aliases, which mean something else in numpy ("float" is float64 there).
_TORCH_ALIASES = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "long": "int64",
    "int": "int32",
    "short": "int16",
}

# The JSON values each datatype accepts, as the numpy kinds that np.asarray infers
# for them: integers for integer tensors, numbers for float tensors, true/false for
# BOOL. Anything else (strings, floats into an INT tensor) is a bad request rather
# than silently converted.
_ACCEPTED_KINDS = {"b": "b", "u": "iu", "i": "iu", "f": "iuf"}


def datatype_of(dtype: Any) -> str:
    """The OIP datatype of a numpy dtype, a numpy scalar type, or a dtype's name.

    Names may be numpy's (``"float32"``), torch's (``"torch.float32"``, ``"torch.long"``;
    ``str(tensor.dtype)`` gives these) or already OIP (``"FP32"``).

    Raises :class:`ValueError` for a dtype the protocol cannot carry.
    """
    import numpy as np

    if isinstance(dtype, str):
        name = dtype.strip()
        if name in DATATYPES:
            return name
        if name.startswith("torch."):
            name = name.removeprefix("torch.")
            name = _TORCH_ALIASES.get(name, name)
        if name in _BY_NUMPY_NAME:
            return _BY_NUMPY_NAME[name]
        raise ValueError(f"dtype {dtype!r} has no Open Inference Protocol datatype; {_supported()}")
    if not isinstance(dtype, np.dtype) and str(dtype).startswith("torch."):
        return datatype_of(str(dtype))
    try:
        name = np.dtype(dtype).name
    except TypeError as e:
        raise ValueError(f"{dtype!r} is not a dtype; {_supported()}") from e
    if name not in _BY_NUMPY_NAME:
        raise ValueError(f"dtype {name!r} has no Open Inference Protocol datatype; {_supported()}")
    return _BY_NUMPY_NAME[name]


def numpy_dtype(datatype: str) -> np.dtype[Any]:
    """The numpy dtype holding an OIP datatype (``"FP32"`` -> ``float32``)."""
    import numpy as np

    if datatype not in DATATYPES:
        raise ValueError(f"unknown datatype {datatype!r}; {_supported()}")
    return np.dtype(DATATYPES[datatype])


def _supported() -> str:
    return f"supported datatypes are {', '.join(DATATYPES)}"


@dataclass(frozen=True)
class TensorSpec:
    """One named tensor of a signature. ``-1`` in ``shape`` means any size.

    The first dimension is the batch dimension: requests are stacked along it, so a
    spec has at least one dimension and usually ``-1`` as the first.
    """

    name: str
    datatype: str
    shape: tuple[int, ...] = field(default=(-1,))

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a tensor name must be a non-empty string, not {self.name!r}")
        if self.datatype not in DATATYPES:
            raise ValueError(
                f"tensor {self.name!r}: unknown datatype {self.datatype!r}; {_supported()}"
            )
        shape = self.shape
        if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
            raise ValueError(
                f"tensor {self.name!r}: shape must be a list of integers, not {shape!r}"
            )
        if not shape or any(type(d) is not int or d < -1 for d in shape):
            raise ValueError(
                f"tensor {self.name!r}: shape must be a non-empty list of sizes >= 0 or -1 (any), "
                f"the first being the batch dimension; got {list(shape)!r}"
            )
        object.__setattr__(self, "shape", tuple(shape))

    def describe(self) -> str:
        """``x: FP32[-1, 3, 32, 32]``."""
        return f"{self.name}: {self.datatype}[{', '.join(str(d) for d in self.shape)}]"

    def matches(self, shape: Sequence[int]) -> bool:
        """Whether an actual shape fits this spec (same rank, fixed sizes equal)."""
        return len(shape) == len(self.shape) and all(
            want in (-1, got) for want, got in zip(self.shape, shape, strict=True)
        )

    def to_json(self) -> dict[str, Any]:
        """The tensor as OIP model metadata shows it: ``{"name", "datatype", "shape"}``."""
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}

    @classmethod
    def from_json(cls, d: Any) -> TensorSpec:
        if not isinstance(d, Mapping):
            raise ValueError(
                f'a tensor must be an object {{"name", "datatype", "shape"}}, not {d!r}'
            )
        missing = [key for key in ("name", "datatype", "shape") if key not in d]
        if missing:
            raise ValueError(f"tensor {dict(d)!r} lacks {', '.join(missing)}")
        return cls(name=d["name"], datatype=d["datatype"], shape=d["shape"])


@dataclass(frozen=True)
class Signature:
    """The named inputs a model takes and the named outputs it returns."""

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        for kind, specs in (("input", self.inputs), ("output", self.outputs)):
            if not specs:
                raise ValueError(f"a signature needs at least one {kind}")
            names = [spec.name for spec in specs]
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"{kind} names must be unique; repeated: {', '.join(duplicates)}")

    def describe(self) -> str:
        """``x: FP32[-1, 4] -> y: FP32[-1, 1]``: what error messages show callers."""
        inputs = ", ".join(spec.describe() for spec in self.inputs)
        outputs = ", ".join(spec.describe() for spec in self.outputs)
        return f"{inputs} -> {outputs}"

    def input(self, name: str) -> TensorSpec | None:
        return next((spec for spec in self.inputs if spec.name == name), None)

    def output(self, name: str) -> TensorSpec | None:
        return next((spec for spec in self.outputs if spec.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """``{"inputs": [...], "outputs": [...]}``, each tensor as OIP metadata shows it."""
        return {
            "inputs": [spec.to_json() for spec in self.inputs],
            "outputs": [spec.to_json() for spec in self.outputs],
        }

    @classmethod
    def from_json(cls, d: Any) -> Signature:
        """The inverse of :meth:`to_json`; :class:`ValueError` saying what is wrong otherwise."""
        if not isinstance(d, Mapping):
            raise ValueError(
                f'a signature must be an object {{"inputs": [...], "outputs": [...]}}, not {d!r}'
            )
        for key in ("inputs", "outputs"):
            if not isinstance(d.get(key), list):
                raise ValueError(f"a signature needs {key!r}: a list of tensors")
        return cls(
            inputs=tuple(TensorSpec.from_json(t) for t in d["inputs"]),
            outputs=tuple(TensorSpec.from_json(t) for t in d["outputs"]),
        )


def signature_from_examples(inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> Signature:
    """A signature read off example tensors (numpy arrays or torch tensors).

    Each example's first dimension is its batch, so it becomes ``-1``; the other
    sizes are kept as they are.
    """
    import numpy as np

    def spec(name: str, example: Any) -> TensorSpec:
        dtype = getattr(example, "dtype", None)
        if dtype is None:
            example = np.asarray(example)
            dtype = example.dtype
        shape = tuple(int(d) for d in example.shape)
        if not shape:
            raise ValueError(f"example {name!r} is a scalar; it needs a batch dimension")
        return TensorSpec(
            name,
            datatype_of(dtype if isinstance(dtype, np.dtype) else str(dtype)),
            (-1, *shape[1:]),
        )

    return Signature(
        inputs=tuple(spec(name, x) for name, x in inputs.items()),
        outputs=tuple(spec(name, y) for name, y in outputs.items()),
    )


def decode_inputs(
    signature: Signature, body: Any, binary: bytes | memoryview | None = None
) -> dict[str, np.ndarray]:
    """The input arrays of an OIP v2 infer request, checked against ``signature``.

    ``body`` is the parsed JSON object (bytes or str are parsed first):
    ``{"id"?, "inputs": [{"name", "shape", "datatype", "data", "parameters"?}], "outputs"?}``.
    ``data`` may be flat or nested, in row-major order. Every input of the signature
    must be present once, with its datatype, a shape that fits its spec and as many
    values as the shape holds; all inputs share the first (batch) dimension.

    ``binary`` is what follows the JSON in a request that uses the protocol's binary
    data extension (``Inference-Header-Content-Length``): an input with
    ``"parameters": {"binary_data_size": n}`` and no ``data`` takes the next ``n``
    bytes, raw little-endian values in row-major order. Parsing no JSON numbers
    makes this the fast way to send images.

    Raises :class:`BadRequest` naming the expected signature otherwise.
    """
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError as e:
            raise _bad(signature, f"the body is not JSON ({e})") from None
    if not isinstance(body, Mapping) or not isinstance(body.get("inputs"), list):
        raise _bad(signature, 'the body must be a JSON object with "inputs": a list of tensors')
    blobs = _Blobs(signature, binary)
    arrays: dict[str, np.ndarray] = {}
    for tensor in body["inputs"]:
        if not isinstance(tensor, Mapping) or not isinstance(tensor.get("name"), str):
            raise _bad(signature, f"each input must be an object with a name, not {_short(tensor)}")
        name = tensor["name"]
        spec = signature.input(name)
        if spec is None:
            raise _bad(signature, f"unknown input {name!r}")
        if name in arrays:
            raise _bad(signature, f"input {name!r} is given twice")
        arrays[name] = _decode_tensor(signature, spec, tensor, blobs)
    missing = [spec.name for spec in signature.inputs if spec.name not in arrays]
    if missing:
        raise _bad(
            signature,
            f"missing input{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}",
        )
    blobs.check_used()
    batches = {name: int(array.shape[0]) for name, array in arrays.items()}
    if len(set(batches.values())) > 1:
        sizes = ", ".join(f"{name}: {size}" for name, size in batches.items())
        raise _bad(signature, f"inputs must share the first (batch) dimension; got {sizes}")
    return arrays


class _Blobs:
    """The binary part of a request, handed out to inputs in their order."""

    def __init__(self, signature: Signature, binary: bytes | memoryview | None) -> None:
        self.signature = signature
        self.binary = memoryview(binary) if binary is not None else None
        self.offset = 0

    def take(self, name: str, size: int) -> memoryview:
        if self.binary is None:
            raise _bad(
                self.signature,
                f"input {name!r} has binary_data_size but the request has no binary part "
                "(send the JSON's length in the Inference-Header-Content-Length header)",
            )
        chunk = self.binary[self.offset : self.offset + size]
        if len(chunk) < size:
            raise _bad(
                self.signature,
                f"input {name!r} needs {size} bytes of binary data but only {len(chunk)} are left",
            )
        self.offset += size
        return chunk

    def check_used(self) -> None:
        if self.binary is not None and self.offset != len(self.binary):
            left = len(self.binary) - self.offset
            raise _bad(
                self.signature,
                f"{left} bytes of binary data are not claimed by any input's binary_data_size",
            )


def _decode_tensor(
    signature: Signature, spec: TensorSpec, tensor: Mapping[str, Any], blobs: _Blobs
) -> np.ndarray:
    import numpy as np

    name = spec.name
    datatype = tensor.get("datatype")
    if datatype != spec.datatype:
        raise _bad(signature, f"input {name!r} has datatype {datatype!r}, expected {spec.datatype}")
    shape = tensor.get("shape")
    if not isinstance(shape, list) or any(type(d) is not int or d < 0 for d in shape):
        raise _bad(
            signature, f"input {name!r} needs a shape: a list of sizes >= 0, not {_short(shape)}"
        )
    if not spec.matches(shape):
        raise _bad(signature, f"input {name!r} has shape {shape}, expected {spec.describe()}")
    parameters = tensor.get("parameters")
    if isinstance(parameters, Mapping) and "binary_data_size" in parameters:
        return _decode_binary(signature, spec, shape, parameters["binary_data_size"], tensor, blobs)
    if "data" not in tensor:
        raise _bad(signature, f"input {name!r} has no data")
    data = tensor["data"]
    if not isinstance(data, list):
        data = [data]
    try:
        values = np.asarray(data)
    except (ValueError, TypeError):
        raise _bad(
            signature, f"input {name!r}: data must be a flat or evenly nested list of numbers"
        ) from None
    dtype = numpy_dtype(spec.datatype)
    if values.size and values.dtype.kind not in _ACCEPTED_KINDS[dtype.kind]:
        raise _bad(
            signature,
            f"input {name!r}: data holds {_kind_name(values)}, which {spec.datatype} cannot carry",
        )
    if values.size != math.prod(shape):
        raise _bad(
            signature,
            f"input {name!r} has {values.size} values but shape {shape} holds {math.prod(shape)}",
        )
    try:
        with np.errstate(over="raise", invalid="raise"):
            array = values.astype(dtype, casting="unsafe").reshape(shape)
        if (
            dtype.kind in "iu"
            and values.size
            and not np.array_equal(array.reshape(-1), values.reshape(-1))
        ):
            raise OverflowError
    except (OverflowError, FloatingPointError):
        raise _bad(signature, f"input {name!r}: values out of range for {spec.datatype}") from None
    return array


def _decode_binary(
    signature: Signature,
    spec: TensorSpec,
    shape: list[int],
    size: Any,
    tensor: Mapping[str, Any],
    blobs: _Blobs,
) -> np.ndarray:
    import numpy as np

    name = spec.name
    if "data" in tensor:
        raise _bad(signature, f"input {name!r} has both data and binary_data_size; send one")
    dtype = numpy_dtype(spec.datatype)
    expected = math.prod(shape) * dtype.itemsize
    if type(size) is not int or size != expected:
        raise _bad(
            signature,
            f"input {name!r} has binary_data_size {size!r} but shape {shape} of "
            f"{spec.datatype} takes {expected} bytes",
        )
    values = np.frombuffer(blobs.take(name, size), dtype=dtype.newbyteorder("<"))
    # A copy in native order that the model may write to (torch.from_numpy wants that).
    return values.astype(dtype, copy=True).reshape(shape)


def _kind_name(values: np.ndarray) -> str:
    return {
        "b": "true/false values",
        "f": "fractional numbers",
        "U": "strings",
        "O": "mixed or nested values",
    }.get(values.dtype.kind, f"{values.dtype} values")


def requested_outputs(signature: Signature, body: Any) -> tuple[str, ...]:
    """The output names an infer request asks for (all of them when it names none)."""
    wanted = body.get("outputs") if isinstance(body, Mapping) else None
    if wanted is None:
        return tuple(spec.name for spec in signature.outputs)
    if not isinstance(wanted, list):
        raise _bad(signature, '"outputs" must be a list of {"name": ...} objects')
    names = []
    for item in wanted:
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or signature.output(name) is None:
            raise _bad(signature, f"unknown output {_short(name if name is not None else item)}")
        names.append(name)
    return tuple(names)


def encode_outputs(
    signature: Signature,
    arrays: Mapping[str, Any],
    model_name: str,
    model_version: str | None = None,
    request_id: str | None = None,
    outputs: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The OIP v2 infer response for a model's output arrays.

    ``outputs`` limits the response to the named outputs (see :func:`requested_outputs`).
    An output missing from ``arrays`` or not fitting its spec is the model's fault,
    not the caller's: :class:`ValueError`, which the server answers with 500.
    """
    import numpy as np

    response: dict[str, Any] = {"model_name": model_name}
    if model_version is not None:
        response["model_version"] = str(model_version)
    if request_id is not None:
        response["id"] = request_id
    encoded = []
    for name in outputs if outputs is not None else [spec.name for spec in signature.outputs]:
        spec = signature.output(name)
        if spec is None:
            raise ValueError(f"{name!r} is not an output of the signature {signature.describe()}")
        if name not in arrays:
            raise ValueError(
                f"the model returned no output {name!r}; its signature is {signature.describe()}"
            )
        array = np.asarray(arrays[name])
        if not spec.matches(array.shape):
            raise ValueError(
                f"the model returned {name!r} with shape {list(array.shape)}, "
                f"but its signature is {signature.describe()}"
            )
        array = array.astype(numpy_dtype(spec.datatype), copy=False)
        encoded.append(
            {
                "name": name,
                "datatype": spec.datatype,
                "shape": list(array.shape),
                "data": array.reshape(-1).tolist(),
            }
        )
    response["outputs"] = encoded
    return response


def _bad(signature: Signature, problem: str) -> BadRequest:
    return BadRequest(f"{problem}; the model expects {signature.describe()}")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
