"""A look inside one file without downloading it: images, tables, text, arrays.

Each preview reads a bounded part of the file: a thumbnail from an image of at
most ``MAX_IMAGE_PIXELS``, the first ``MAX_TABLE_BYTES`` of a CSV, the first
rows of a Parquet file, the first KiB of text, the header and a small corner of
a NumPy array. What cannot be read (a truncated PNG, binary bytes in a CSV, an
object array) is a ``PreviewFailed`` naming the file and the reason, never a
crash. The kind is chosen by extension; unknown files get a ``binary``
description (their first bytes as hex).

Pillow, NumPy and pyarrow are imported inside the functions that need them.
"""

from __future__ import annotations

import base64
import csv
import io
import math
import mimetypes
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import BadRequest, PreviewFailed

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ico"}
TABLE_EXTENSIONS = {".csv", ".tsv"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}
ARRAY_EXTENSIONS = {".npy"}
JSON_EXTENSIONS = {".json", ".jsonl", ".ndjson", ".geojson", ".ipynb"}
TEXT_EXTENSIONS = {
    ".txt", ".md", ".rst", ".log", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".xml",
    ".html", ".htm", ".py", ".sh", ".r", ".sql", ".tex", ".srt", ".vtt", ".conll",
}  # fmt: skip

MAX_IMAGE_BYTES = 64 * 1024 * 1024
MAX_IMAGE_PIXELS = 64_000_000
MAX_TABLE_BYTES = 256 * 1024
MAX_TEXT_BYTES = 64 * 1024
MAX_COLUMNS = 100
MAX_CELL = 200
ARRAY_CORNER = 10  # at most this many items along each of the first two axes


@dataclass(frozen=True)
class Options:
    """What a caller may tune, each bounded."""

    size: int = 256  # longest edge of a thumbnail, pixels
    rows: int = 20  # table rows
    bytes: int = 1024  # text bytes

    def checked(self) -> Options:
        if not 16 <= self.size <= 1024:
            raise BadRequest("size must be between 16 and 1024 pixels")
        if not 1 <= self.rows <= 200:
            raise BadRequest("rows must be between 1 and 200")
        if not 1 <= self.bytes <= MAX_TEXT_BYTES:
            raise BadRequest(f"bytes must be between 1 and {MAX_TEXT_BYTES}")
        return self


def kind_of(path: str) -> str:
    """``image``, ``table``, ``text``, ``array`` or ``binary``, by extension."""
    ext = Path(path).suffix.lower()
    if ext in IMAGE_EXTENSIONS:
        return "image"
    if ext in TABLE_EXTENSIONS or ext in PARQUET_EXTENSIONS:
        return "table"
    if ext in ARRAY_EXTENSIONS:
        return "array"
    if ext in TEXT_EXTENSIONS or ext in JSON_EXTENSIONS:
        return "text"
    return "binary"


#: Types Python's ``mimetypes`` does not know but datasets are full of.
_DATA_TYPES = {".npy": "application/x-npy", ".parquet": "application/vnd.apache.parquet"}


def mime_type(path: str) -> str:
    known = _DATA_TYPES.get(Path(path).suffix.lower())
    guessed, _ = mimetypes.guess_type(path)
    return known or guessed or "application/octet-stream"


def preview(file: Path, path: str, size: int, options: Options | None = None) -> dict[str, Any]:
    """The preview of ``file`` (the content of ``path`` in a version, ``size`` bytes)."""
    options = (options or Options()).checked()
    kind = kind_of(path)
    body: dict[str, Any] = {"path": path, "size": size, "mime_type": mime_type(path), "kind": kind}
    ext = Path(path).suffix.lower()
    if kind == "image":
        body.update(_image(file, path, size, options.size))
    elif kind == "table" and ext in PARQUET_EXTENSIONS:
        body.update(_parquet(file, path, options.rows))
    elif kind == "table":
        body.update(_csv(file, path, size, options.rows, "\t" if ext == ".tsv" else None))
    elif kind == "array":
        body.update(_npy(file, path))
    elif kind == "text":
        body.update(
            _text(file, path, size, options.bytes, "json" if ext in JSON_EXTENSIONS else "text")
        )
    else:
        with file.open("rb") as f:
            head = f.read(64)
        body.update({"format": "binary", "head": head.hex()})
    return body


# ------------------------------------------------------------------- images


