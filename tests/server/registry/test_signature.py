"""Signatures: what a model takes and returns, and how requests are checked against them."""

import re

import numpy as np
import pytest

from jupyter_dl.errors import BadRequest
from jupyter_dl.registry.signature import (
    Signature,
    TensorSpec,
    datatype_of,
    decode_inputs,
    encode_outputs,
    numpy_dtype,
    requested_outputs,
    signature_from_examples,
)

IMAGES = Signature(
    inputs=(TensorSpec("image", "FP32", (-1, 3, 2, 2)), TensorSpec("mask", "BOOL", (-1, 2))),
    outputs=(TensorSpec("logits", "FP32", (-1, 10)), TensorSpec("label", "INT64", (-1,))),
)
SIMPLE = Signature((TensorSpec("x", "FP32", (-1, 4)),), (TensorSpec("y", "FP32", (-1, 1)),))


def tensor(name="x", shape=(2, 4), datatype="FP32", data=None):
    if data is None:
        data = list(range(int(np.prod(shape))))
    return {"name": name, "shape": list(shape), "datatype": datatype, "data": data}


def request(*tensors):
    return {"inputs": list(tensors)}


def test_describe_reads_like_the_signature():
    assert IMAGES.describe() == (
        "image: FP32[-1, 3, 2, 2], mask: BOOL[-1, 2] -> logits: FP32[-1, 10], label: INT64[-1]"
    )
    assert TensorSpec("input0", "FP32", (-1, 3, 32, 32)).describe() == "input0: FP32[-1, 3, 32, 32]"


def test_json_round_trip_keeps_everything():
    as_json = IMAGES.to_json()
    assert as_json["inputs"][0] == {"name": "image", "datatype": "FP32", "shape": [-1, 3, 2, 2]}
    assert Signature.from_json(as_json) == IMAGES


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([], "must be an object"),
        ({"inputs": []}, "'outputs'"),
        (
            {"inputs": [], "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1]}]},
            "at least one input",
        ),
        ({"inputs": ["x"], "outputs": []}, "a tensor must be an object"),
        ({"inputs": [{"name": "x", "datatype": "FP32"}], "outputs": []}, "lacks shape"),
        (
            {"inputs": [{"name": "x", "datatype": "FLOAT", "shape": [-1]}], "outputs": []},
            "unknown datatype",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": []}], "outputs": []},
            "non-empty list",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": [-2]}], "outputs": []},
            ">= 0 or -1",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": "-1"}], "outputs": []},
            "list of integers",
        ),
        (
            {"inputs": [{"name": "", "datatype": "FP32", "shape": [-1]}], "outputs": []},
            "non-empty string",
        ),
    ],
)
def test_bad_signature_json_says_what_is_wrong(bad, message):
    with pytest.raises(ValueError, match=message):
        Signature.from_json(bad)


def test_tensor_names_are_unique():
    spec = TensorSpec("x", "FP32", (-1,))
    with pytest.raises(ValueError, match="repeated: x"):
        Signature((spec, spec), (TensorSpec("y", "FP32", (-1,)),))


@pytest.mark.parametrize(
    ("dtype", "datatype"),
    [
        (np.float32, "FP32"),
        (np.dtype("float16"), "FP16"),
        (np.dtype("int64"), "INT64"),
        (np.uint8, "UINT8"),
        (np.bool_, "BOOL"),
        ("float64", "FP64"),
        ("int8", "INT8"),
        ("torch.float32", "FP32"),
        ("torch.float", "FP32"),
        ("torch.long", "INT64"),
        ("torch.half", "FP16"),
        ("torch.bool", "BOOL"),
        ("FP32", "FP32"),
    ],
)
def test_datatype_of_numpy_and_torch_dtypes(dtype, datatype):
    assert datatype_of(dtype) == datatype
    assert numpy_dtype(datatype) == np.dtype(DTYPE_NAMES[datatype])


