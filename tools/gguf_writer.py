"""A minimal GGUF v3 writer (hearth's own; the `gguf` package is not used).

Writes metadata of every GGUF value type (scalars, strings, arrays, arrays of
arrays) and tensors in F32, F16, BF16 or Q8_0, with tensor data aligned to
`alignment` bytes (32 unless general.alignment says otherwise).

ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
File layout (all little-endian):
  u32 magic "GGUF" | u32 version 3 | u64 tensor_count | u64 kv_count
  kv_count x (string key | u32 value_type | value)
  tensor_count x (string name | u32 n_dims | u64 ne[n_dims] | u32 ggml_type | u64 offset)
  padding to alignment | tensor data (each tensor at data_start + offset, offset % alignment == 0)
A string is u64 byte length + UTF-8 bytes (no terminator). An array is
u32 element_type | u64 count | elements. ne[0] is the fastest-varying
dimension: a numpy array of shape (rows, cols) has ne = [cols, rows].

Example:
    w = GgufWriter()
    w.add_string("general.architecture", "llama")
    w.add_uint32("llama.block_count", 2)
    w.add_array("tokenizer.ggml.tokens", ["a", "b"], GgufValueType.STRING)
    w.add_tensor("token_embd.weight", np.zeros((2, 32), np.float32), GgmlType.Q8_0)
    w.write("out.gguf")
"""

from __future__ import annotations

import enum
import os
import struct
import sys
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quant_reference  # noqa: E402

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
GGUF_DEFAULT_ALIGNMENT = 32
GGML_MAX_NAME = 64  # ggml tensor names are char[64] including the terminator


class GgufValueType(enum.IntEnum):
    UINT8 = 0
    INT8 = 1
    UINT16 = 2
    INT16 = 3
    UINT32 = 4
    INT32 = 5
    FLOAT32 = 6
    BOOL = 7
    STRING = 8
    ARRAY = 9
    UINT64 = 10
    INT64 = 11
    FLOAT64 = 12


class GgmlType(enum.IntEnum):
    F32 = 0
    F16 = 1
    Q4_0 = 2
    Q8_0 = 8
    Q4_K = 12
    Q5_K = 13
    Q6_K = 14
    BF16 = 30


# struct format and inclusive range for each scalar type
_SCALAR_FORMATS = {
    GgufValueType.UINT8: ("<B", 0, 2**8 - 1),
    GgufValueType.INT8: ("<b", -2**7, 2**7 - 1),
    GgufValueType.UINT16: ("<H", 0, 2**16 - 1),
    GgufValueType.INT16: ("<h", -2**15, 2**15 - 1),
    GgufValueType.UINT32: ("<I", 0, 2**32 - 1),
    GgufValueType.INT32: ("<i", -2**31, 2**31 - 1),
    GgufValueType.UINT64: ("<Q", 0, 2**64 - 1),
    GgufValueType.INT64: ("<q", -2**63, 2**63 - 1),
    GgufValueType.FLOAT32: ("<f", None, None),
    GgufValueType.FLOAT64: ("<d", None, None),
}

_TYPE_NAMES = {
    GgmlType.F32: "f32", GgmlType.F16: "f16", GgmlType.BF16: "bf16", GgmlType.Q4_0: "q4_0",
    GgmlType.Q8_0: "q8_0", GgmlType.Q4_K: "q4_k", GgmlType.Q5_K: "q5_k", GgmlType.Q6_K: "q6_k",
}


@dataclass(frozen=True)
class GgufArray:
    """An array value; element_type ARRAY needs every element to be a GgufArray."""
    element_type: GgufValueType
    values: Sequence[Any]


def _encode_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def _encode_value(value: Any, value_type: GgufValueType) -> bytes:
    value_type = GgufValueType(value_type)
    if value_type == GgufValueType.STRING:
        if not isinstance(value, str):
            raise TypeError(f"STRING value must be str, got {type(value).__name__}")
        return _encode_string(value)
    if value_type == GgufValueType.BOOL:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"BOOL value must be bool, got {type(value).__name__}")
        return struct.pack("<B", 1 if value else 0)
    if value_type == GgufValueType.ARRAY:
        if not isinstance(value, GgufArray):
            raise TypeError("ARRAY value must be a GgufArray")
        elem = GgufValueType(value.element_type)
        out = [struct.pack("<IQ", int(elem), len(value.values))]
        values = value.values.tolist() if isinstance(value.values, np.ndarray) else value.values
        out.extend(_encode_value(v, elem) for v in values)
        return b"".join(out)
    fmt, lo, hi = _SCALAR_FORMATS[value_type]
    if lo is not None:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{value_type.name} value must be an integer, got {value!r}")
        if not lo <= int(value) <= hi:
            raise ValueError(f"{value!r} out of range for {value_type.name}")
        return struct.pack(fmt, int(value))
    return struct.pack(fmt, float(value))


@dataclass
class _Tensor:
    name: str
    ne: tuple[int, ...]
    ggml_type: GgmlType
    data: bytes


