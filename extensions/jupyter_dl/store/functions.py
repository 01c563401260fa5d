"""SQL functions whose spelling differs between the databases the store runs on.

Services write one query for SQLite and PostgreSQL alike; where the two name the
same function differently, the function is defined here once and compiled per
database, so no service branches on the backend.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class position(FunctionElement[int]):
    """``position(haystack, needle)``: the 1-based index of ``needle`` in ``haystack``,
    0 when absent. Case-sensitive on every database (unlike ``LIKE`` on SQLite).

    SQLite (and MySQL) call it ``instr``, PostgreSQL ``strpos``.
    """

    name = "position"
    type = Integer()
    inherit_cache = True


@compiles(position)
def _instr(element: position, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(position, "postgresql")
def _strpos(element: position, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"