DTYPE_NAMES = {
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
    "INT8": "int8",
    "INT64": "int64",
    "UINT8": "uint8",
    "BOOL": "bool",
}


@pytest.mark.parametrize("dtype", ["complex64", "torch.bfloat16", np.dtype("U3"), "float"])
def test_datatype_of_what_the_protocol_cannot_carry(dtype):
    with pytest.raises(ValueError, match="supported datatypes are BOOL"):
        datatype_of(dtype)


def test_signature_from_examples_makes_the_batch_dimension_any_size():
    class TorchLike:  # what a torch tensor shows: dtype by name, shape
        dtype = "torch.int64"
        shape = (5,)

    signature = signature_from_examples(
        {"image": np.zeros((5, 3, 2, 2), np.float32)}, {"label": TorchLike()}
    )
    assert signature.describe() == "image: FP32[-1, 3, 2, 2] -> label: INT64[-1]"


def test_decode_flat_and_nested_data():
    flat = decode_inputs(SIMPLE, request(tensor()))
    nested = decode_inputs(SIMPLE, request(tensor(data=[[0, 1, 2, 3], [4, 5, 6, 7]])))
    for arrays in (flat, nested):
        assert arrays["x"].dtype == np.float32
        assert arrays["x"].tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_decode_several_inputs_and_types():
    arrays = decode_inputs(
        IMAGES,
        request(
            tensor("mask", (1, 2), "BOOL", [True, False]),
            tensor("image", (1, 3, 2, 2), "FP32"),
        ),
    )
    assert arrays["mask"].dtype == np.bool_
    assert arrays["mask"].tolist() == [[True, False]]
    assert arrays["image"].shape == (1, 3, 2, 2)


def test_decode_parses_bytes():
    body = b'{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}'
    assert decode_inputs(SIMPLE, body)["x"].tolist() == [[1, 2, 3, 4]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not JSON"),
        ([], '"inputs": a list'),
        ({"inputs": {}}, '"inputs": a list'),
        (request(), "missing input 'x'"),
        (request(tensor(), tensor()), "input 'x' is given twice"),
        (request(tensor(), tensor("z")), "unknown input 'z'"),
        (request({"shape": [1]}), "with a name"),
        (request(tensor(datatype="FP64")), "datatype 'FP64', expected FP32"),
        (request(tensor(shape=(2, 3))), r"shape \[2, 3\], expected x: FP32\[-1, 4\]"),
        (request(tensor(shape=(8,))), r"shape \[8\], expected"),
        (request(tensor(shape=(2, -1))), "a list of sizes >= 0"),
        (request(tensor(data=[1, 2, 3])), r"has 3 values but shape \[2, 4\] holds 8"),
        (request({"name": "x", "shape": [1, 4], "datatype": "FP32"}), "has no data"),
        (
            request(tensor(shape=(1, 4), data=["a", "b", "c", "d"])),
            "strings, which FP32 cannot carry",
        ),
        (request(tensor(data=[[1, 2, 3, 4], [5, 6, 7]])), "evenly nested"),
    ],
)
def test_bad_request_names_the_expected_signature(body, message):
    with pytest.raises(BadRequest, match=message) as raised:
        decode_inputs(SIMPLE, body)
    assert raised.value.message.endswith("the model expects x: FP32[-1, 4] -> y: FP32[-1, 1]")


def test_integer_tensors_take_integers_in_range():
    ints = Signature((TensorSpec("n", "UINT8", (-1,)),), (TensorSpec("y", "FP32", (-1,)),))
    assert decode_inputs(ints, request(tensor("n", (2,), "UINT8", [0, 255])))["n"].tolist() == [
        0,
        255,
    ]
    with pytest.raises(BadRequest, match="fractional numbers, which UINT8 cannot carry"):
        decode_inputs(ints, request(tensor("n", (1,), "UINT8", [1.5])))
    with pytest.raises(BadRequest, match="out of range for UINT8"):
        decode_inputs(ints, request(tensor("n", (2,), "UINT8", [1, 256])))
    with pytest.raises(BadRequest, match="out of range for UINT8"):
        decode_inputs(ints, request(tensor("n", (1,), "UINT8", [-1])))


