"""A minimal GGUF v3 reader, used to check what gguf_writer.py and hf_to_gguf.py wrote.

Parses the header, every metadata value and the tensor infos with bounds
checks, and returns tensors dequantized to float32 numpy arrays in numpy
order (ggml ne reversed). Independent of the writer except for the shared
block layouts in quant_reference.py.
ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import os
import struct
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quant_reference  # noqa: E402

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 10: "<Q", 11: "<q", 12: "<d"}
_TYPE_BY_ID = {layout.ggml_type: name for name, layout in quant_reference.LAYOUTS.items()}


class GgufFormatError(ValueError):
    pass


@dataclass
class TensorInfo:
    name: str
    ne: tuple[int, ...]
    type_name: str
    offset: int      # absolute file offset
    n_bytes: int


class _Cursor:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise GgufFormatError(f"read of {n} bytes at {self.pos} past end {len(self.data)}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.unpack("<Q")
        return self.take(n).decode("utf-8")

    def value(self, value_type: int, depth: int = 0) -> Any:
        if value_type in _SCALARS:
            return self.unpack(_SCALARS[value_type])
        if value_type == 7:
            b = self.unpack("<B")
            if b > 1:
                raise GgufFormatError(f"bool byte {b}")
            return bool(b)
        if value_type == 8:
            return self.string()
        if value_type == 9:
            if depth > 4:
                raise GgufFormatError("arrays nested too deep")
            elem = self.unpack("<I")
            count = self.unpack("<Q")
            if count > len(self.data) - self.pos:
                raise GgufFormatError(f"array count {count} exceeds the file")
            return [self.value(elem, depth + 1) for _ in range(count)]
        raise GgufFormatError(f"unknown value type {value_type}")

    def value_with_type(self, value_type: int) -> tuple[Any, int, int | None]:
        if value_type == 9:
            save = self.pos
            elem = self.unpack("<I")
            self.pos = save
            return self.value(value_type), value_type, elem
        return self.value(value_type), value_type, None


class GgufFile:
    def __init__(self, path: str):
        with open(path, "rb") as f:
            self.data = f.read()
        cur = _Cursor(self.data)
        if cur.take(4) != b"GGUF":
            raise GgufFormatError("bad magic")
        self.version = cur.unpack("<I")
        if self.version != 3:
            raise GgufFormatError(f"version {self.version}")
        n_tensors = cur.unpack("<Q")
        n_kv = cur.unpack("<Q")
        self.metadata: dict[str, Any] = {}
        self.value_types: dict[str, tuple[int, int | None]] = {}
        for _ in range(n_kv):
            key = cur.string()
            if key in self.metadata:
                raise GgufFormatError(f"duplicate key {key}")
            vtype = cur.unpack("<I")
            value, vtype, elem = cur.value_with_type(vtype)
            self.metadata[key] = value
            self.value_types[key] = (vtype, elem)
        self.alignment = int(self.metadata.get("general.alignment", 32))
        infos = []
        for _ in range(n_tensors):
            name = cur.string()
            n_dims = cur.unpack("<I")
            if not 1 <= n_dims <= 4:
                raise GgufFormatError(f"{name}: n_dims {n_dims}")
            ne = tuple(cur.unpack("<Q") for _ in range(n_dims))
            type_id = cur.unpack("<I")
            offset = cur.unpack("<Q")
            if type_id not in _TYPE_BY_ID:
                raise GgufFormatError(f"{name}: unsupported type {type_id}")
            infos.append((name, ne, _TYPE_BY_ID[type_id], offset))
        data_start = cur.pos + (self.alignment - cur.pos % self.alignment) % self.alignment
        self.data_start = data_start
        self.tensors: dict[str, TensorInfo] = {}
        for name, ne, type_name, offset in infos:
            layout = quant_reference.LAYOUTS[type_name]
            if ne[0] % layout.block_elems:
                raise GgufFormatError(f"{name}: ne[0] not a multiple of the block size")
            if offset % self.alignment:
                raise GgufFormatError(f"{name}: misaligned offset {offset}")
            n_bytes = int(np.prod(ne)) // layout.block_elems * layout.block_bytes
            start = data_start + offset
            if start + n_bytes > len(self.data):
                raise GgufFormatError(f"{name}: data past end of file")
            if name in self.tensors:
                raise GgufFormatError(f"duplicate tensor {name}")
            self.tensors[name] = TensorInfo(name, ne, type_name, start, n_bytes)

    def raw(self, name: str) -> bytes:
        info = self.tensors[name]
        return self.data[info.offset:info.offset + info.n_bytes]

    def tensor(self, name: str) -> np.ndarray:
        """Dequantized float32 values in numpy order (shape = reversed ne)."""
        info = self.tensors[name]
        values = quant_reference.dequantize(info.type_name, self.raw(name))
        return values.reshape(tuple(reversed(info.ne)))
