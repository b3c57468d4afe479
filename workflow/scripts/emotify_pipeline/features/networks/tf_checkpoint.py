"""Read a TensorFlow checkpoint (tensor bundle: ``<prefix>.index`` + ``<prefix>.data-*``) with
NumPy alone.

The musicnn package's weights are TensorFlow 1 checkpoints; converting them must not make the
study depend on TensorFlow (1.6 GB, and it does not install beside every PyTorch stack). The
bundle format is small and stable: the ``.index`` file is a LevelDB-format table (no block
compression) whose keys are tensor names and whose values are ``BundleEntryProto`` messages
(dtype, shape, shard, offset, size); each tensor is the raw little-endian bytes at that offset of
its data shard. Where TensorFlow is installed, a test reads every tensor both ways and compares
them bit for bit (``tests/test_musicnn.py``).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ...core.errors import EmotifyError

_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48
# TensorFlow's DataType enum -> NumPy dtype (the ones a model checkpoint holds)
_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 9: "<i8", 10: "?", 19: "<f2"}


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(msg: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of a protobuf message: varints as ints, fixed32/64 as ints,
    length-delimited fields as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(msg):
        key, pos = _varint(msg, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(msg, pos)
            out.append((field, value))
        elif wire == 1:
            out.append((field, struct.unpack_from("<Q", msg, pos)[0]))
            pos += 8
        elif wire == 2:
            n, pos = _varint(msg, pos)
            out.append((field, msg[pos : pos + n]))
            pos += n
        elif wire == 5:
            out.append((field, struct.unpack_from("<I", msg, pos)[0]))
            pos += 4
        else:
            raise ValueError(f"protobuf wire type {wire} not supported")
    return out


def _block_entries(table: bytes, offset: int, size: int) -> list[tuple[bytes, bytes]]:
    """The (key, value) entries of one table block (keys prefix-compressed against the previous)."""
    block = table[offset : offset + size]
    if table[offset + size] != 0:
        raise ValueError("compressed table block (tensor bundles are written uncompressed)")
    n_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end = len(block) - 4 - 4 * n_restarts
    entries: list[tuple[bytes, bytes]] = []
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        n_value, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        entries.append((key, block[pos : pos + n_value]))
        pos += n_value
    return entries


def _index_entries(index: Path) -> list[tuple[bytes, bytes]]:
    table = index.read_bytes()
    if len(table) < _FOOTER or struct.unpack_from("<Q", table, len(table) - 8)[0] != _MAGIC:
        raise ValueError("not a TensorFlow checkpoint index (bad table magic)")
    pos = len(table) - _FOOTER
    _, pos = _varint(table, pos)  # metaindex block: unused
    _, pos = _varint(table, pos)
    index_offset, pos = _varint(table, pos)
    index_size, pos = _varint(table, pos)
    entries: list[tuple[bytes, bytes]] = []
    for _, handle in _block_entries(table, index_offset, index_size):
        offset, at = _varint(handle, 0)
        size, _ = _varint(handle, at)
        entries += _block_entries(table, offset, size)
    return entries


def read_checkpoint(prefix: str | Path) -> dict[str, np.ndarray]:
    """Every tensor of the checkpoint at ``prefix`` (the path without ``.index``; for the
    musicnn package's ``<model>/.index``, the model folder followed by ``/``), by name."""
    prefix = str(prefix)
    index = Path(prefix + ".index")
    if not index.is_file():
        raise EmotifyError(f"{index}: no such checkpoint index")
    try:
        entries = _index_entries(index)
        tensors: dict[str, np.ndarray] = {}
        n_shards = 1
        for key, value in entries:
            fields = _fields(value)
            if key == b"":  # BundleHeaderProto: num_shards (1), endianness (2: 0 = little)
                head = dict(fields)
                n_shards = int(head.get(1, 1))
                if head.get(2, 0) != 0:
                    raise ValueError("big-endian checkpoint")
                continue
            entry: dict[int, int | bytes] = {}
            dims: list[int] = []
            for field, v in fields:
                if field == 2:  # TensorShapeProto: repeated dim (2) {size (1)}
                    dims = [int(dict(_fields(d)).get(1, 0)) for f, d in _fields(v) if f == 2]  # type: ignore[arg-type]
                else:
                    entry[field] = v
            if entry.get(7):
                raise ValueError(f"tensor {key.decode()} is stored in slices")
            dtype = _DTYPES.get(int(entry.get(1, 0)))  # type: ignore[arg-type]
            if dtype is None:
                raise ValueError(f"tensor {key.decode()}: TensorFlow dtype {entry.get(1)} not supported")
            shard = Path(f"{prefix}.data-{int(entry.get(3, 0)):05d}-of-{n_shards:05d}")  # type: ignore[arg-type]
            offset, size = int(entry.get(4, 0)), int(entry.get(5, 0))  # type: ignore[arg-type]
            with open(shard, "rb") as f:
                f.seek(offset)
                raw = f.read(size)
            if len(raw) != size:
                raise ValueError(f"{shard} ends before tensor {key.decode()} (offset {offset}, {size} bytes)")
            tensors[key.decode()] = np.frombuffer(raw, dtype=dtype).reshape(dims).copy()
    except (ValueError, IndexError, struct.error, OSError) as err:
        raise EmotifyError(f"{index}: cannot read the checkpoint: {err}") from None
    return tensors