def test_inputs_share_the_batch_dimension():
    with pytest.raises(BadRequest, match="share the first"):
        decode_inputs(
            IMAGES,
            request(tensor("image", (2, 3, 2, 2)), tensor("mask", (1, 2), "BOOL", [True, True])),
        )


def test_requested_outputs():
    assert requested_outputs(IMAGES, {"inputs": []}) == ("logits", "label")
    assert requested_outputs(IMAGES, {"outputs": [{"name": "label"}]}) == ("label",)
    with pytest.raises(BadRequest, match="unknown output 'nope'"):
        requested_outputs(IMAGES, {"outputs": [{"name": "nope"}]})


def test_encode_outputs_is_an_oip_response():
    arrays = {"logits": np.zeros((2, 10), np.float64), "label": np.array([3, 4])}
    response = encode_outputs(IMAGES, arrays, "classifier", "2", "req-1", ["label"])
    assert response == {
        "model_name": "classifier",
        "model_version": "2",
        "id": "req-1",
        "outputs": [{"name": "label", "datatype": "INT64", "shape": [2], "data": [3, 4]}],
    }
    everything = encode_outputs(IMAGES, arrays, "classifier")
    assert "id" not in everything
    assert everything["outputs"][0]["datatype"] == "FP32"
    assert len(everything["outputs"][0]["data"]) == 20


def test_outputs_that_break_the_signature_are_the_models_fault():
    with pytest.raises(ValueError, match="returned no output 'y'"):
        encode_outputs(SIMPLE, {}, "m")
    with pytest.raises(ValueError, match=r"'y' with shape \[2, 3\], but its signature is x: FP32"):
        encode_outputs(SIMPLE, {"y": np.zeros((2, 3))}, "m")


def binary_input(name="x", shape=(2, 4), datatype="FP32", size=None):
    parameters = {"binary_data_size": 32 if size is None else size}
    return {"name": name, "shape": list(shape), "datatype": datatype, "parameters": parameters}


def test_decode_binary_data():
    x = np.arange(8, dtype="<f4")
    arrays = decode_inputs(SIMPLE, request(binary_input()), x.tobytes())
    assert arrays["x"].tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    arrays["x"][0, 0] = 9  # the model gets an array it may write to


def test_binary_and_json_inputs_mix_in_one_request():
    image = np.ones((1, 3, 2, 2), "<f4")
    arrays = decode_inputs(
        IMAGES,
        request(
            binary_input("image", (1, 3, 2, 2), size=48),
            tensor("mask", (1, 2), "BOOL", [True, False]),
        ),
        image.tobytes(),
    )
    assert arrays["image"].sum() == 12
    assert arrays["mask"].tolist() == [[True, False]]


@pytest.mark.parametrize(
    ("tensors", "binary", "message"),
    [
        (
            [binary_input(size=31)],
            bytes(31),
            "binary_data_size 31 but shape [2, 4] of FP32 takes 32 bytes",
        ),
        ([binary_input()], None, "has no binary part"),
        ([binary_input()], bytes(16), "needs 32 bytes of binary data but only 16 are left"),
        ([binary_input()], bytes(40), "8 bytes of binary data are not claimed"),
        ([{**binary_input(), "data": [0] * 8}], bytes(32), "both data and binary_data_size"),
    ],
)
def test_bad_binary_data_names_the_signature(tensors, binary, message):
    with pytest.raises(BadRequest, match=re.escape(message)) as raised:
        decode_inputs(SIMPLE, request(*tensors), binary)
    assert raised.value.message.endswith("the model expects x: FP32[-1, 4] -> y: FP32[-1, 1]")