def thumbnail(file: Path, path: str, size: int, edge: int) -> tuple[bytes, str, dict[str, Any]]:
    """A thumbnail of at most ``edge`` pixels a side: (bytes, MIME type, facts)."""
    from PIL import Image

    if size > MAX_IMAGE_BYTES:
        raise PreviewFailed(
            f"{path} has {size >> 20} MiB, more than the {MAX_IMAGE_BYTES >> 20} MiB previewed;"
            " download it instead"
        )
    try:
        with Image.open(file) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise PreviewFailed(
                    f"{path} is {width}x{height} pixels, more than the"
                    f" {MAX_IMAGE_PIXELS // 1_000_000} megapixels previewed"
                )
            facts = {
                "width": width,
                "height": height,
                "mode": img.mode,
                "format": img.format,
                "frames": getattr(img, "n_frames", 1),
            }
            img.draft("RGB", (edge, edge))  # JPEG: decode at a fraction of the size
            img.thumbnail((edge, edge))
            small: Image.Image = img
            if small.mode not in ("RGB", "RGBA", "L", "LA"):
                alpha = "A" in small.mode or "transparency" in small.info
                small = small.convert("RGBA" if alpha else "RGB")
            out = io.BytesIO()
            if small.mode == "RGB":
                small.save(out, "JPEG", quality=85)
                kind = "image/jpeg"
            else:
                small.save(out, "PNG")
                kind = "image/png"
            facts["thumbnail_width"], facts["thumbnail_height"] = small.size
    except PreviewFailed:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError) as e:
        raise PreviewFailed(f"cannot read {path} as an image: {_words(e)}") from None
    return out.getvalue(), kind, facts


def _image(file: Path, path: str, size: int, edge: int) -> dict[str, Any]:
    data, kind, facts = thumbnail(file, path, size, edge)
    return {
        "format": (facts["format"] or "image").lower(),
        "width": facts["width"],
        "height": facts["height"],
        "mode": facts["mode"],
        "frames": facts["frames"],
        "thumbnail": {
            "mime_type": kind,
            "width": facts["thumbnail_width"],
            "height": facts["thumbnail_height"],
            "data": base64.b64encode(data).decode(),
        },
    }


# ------------------------------------------------------------------- tables


def _csv(file: Path, path: str, size: int, rows: int, delimiter: str | None) -> dict[str, Any]:
    with file.open("rb") as f:
        raw = f.read(MAX_TABLE_BYTES)
    if b"\x00" in raw:
        raise PreviewFailed(f"{path} contains NUL bytes: it is not a text CSV file")
    truncated = size > len(raw)
    if truncated:  # the budget may end inside a row: keep whole lines only
        raw = raw[: raw.rfind(b"\n") + 1] or raw
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if not (truncated and e.start >= len(raw) - 3):
            raise PreviewFailed(
                f"{path} is not UTF-8 text (byte {e.start} cannot be decoded); save it as UTF-8"
            ) from None
        text = raw[: e.start].decode("utf-8-sig")
    sample = text[:65536]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=delimiter or ",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if delimiter == "\t" else csv.excel  # one column, or guessed
    reader = csv.reader(io.StringIO(text), dialect)
    table: list[list[str]] = []
    try:
        for line in reader:
            if line:
                table.append(line)
            if len(table) > rows + 1:
                break
    except csv.Error as e:
        raise PreviewFailed(f"cannot read {path} as CSV: {e} (line {reader.line_num})") from None
    header = _has_header(sample, table)
    names = (
        table[0]
        if header and table
        else [f"column_{i + 1}" for i in range(len(table[0]) if table else 0)]
    )
    body = table[1:] if header else table
    more = len(body) > rows or truncated
    body = body[:rows]
    for number, line in enumerate(body, 2 if header else 1):
        if len(line) != len(names):
            raise PreviewFailed(
                f"cannot read {path} as CSV: row {number} has {len(line)} fields where the"
                f" {'header' if header else 'first row'} has {len(names)}"
            )
    columns = [
        {"name": _cell(name), "type": _column_type([line[i] for line in body])}
        for i, name in enumerate(names[:MAX_COLUMNS])
    ]
    return {
        "format": "csv",
        "columns": columns,
        "rows": [[_cell(v) for v in line[:MAX_COLUMNS]] for line in body],
        "total_rows": None if truncated else _count_rows(text, dialect, header),
        "truncated": more or len(names) > MAX_COLUMNS,
        "dialect": {
            "delimiter": dialect.delimiter,
            "quotechar": dialect.quotechar,
            "header": header,
        },
    }


