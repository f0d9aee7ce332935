"""A minimal GGUF (v2/v3) reader: metadata with its value types, tensor infos, and tensors as NumPy
arrays (F32, F16, BF16 as is; Q8_0 and Q4_0 dequantised to float32).

Why it exists: tools need to copy metadata between files (keeping exact value types), and the
self-check reads back what gguf_writer wrote. It is deliberately written separately from the writer
(parsing, not re-encoding) so a round trip actually tests something.

Arrays come back in NumPy order: a tensor with ne = [in, out] is returned with shape (out, in).
"""
from __future__ import annotations

import struct
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Metadata value types.
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_SCALAR = {
    UINT8: ("<u1", 1), INT8: ("<i1", 1), UINT16: ("<u2", 2), INT16: ("<i2", 2),
    UINT32: ("<u4", 4), INT32: ("<i4", 4), FLOAT32: ("<f4", 4), BOOL: ("<u1", 1),
    UINT64: ("<u8", 8), INT64: ("<i8", 8), FLOAT64: ("<f8", 8),
}

# ggml types: id -> (name, elements per block, bytes per block)
GGML_TYPES = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36),
    10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8),
    28: ("F64", 1, 8), 30: ("BF16", 1, 2),
}


@dataclass
class Field:
    """One metadata entry: `value` is a Python scalar/str, or a list for arrays."""
    key: str
    vtype: int
    value: Any
    elem_type: int | None = None  # for arrays; nested arrays hold (elem_type, list) pairs


@dataclass
class TensorInfo:
    name: str
    ne: tuple[int, ...]   # ne[0] fastest, as stored
    ggml_type: int
    offset: int           # relative to the data section
    nbytes: int

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(reversed(self.ne))

    @property
    def type_name(self) -> str:
        return GGML_TYPES.get(self.ggml_type, (f"type{self.ggml_type}",))[0]


@dataclass
class GGUFFile:
    path: str
    version: int
    alignment: int
    data_offset: int
    fields: dict[str, Field] = field(default_factory=dict)
    tensors: dict[str, TensorInfo] = field(default_factory=dict)
    _map: np.memmap | None = None

    def get(self, key: str, default: Any = None) -> Any:
        f = self.fields.get(key)
        return default if f is None else f.value

    def raw(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        start = self.data_offset + t.offset
        return self._map[start:start + t.nbytes]

    def tensor(self, name: str) -> np.ndarray:
        """The tensor as an array in NumPy order, dequantised to float32 for Q8_0/Q4_0."""
        t = self.tensors[name]
        raw = self.raw(name)
        if t.ggml_type == 0:
            a = raw.view("<f4")
        elif t.ggml_type == 1:
            a = raw.view("<f2")
        elif t.ggml_type == 30:
            a = (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
        elif t.ggml_type == 8:
            blk = raw.reshape(-1, 34)
            d = blk[:, :2].copy().view("<f2").astype(np.float32)
            a = (blk[:, 2:].view(np.int8).astype(np.float32) * d).reshape(-1)
        elif t.ggml_type == 2:
            blk = raw.reshape(-1, 18)
            d = blk[:, :2].copy().view("<f2").astype(np.float32)
            qs = blk[:, 2:]
            q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
            a = (q * d).reshape(-1)
        else:
            raise NotImplementedError(f"{name}: cannot decode ggml type {t.type_name}")
        return a.reshape(t.shape)


class _Cursor:
    def __init__(self, buf: np.ndarray):
        self.buf = buf
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.buf):
            raise ValueError(f"truncated file: need {n} bytes at offset {self.pos}")
        b = self.buf[self.pos:self.pos + n].tobytes()
        self.pos += n
        return b

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def string(self) -> str:
        n = self.u64()
        return self.take(n).decode("utf-8")

    def scalar(self, vtype: int) -> Any:
        if vtype == STRING:
            return self.string()
        dt, size = _SCALAR[vtype]
        v = np.frombuffer(self.take(size), dtype=dt)[0]
        if vtype == BOOL:
            return bool(v)
        if vtype in (FLOAT32, FLOAT64):
            return float(v)
        return int(v)

    def array(self) -> tuple[int, list]:
        et = self.u32()
        n = self.u64()
        if et == STRING:
            return et, [self.string() for _ in range(n)]
        if et == ARRAY:
            return et, [self.array() for _ in range(n)]
        dt, size = _SCALAR[et]
        vals = np.frombuffer(self.take(size * n), dtype=dt)
        if et == BOOL:
            return et, [bool(v) for v in vals]
        return et, vals.tolist()


def read_gguf(path: str) -> GGUFFile:
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    c = _Cursor(mm)
    if c.take(4) != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    version = c.u32()
    if version not in (2, 3):
        raise ValueError(f"{path}: unsupported GGUF version {version}")
    n_tensors = c.u64()
    n_kv = c.u64()
    fields: dict[str, Field] = {}
    for _ in range(n_kv):
        key = c.string()
        vtype = c.u32()
        if vtype == ARRAY:
            et, vals = c.array()
            fields[key] = Field(key, vtype, vals, et)
        else:
            fields[key] = Field(key, vtype, c.scalar(vtype))
    infos = []
    for _ in range(n_tensors):
        name = c.string()
        nd = c.u32()
        ne = tuple(c.u64() for _ in range(nd))
        gt = c.u32()
        off = c.u64()
        infos.append((name, ne, gt, off))
    alignment = int(fields["general.alignment"].value) if "general.alignment" in fields else 32
    data_offset = c.pos + (-c.pos) % alignment
    tensors: dict[str, TensorInfo] = {}
    for name, ne, gt, off in infos:
        if gt not in GGML_TYPES:
            raise ValueError(f"{path}: tensor {name} has unknown ggml type {gt}")
        _, blk, size = GGML_TYPES[gt]
        n = int(np.prod(ne, dtype=np.int64))
        nbytes = n // blk * size
        if off % alignment:
            raise ValueError(f"{path}: tensor {name} offset {off} not aligned to {alignment}")
        if data_offset + off + nbytes > len(mm):
            raise ValueError(f"{path}: tensor {name} extends past end of file")
        tensors[name] = TensorInfo(name, ne, gt, off, nbytes)
    return GGUFFile(path, version, alignment, data_offset, fields, tensors, mm)


def _summary(v: Any) -> str:
    if isinstance(v, list):
        head = ", ".join(repr(x) for x in v[:6])
        return f"[{head}{', ...' if len(v) > 6 else ''}] ({len(v)})"
    return repr(v)


if __name__ == "__main__":
    g = read_gguf(sys.argv[1])
    print(f"GGUF v{g.version}, alignment {g.alignment}, data at {g.data_offset}")
    for k, f in g.fields.items():
        print(f"  {k}: {_summary(f.value)}")
    for t in g.tensors.values():
        print(f"  {t.name}: {t.type_name} ne={list(t.ne)} offset={t.offset}")
