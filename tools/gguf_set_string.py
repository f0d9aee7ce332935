#!/usr/bin/python3
"""Set one string metadata key of a GGUF file in place, leaving every other byte as it was.

Why it exists: a shipped model sometimes needs one metadata value corrected (e.g.
tokenizer.ggml.pre) without re-exporting it from a training checkpoint that may no longer exist.
Re-encoding the whole file through a writer would risk changing tensors; this copies the other
key/value entries, the tensor infos and the tensor data byte for byte and re-encodes only the one
value. Tensor offsets are relative to the aligned start of the data section, so a value of another
length only changes the padding before it.

The key must already exist with a string value. The new file is written next to the old one and
renamed over it, so an interrupted run leaves the original intact.

Usage:
  /usr/bin/python3 tools/gguf_set_string.py FILE.gguf KEY VALUE
"""
from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
import tempfile

STRING, ARRAY = 8, 9
SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
DEFAULT_ALIGNMENT = 32
UINT32 = 4


class Reader:
    def __init__(self, f):
        self.f = f

    def take(self, n: int) -> bytes:
        b = self.f.read(n)
        if len(b) != n:
            raise ValueError(f"truncated file: need {n} bytes at offset {self.f.tell() - len(b)}")
        return b

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def string(self) -> bytes:
        return self.take(self.u64())

    def skip_value(self, vtype: int) -> None:
        if vtype == STRING:
            self.f.seek(self.u64(), os.SEEK_CUR)
        elif vtype == ARRAY:
            elem, n = self.u32(), self.u64()
            if elem in SCALAR_SIZES:
                self.f.seek(SCALAR_SIZES[elem] * n, os.SEEK_CUR)
            else:
                for _ in range(n):
                    self.skip_value(elem)
        elif vtype in SCALAR_SIZES:
            self.f.seek(SCALAR_SIZES[vtype], os.SEEK_CUR)
        else:
            raise ValueError(f"unknown metadata value type {vtype}")


def pack_string(s: bytes) -> bytes:
    return struct.pack("<Q", len(s)) + s


def set_string(path: str, key: str, value: str) -> str:
    """Rewrites `path` with `key` set to `value`; returns the old value."""
    with open(path, "rb") as f:
        r = Reader(f)
        if r.take(4) != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file")
        version = r.u32()
        if version not in (2, 3):
            raise ValueError(f"{path}: GGUF version {version} is not supported (2 or 3)")
        n_tensors, n_kv = r.u64(), r.u64()

        # Header pieces in file order; the value of `key` is replaced, everything else is raw.
        pieces = [struct.pack("<4sIQQ", b"GGUF", version, n_tensors, n_kv)]
        old = None
        alignment = DEFAULT_ALIGNMENT
        for _ in range(n_kv):
            start = f.tell()
            k = r.string().decode("utf-8")
            vtype = r.u32()
            if k == key:
                if vtype != STRING:
                    raise ValueError(f"{path}: '{key}' has value type {vtype}, not a string")
                old = r.string().decode("utf-8")
                pieces.append(pack_string(k.encode("utf-8")) + struct.pack("<I", STRING) +
                              pack_string(value.encode("utf-8")))
                continue
            if k == "general.alignment" and vtype == UINT32:
                alignment = r.u32()
            else:
                r.skip_value(vtype)
            end = f.tell()
            f.seek(start)
            pieces.append(r.take(end - start))
        if old is None:
            raise ValueError(f"{path}: no metadata key '{key}'")

        infos_start = f.tell()
        for _ in range(n_tensors):
            r.string()
            n_dims = r.u32()
            f.seek(8 * n_dims + 4 + 8, os.SEEK_CUR)  # ne[n_dims], type, offset
        infos_end = f.tell()
        f.seek(infos_start)
        pieces.append(r.take(infos_end - infos_start))
        data_offset = infos_end + (-infos_end) % alignment

        header = b"".join(pieces)
        header += b"\0" * ((-len(header)) % alignment)

        fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp",
                                   dir=os.path.dirname(os.path.abspath(path)))
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(header)
                f.seek(data_offset)
                shutil.copyfileobj(f, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            shutil.copymode(path, tmp)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return old


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", help="GGUF file, rewritten in place")
    ap.add_argument("key", help="metadata key; must exist with a string value")
    ap.add_argument("value", help="new string value")
    args = ap.parse_args(argv)
    try:
        old = set_string(args.file, args.key, args.value)
    except (OSError, ValueError) as e:
        print(f"gguf_set_string: {e}", file=sys.stderr)
        return 1
    print(f"{args.file}: {args.key}: {old!r} -> {args.value!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