def _has_header(sample: str, table: list[list[str]]) -> bool:
    """csv.Sniffer's guess, or: the first row has no number where the rows below have one."""
    if len(table) < 2:
        return bool(table)
    try:
        if csv.Sniffer().has_header(sample):
            return True
    except csv.Error:
        pass
    first, rest = table[0], table[1:]
    return not any(map(_is_float, first)) and any(
        _is_float(row[i]) for row in rest for i in range(min(len(row), len(first)))
    )


def _count_rows(text: str, dialect: Any, header: bool) -> int:
    count = sum(1 for line in csv.reader(io.StringIO(text), dialect) if line)
    return max(0, count - (1 if header else 0))


def _column_type(values: list[str]) -> str:
    present = [v.strip() for v in values if v.strip()]
    if not present:
        return "empty"
    for kind, ok in (("integer", _is_int), ("number", _is_float), ("boolean", _is_bool)):
        if all(ok(v) for v in present):
            return kind
    return "string"


def _is_int(v: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", v) is not None


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def _is_bool(v: str) -> bool:
    return v.lower() in ("true", "false")


def _parquet(file: Path, path: str, rows: int) -> dict[str, Any]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise PreviewFailed(
            f"previewing {path} needs pyarrow, which is not installed on the server"
        ) from None
    try:
        parquet = pq.ParquetFile(str(file))
        schema = parquet.schema_arrow
        names = schema.names[:MAX_COLUMNS]
        first = next(parquet.iter_batches(batch_size=rows, columns=names), None)
        records = first.to_pylist() if first is not None else []
    except Exception as e:  # pyarrow raises its own error types for corrupt files
        raise PreviewFailed(f"cannot read {path} as Parquet: {_words(e)}") from None
    return {
        "format": "parquet",
        "columns": [{"name": n, "type": str(schema.field(n).type)} for n in names],
        "rows": [[_json_value(r.get(n)) for n in names] for r in records[:rows]],
        "total_rows": parquet.metadata.num_rows,
        "truncated": parquet.metadata.num_rows > len(records) or len(schema.names) > MAX_COLUMNS,
    }


# --------------------------------------------------------------------- text


def _text(file: Path, path: str, size: int, limit: int, fmt: str) -> dict[str, Any]:
    with file.open("rb") as f:
        raw = f.read(limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(raw) - 3 or size <= limit:
            raise PreviewFailed(f"{path} is not UTF-8 text (byte {e.start})") from None
        text = raw[: e.start].decode("utf-8")  # the limit cut a character in two
    return {"format": fmt, "text": text, "truncated": size > limit, "encoding": "utf-8"}


# -------------------------------------------------------------------- arrays


def _npy(file: Path, path: str) -> dict[str, Any]:
    import numpy as np

    try:
        with file.open("rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    except (ValueError, OSError, SyntaxError, EOFError) as e:
        raise PreviewFailed(f"cannot read {path} as a NumPy array: {_words(e)}") from None
    body: dict[str, Any] = {
        "format": "npy",
        "shape": list(shape),
        "dtype": str(dtype),
        "fortran_order": bool(fortran),
    }
    if dtype.hasobject:
        raise PreviewFailed(
            f"{path} holds Python objects (pickled); they are not previewed because loading"
            " them would run code"
        )
    corner = tuple(slice(0, ARRAY_CORNER if axis < 2 else 1) for axis in range(len(shape)))
    try:
        if math.prod(shape) == 0:
            part = np.empty([min(n, ARRAY_CORNER) for n in shape], dtype=dtype)
        else:
            part = np.load(file, mmap_mode="r", allow_pickle=False)[corner]
        values = np.asarray(part).tolist()
    except (ValueError, OSError) as e:
        raise PreviewFailed(f"cannot read {path} as a NumPy array: {_words(e)}") from None
    body["slice"] = _json_value(values)
    body["slice_shape"] = list(np.shape(part))
    return body


# ------------------------------------------------------------------ helpers


def _cell(value: str) -> str:
    return value if len(value) <= MAX_CELL else value[:MAX_CELL] + "…"


def _json_value(value: Any) -> Any:
    """A value as JSON can carry it: non-finite floats and exotic types as strings."""
    if value is None or isinstance(value, (bool, int, str)):
        return _cell(value) if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return _cell(value.hex())
    if isinstance(value, Decimal):
        return str(value)
    return _cell(str(value))


def _words(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]