class GgufWriter:
    """Collects metadata and tensors, then writes one GGUF v3 file."""

    def __init__(self, alignment: int = GGUF_DEFAULT_ALIGNMENT):
        if alignment <= 0 or alignment % 8 != 0:
            raise ValueError("alignment must be a positive multiple of 8")
        self._alignment = alignment
        self._kv: dict[str, bytes] = {}
        self._tensors: list[_Tensor] = []
        if alignment != GGUF_DEFAULT_ALIGNMENT:
            self.add_uint32("general.alignment", alignment)

    # ---- metadata
    def add_value(self, key: str, value: Any, value_type: GgufValueType) -> None:
        if not key or len(key.encode("utf-8")) > 65535:
            raise ValueError(f"bad key {key!r}")
        if key in self._kv:
            raise ValueError(f"duplicate key {key!r}")
        self._kv[key] = _encode_string(key) + struct.pack("<I", int(value_type)) + \
            _encode_value(value, value_type)

    def add_array(self, key: str, values: Sequence[Any], element_type: GgufValueType) -> None:
        self.add_value(key, GgufArray(GgufValueType(element_type), values), GgufValueType.ARRAY)

    def add_uint8(self, key: str, v: int) -> None: self.add_value(key, v, GgufValueType.UINT8)
    def add_int8(self, key: str, v: int) -> None: self.add_value(key, v, GgufValueType.INT8)
    def add_uint16(self, key: str, v: int) -> None: self.add_value(key, v, GgufValueType.UINT16)
    def add_int16(self, key: str, v: int) -> None: self.add_value(key, v, GgufValueType.INT16)
    def add_uint32(self, key: str, v: int) -> None: self.add_value(key, v, GgufValueType.UINT32)
    def add_int32(self, key: str, v: int) -> None: self.add_value(key, v, GgufValueType.INT32)
    def add_uint64(self, key: str, v: int) -> None: self.add_value(key, v, GgufValueType.UINT64)
    def add_int64(self, key: str, v: int) -> None: self.add_value(key, v, GgufValueType.INT64)
    def add_float32(self, key: str, v: float) -> None: self.add_value(key, v, GgufValueType.FLOAT32)
    def add_float64(self, key: str, v: float) -> None: self.add_value(key, v, GgufValueType.FLOAT64)
    def add_bool(self, key: str, v: bool) -> None: self.add_value(key, v, GgufValueType.BOOL)
    def add_string(self, key: str, v: str) -> None: self.add_value(key, v, GgufValueType.STRING)

    # ---- tensors
    def add_tensor(self, name: str, array: np.ndarray, ggml_type: GgmlType) -> None:
        """Encodes a float array (numpy row-major shape) into ggml_type."""
        ggml_type = GgmlType(ggml_type)
        array = np.ascontiguousarray(array, dtype=np.float32)
        if array.ndim == 0:
            raise ValueError(f"{name}: scalars are not tensors")
        if ggml_type == GgmlType.F32:
            data = array.astype("<f4").tobytes()
        elif ggml_type == GgmlType.F16:
            data = array.astype("<f2").tobytes()
        elif ggml_type == GgmlType.BF16:
            data = quant_reference.f32_to_bf16_bits(array).astype("<u2").tobytes()
        elif ggml_type == GgmlType.Q8_0:
            if array.shape[-1] % 32 != 0:
                raise ValueError(f"{name}: row length {array.shape[-1]} is not a multiple of 32")
            data = quant_reference.quantize_q8_0(array)
        else:
            raise ValueError(f"{name}: add_tensor cannot encode {ggml_type.name}; use add_tensor_bytes")
        self.add_tensor_bytes(name, tuple(reversed(array.shape)), ggml_type, data)

    def add_tensor_bytes(self, name: str, ne: Sequence[int], ggml_type: GgmlType, data: bytes) -> None:
        """Adds pre-encoded data; ne is in ggml order (ne[0] fastest)."""
        ggml_type = GgmlType(ggml_type)
        if not name or len(name.encode("utf-8")) >= GGML_MAX_NAME:
            raise ValueError(f"tensor name {name!r} empty or longer than {GGML_MAX_NAME - 1} bytes")
        if any(t.name == name for t in self._tensors):
            raise ValueError(f"duplicate tensor {name!r}")
        ne = tuple(int(n) for n in ne)
        if not 1 <= len(ne) <= 4 or any(n <= 0 for n in ne):
            raise ValueError(f"{name}: bad shape {ne}")
        layout = quant_reference.LAYOUTS[_TYPE_NAMES[ggml_type]]
        if ne[0] % layout.block_elems != 0:
            raise ValueError(f"{name}: ne[0]={ne[0]} not a multiple of {layout.block_elems}")
        n_elems = int(np.prod(ne))
        expected = n_elems // layout.block_elems * layout.block_bytes
        if len(data) != expected:
            raise ValueError(f"{name}: {len(data)} bytes, expected {expected}")
        self._tensors.append(_Tensor(name, ne, ggml_type, bytes(data)))

    # ---- output
    def _pad(self, n: int) -> int:
        return (self._alignment - n % self._alignment) % self._alignment

    def to_bytes(self) -> bytes:
        header = [GGUF_MAGIC, struct.pack("<IQQ", GGUF_VERSION, len(self._tensors), len(self._kv))]
        header.extend(self._kv.values())
        offset = 0
        offsets = []
        for t in self._tensors:
            offsets.append(offset)
            offset += len(t.data) + self._pad(len(t.data))
        for t, off in zip(self._tensors, offsets):
            header.append(_encode_string(t.name))
            header.append(struct.pack("<I", len(t.ne)))
            header.append(struct.pack(f"<{len(t.ne)}Q", *t.ne))
            header.append(struct.pack("<IQ", int(t.ggml_type), off))
        head = b"".join(header)
        parts = [head, b"\0" * self._pad(len(head))]
        for t in self._tensors:
            parts.append(t.data)
            parts.append(b"\0" * self._pad(len(t.data)))
        return b"".join(parts)

    def write(self, path: str) -> None:
        data = self.to_bytes()
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
