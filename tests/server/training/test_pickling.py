"""Functions travel to a job's processes even when they touch unusual modules."""

import pickle
import textwrap

import cloudpickle
import pytest
import torch

from jupyter_dl.training.pickling import dumps


class Folder:
    """Like torchvision's ImageFolder: a dataset with a ``classes`` attribute."""

    classes = ["cat", "dog"]


def notebook_function():
    """A function as a notebook cell defines it: in ``__main__``, so shipped by value."""
    namespace = {"__name__": "__main__", "torch": torch, "data": Folder()}
    source = """
        def uses_classes():
            return torch.zeros(len(data.classes)).shape[0], data.classes
    """
    exec(textwrap.dedent(source), namespace)
    return namespace["uses_classes"]


def test_a_function_reading_classes_beside_torch_is_shipped_and_runs():
    fn = notebook_function()
    # Reading `.classes` while `torch` is a global makes cloudpickle ship the module
    # torch.classes, whose type plain cloudpickle cannot pickle.
    with pytest.raises(TypeError, match="_Classes"):
        cloudpickle.dumps(fn)
    assert pickle.loads(dumps(fn))() == (2, ["cat", "dog"])


def test_modules_of_a_subclassed_type_are_sent_by_name():
    assert pickle.loads(dumps(torch.classes)) is torch.classes
    assert pickle.loads(dumps({"m": torch})) == {"m": torch}
