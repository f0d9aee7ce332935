"""A small, self-contained GGUF v3 writer used to build test fixtures.

Why it exists: the engine's tests need GGUF files whose every byte we control (metadata of each
value type, F32/F16/Q8_0/Q4_0 tensors, odd alignments) without depending on llama.cpp's gguf-py.
It follows the published GGUF layout:

    magic "GGUF" | u32 version=3 | u64 n_tensors | u64 n_kv
    n_kv x (string key | u32 value_type | value)
    n_tensors x (string name | u32 n_dims | u64 ne[n_dims] | u32 ggml_type | u64 offset)
    zero padding to `general.alignment` (default 32)
    tensor data, each tensor starting at an aligned offset relative to the start of this section

Strings are u64 byte length + UTF-8 bytes (no terminator); arrays are u32 element type + u64 count
+ elements. Everything is little-endian.

Tensor shapes are given in NumPy/PyTorch order (slowest axis first, e.g. a Linear weight is
[out, in]); the file stores ne reversed (ne[0] = fastest = `in`). Data are written in C order,
which is exactly ggml's layout.

Quantisation follows ggml's reference quantizers bit for bit (quantize_row_q8_0_ref and
quantize_row_q4_0_ref, computed in float32):
  Q8_0: block of 32 -> f16 d = amax/127, int8 q = roundf(x * (1/d))         (34 bytes)
  Q4_0: block of 32 -> m = the element of largest |x| (first one on ties), f16 d = m / -8,
        q = min(15, trunc(x * (1/d) + 8.5)), byte j = q[j] | q[j+16] << 4    (18 bytes)
        value = (q - 8) * d
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Union

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
DEFAULT_ALIGNMENT = 32

# Metadata value types (gguf_type).
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)

VALUE_TYPE_NAMES = {
    UINT8: "u8", INT8: "i8", UINT16: "u16", INT16: "i16", UINT32: "u32", INT32: "i32",
    FLOAT32: "f32", BOOL: "bool", STRING: "string", ARRAY: "array", UINT64: "u64",
    INT64: "i64", FLOAT64: "f64",
}

# struct format for each scalar value type.
SCALAR_FORMATS = {
    UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i",
    FLOAT32: "<f", BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d",
}

# ggml tensor types we handle.
GGML_F32 = 0
GGML_F16 = 1
GGML_Q4_0 = 2
GGML_Q8_0 = 8
GGML_BF16 = 30

GGML_TYPE_NAMES = {GGML_F32: "F32", GGML_F16: "F16", GGML_Q4_0: "Q4_0", GGML_Q8_0: "Q8_0",
                   GGML_BF16: "BF16"}
# (block size in elements, bytes per block)
GGML_BLOCK = {GGML_F32: (1, 4), GGML_F16: (1, 2), GGML_Q4_0: (32, 18), GGML_Q8_0: (32, 34),
              GGML_BF16: (1, 2)}

QK = 32  # elements per Q4_0 / Q8_0 block


def ggml_type_from_name(name: str) -> int:
    for k, v in GGML_TYPE_NAMES.items():
        if v.lower() == name.lower():
            return k
    raise ValueError(f"unknown ggml type {name!r}")


def tensor_nbytes(shape: Iterable[int], ggml_type: int) -> int:
    n = int(np.prod(list(shape), dtype=np.int64)) if list(shape) else 1
    blk, size = GGML_BLOCK[ggml_type]
    if n % blk:
        raise ValueError(f"{n} elements is not a multiple of the {GGML_TYPE_NAMES[ggml_type]} block ({blk})")
    return n // blk * size


# ----------------------------------------------------------------------------------------------
# Quantisation (float32 arithmetic, mirroring ggml's reference C code)
# ----------------------------------------------------------------------------------------------

def _roundf(x: np.ndarray) -> np.ndarray:
    """C roundf: round half away from zero, computed exactly (no x+0.5 rounding error)."""
    a = np.abs(x)
    fl = np.floor(a)
    r = fl + (a - fl >= 0.5)  # a - fl is exact for float32
    return np.copysign(r, x)


def _blocks(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.shape and x.shape[-1] % QK:
        raise ValueError(f"row length {x.shape[-1]} is not a multiple of {QK}")
    return x.reshape(-1, QK)


def quantize_q8_0(x: np.ndarray) -> bytes:
    b = _blocks(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        amax = np.max(np.abs(b), axis=1, keepdims=True)
        d = (amax / np.float32(127)).astype(np.float32)
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    q = _roundf((b * inv).astype(np.float32)).astype(np.int8)
    out = np.empty((b.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quantize_q4_0(x: np.ndarray) -> bytes:
    b = _blocks(x)
    idx = np.argmax(np.abs(b), axis=1)  # first index of the largest |x|, like the C loop's strict <
    m = b[np.arange(b.shape[0]), idx][:, None]
    m = np.where(m == 0, np.float32(0), m)  # C keeps its initial +0.0 for an all-zero block (d = -0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (m / np.float32(-8)).astype(np.float32)
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = ((b * inv).astype(np.float32) + np.float32(8.5)).astype(np.float32)
    q = np.minimum(np.trunc(v), 15).clip(0, 15).astype(np.uint8)  # (int8_t) cast truncates
    out = np.empty((b.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def dequantize_q8_0(raw: np.ndarray) -> np.ndarray:
    blk = np.asarray(raw, dtype=np.uint8).reshape(-1, 34)
    d = blk[:, 0:2].copy().view(np.float16).astype(np.float32)
    q = blk[:, 2:].copy().view(np.int8).astype(np.float32)
    return (q * d).reshape(-1)


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    blk = np.asarray(raw, dtype=np.uint8).reshape(-1, 18)
    d = blk[:, 0:2].copy().view(np.float16).astype(np.float32)
    qs = blk[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int16) - 8
    return (q.astype(np.float32) * d).reshape(-1)


def encode_tensor(x: np.ndarray, ggml_type: int) -> bytes:
    """Bytes of `x` (any float array, C order) stored as `ggml_type`."""
    x = np.asarray(x)
    if ggml_type == GGML_F32:
        return np.ascontiguousarray(x, dtype="<f4").tobytes()
    if ggml_type == GGML_F16:
        return np.ascontiguousarray(x.astype(np.float32).astype("<f2")).tobytes()
    if ggml_type == GGML_BF16:
        u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
        u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16  # round to nearest even (no NaNs expected)
        return u.astype("<u2").tobytes()
    if ggml_type == GGML_Q8_0:
        return quantize_q8_0(x)
    if ggml_type == GGML_Q4_0:
        return quantize_q4_0(x)
    raise ValueError(f"cannot encode ggml type {ggml_type}")


def roundtrip(x: np.ndarray, ggml_type: int) -> np.ndarray:
    """The float32 values an engine will read back after storing `x` as `ggml_type`."""
    x = np.asarray(x, dtype=np.float32)
    raw = np.frombuffer(encode_tensor(x, ggml_type), dtype=np.uint8)
    if ggml_type == GGML_F32:
        return x.copy()
    if ggml_type == GGML_F16:
        return raw.view("<f2").astype(np.float32).reshape(x.shape)
    if ggml_type == GGML_BF16:
        return (raw.view("<u2").astype(np.uint32) << 16).view(np.float32).reshape(x.shape)
    if ggml_type == GGML_Q8_0:
        return dequantize_q8_0(raw).reshape(x.shape)
    if ggml_type == GGML_Q4_0:
        return dequantize_q4_0(raw).reshape(x.shape)
    raise ValueError(f"cannot decode ggml type {ggml_type}")


# ----------------------------------------------------------------------------------------------
# Metadata encoding
# ----------------------------------------------------------------------------------------------

def _pack_string(s: Union[str, bytes]) -> bytes:
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    return struct.pack("<Q", len(b)) + b


def _pack_scalar(vtype: int, value: Any) -> bytes:
    if vtype == STRING:
        return _pack_string(value)
    return struct.pack(SCALAR_FORMATS[vtype], value)


def pack_value(vtype: int, value: Any, elem_type: int | None = None) -> bytes:
    """Encode a value (without its leading u32 type). For ARRAY, `elem_type` is required; an array
    of arrays is given as elem_type=ARRAY and value = list of (inner_elem_type, inner_values)."""
    if vtype != ARRAY:
        return _pack_scalar(vtype, value)
    if elem_type is None:
        raise ValueError("array needs elem_type")
    out = [struct.pack("<IQ", elem_type, len(value))]
    if elem_type == ARRAY:
        for inner_type, inner in value:
            out.append(pack_value(ARRAY, inner, inner_type))
    elif elem_type == STRING:
        out.extend(_pack_string(s) for s in value)
    else:
        fmt = SCALAR_FORMATS[elem_type]
        arr = np.asarray(value, dtype=np.dtype(fmt))
        out.append(arr.tobytes())
    return b"".join(out)


@dataclass
class MetaValue:
    vtype: int
    value: Any
    elem_type: int | None = None


# A tensor's payload: an array, raw bytes, or a callable yielding arrays/bytes chunks in order
# (lets huge tensors be streamed without holding them in memory).
TensorSource = Union[np.ndarray, bytes, Callable[[], Iterable[Union[np.ndarray, bytes]]]]


@dataclass
class _TensorEntry:
    name: str
    shape: tuple[int, ...]   # NumPy order (slowest first)
    ggml_type: int
    source: TensorSource
    nbytes: int


class GGUFWriter:
    """Collects metadata and tensors, then writes the file in one pass (tmp file + rename)."""

    def __init__(self, path: str, alignment: int = DEFAULT_ALIGNMENT, write_alignment_key: bool | None = None):
        if alignment <= 0 or alignment % 8:
            raise ValueError("alignment must be a positive multiple of 8")
        self.path = path
        self.alignment = alignment
        self.kv: dict[str, MetaValue] = {}
        self.tensors: list[_TensorEntry] = []
        if write_alignment_key is None:
            write_alignment_key = alignment != DEFAULT_ALIGNMENT
        if write_alignment_key:
            self.add("general.alignment", UINT32, alignment)

    # ---- metadata --------------------------------------------------------------------------
    def add(self, key: str, vtype: int, value: Any, elem_type: int | None = None) -> None:
        if key in self.kv:
            raise KeyError(f"duplicate metadata key {key!r}")
        self.kv[key] = MetaValue(vtype, value, elem_type)

    def add_u8(self, k, v): self.add(k, UINT8, v)
    def add_i8(self, k, v): self.add(k, INT8, v)
    def add_u16(self, k, v): self.add(k, UINT16, v)
    def add_i16(self, k, v): self.add(k, INT16, v)
    def add_u32(self, k, v): self.add(k, UINT32, v)
    def add_i32(self, k, v): self.add(k, INT32, v)
    def add_u64(self, k, v): self.add(k, UINT64, v)
    def add_i64(self, k, v): self.add(k, INT64, v)
    def add_f32(self, k, v): self.add(k, FLOAT32, v)
    def add_f64(self, k, v): self.add(k, FLOAT64, v)
    def add_bool(self, k, v): self.add(k, BOOL, bool(v))
    def add_string(self, k, v): self.add(k, STRING, v)
    def add_array(self, k, elem_type, values): self.add(k, ARRAY, list(values), elem_type)

    # ---- tensors ---------------------------------------------------------------------------
    def add_tensor(self, name: str, data: np.ndarray | None = None, ggml_type: int = GGML_F32,
                   shape: Iterable[int] | None = None, source: TensorSource | None = None) -> None:
        """Add a tensor. Either `data` (an array in NumPy order; encoded as `ggml_type`), or
        `shape` + `source` (raw bytes already in `ggml_type`, or a callable producing chunks that
        are arrays to encode or bytes, in C order)."""
        if any(t.name == name for t in self.tensors):
            raise KeyError(f"duplicate tensor {name!r}")
        if data is not None:
            data = np.asarray(data)
            shape = data.shape
            src: TensorSource = data
        else:
            if shape is None or source is None:
                raise ValueError("give data, or shape and source")
            src = source
        shape = tuple(int(s) for s in shape)
        if not 1 <= len(shape) <= 4:
            raise ValueError(f"tensor {name}: 1..4 dims supported, got {shape}")
        if ggml_type in (GGML_Q8_0, GGML_Q4_0) and shape[-1] % QK:
            raise ValueError(f"tensor {name}: row length {shape[-1]} not a multiple of {QK}")
        self.tensors.append(_TensorEntry(name, shape, ggml_type, src, tensor_nbytes(shape, ggml_type)))

    # ---- output ----------------------------------------------------------------------------
    def _pad(self, n: int) -> int:
        return (-n) % self.alignment

    def _header_bytes(self) -> bytes:
        parts = [GGUF_MAGIC, struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.kv))]
        for key, mv in self.kv.items():
            parts.append(_pack_string(key))
            parts.append(struct.pack("<I", mv.vtype))
            parts.append(pack_value(mv.vtype, mv.value, mv.elem_type))
        offset = 0
        for t in self.tensors:
            ne = t.shape[::-1]
            parts.append(_pack_string(t.name))
            parts.append(struct.pack("<I", len(ne)))
            parts.append(struct.pack(f"<{len(ne)}Q", *ne))
            parts.append(struct.pack("<IQ", t.ggml_type, offset))
            offset += t.nbytes + self._pad(t.nbytes)
        head = b"".join(parts)
        return head + b"\0" * self._pad(len(head))

    def _write_tensor(self, f, t: _TensorEntry) -> None:
        written = 0
        if isinstance(t.source, (bytes, bytearray, memoryview)):
            f.write(t.source)
            written = len(t.source)
        elif isinstance(t.source, np.ndarray):
            b = encode_tensor(t.source, t.ggml_type)
            f.write(b)
            written = len(b)
        else:
            for chunk in t.source():
                b = chunk if isinstance(chunk, (bytes, bytearray, memoryview)) else encode_tensor(chunk, t.ggml_type)
                f.write(b)
                written += len(b)
        if written != t.nbytes:
            raise ValueError(f"tensor {t.name}: wrote {written} bytes, expected {t.nbytes}")
        f.write(b"\0" * self._pad(t.nbytes))

    def write(self) -> None:
        tmp = f"{self.path}.tmp{os.getpid()}"
        try:
            with open(tmp, "wb") as f:
                f.write(self._header_bytes())
                for t in self.tensors:
                    self._write_tensor(f, t)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
