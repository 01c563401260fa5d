"""How a function, its arguments and its results travel to and from a job's processes.

cloudpickle, plus one correction: a module object whose type is a subclass of
``ModuleType`` (``torch.classes`` is one) has no reducer in cloudpickle, which
then refuses the whole function. Such a module is sent by name, as cloudpickle
sends any importable module. This matters more than it looks: a function that
reads ``data.classes`` (torchvision's ``ImageFolder`` has it) and uses ``torch``
makes cloudpickle ship ``torch.classes`` too.
"""

from __future__ import annotations

import io
import sys
from types import ModuleType
from typing import Any


def dumps(value: Any) -> bytes:
    """``value`` as cloudpickle bytes, modules of every kind sent by name."""
    buffer = io.BytesIO()
    _pickler_class()(buffer).dump(value)
    return buffer.getvalue()


def _pickler_class() -> Any:
    import cloudpickle

    global _Pickler
    if _Pickler is None:

        class Pickler(cloudpickle.Pickler):  # type: ignore[misc]
            def reducer_override(self, obj: Any) -> Any:
                if (
                    isinstance(obj, ModuleType)
                    and type(obj) is not ModuleType
                    and sys.modules.get(obj.__name__) is obj
                ):
                    return cloudpickle.cloudpickle.subimport, (obj.__name__,)
                return super().reducer_override(obj)

        _Pickler = Pickler
    return _Pickler


_Pickler: Any = None
