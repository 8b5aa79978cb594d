#!/usr/bin/env python3
"""Cross-check latent's safetensors reader and writer against an independent
implementation of the format written with only the standard library and numpy
(no `safetensors` package), following the spec at
https://github.com/huggingface/safetensors (README, "Format").

Usage:
  safetensors_check.py write OUT.safetensors
      Write the fixed state dict of fixed_state_dict() (F32, F64, F16, BF16
      and I64 tensors, a scalar, an empty tensor, metadata), tensors in
      sorted name order, header padded with spaces to a multiple of 8.
  safetensors_check.py read IN.safetensors EXPECT.json
      Parse IN independently and compare it with EXPECT.json:
        {"metadata": {str: str},
         "tensors": {name: {"dtype": "F32", "shape": [...],
                            "values": [number | "NaN" | "Infinity" | "-Infinity" | "-0", ...]}}}
      (values flattened row-major). Float values must match bit for bit
      (-0 and 0 differ); an expected "NaN" matches any NaN. Exit status 0 if
      everything matches, 1 with a message on stderr otherwise.

Used by test/io/safetensors.test.ts; works with numpy 1.x and 2.x.
"""
import json
import struct
import sys

import numpy as np

# safetensors dtype -> little-endian numpy dtype. BF16 has no numpy dtype; it
# is handled as raw uint16 bits (the top half of a float32).
NUMPY_DTYPE = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}


def fixed_state_dict():
    """The state dict that `write` produces; test/io/safetensors.test.ts states the same values."""
    bf16_source = np.array([1.0, -3.5, 0.15625], dtype="<f4")
    return {
        # nn.Linear(4, 3): weight is [out, in].
        "encoder.0.weight": ("F32", np.arange(12, dtype=np.float64).reshape(3, 4) / 7),
        "encoder.0.bias": ("F32", np.array([-1.5, 0.0, 2.25])),
        "decoder.weight": ("F64", np.array([0.1, -0.2, 1 / 3, 1e-300, -1e300, 5e-324, 123456789.123, -0.0]).reshape(2, 2, 2)),
        "scale": ("F32", np.array(0.5)),
        "empty": ("F32", np.zeros((0, 3))),
        # PyTorch's BatchNorm counter is an int64 scalar.
        "bn.num_batches_tracked": ("I64", np.array(7)),
        "counts": ("I64", np.array([0, -7, 2**40])),
        "half": ("F16", np.array([1.0, -2.0, 65504.0, 2.0**-24])),
        "bf16": ("BF16", (bf16_source.view("<u4") >> 16).astype("<u2")),
    }


FIXED_METADATA = {"format": "pt", "source": "scripts/safetensors_check.py"}


def write(path):
    state = fixed_state_dict()
    header = {"__metadata__": FIXED_METADATA}
    chunks = []
    offset = 0
    for name in sorted(state):
        dtype, array = state[name]
        raw = np.ascontiguousarray(array.astype(NUMPY_DTYPE[dtype])).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def parse(path):
    """Returns (header_length, metadata, {name: (dtype, shape, numpy array)}), validating the layout."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: shorter than 8 bytes")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    buffer = data[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    spans = []
    for name, info in header.items():
        dtype = info["dtype"]
        shape = tuple(info["shape"])
        begin, end = info["data_offsets"]
        np_dtype = np.dtype(NUMPY_DTYPE[dtype])
        if end - begin != int(np.prod(shape, dtype=np.int64)) * np_dtype.itemsize:
            raise ValueError(f"{path}: {name}: data_offsets {begin},{end} do not match {dtype} {list(shape)}")
        spans.append((begin, end, name))
        tensors[name] = (dtype, shape, np.frombuffer(buffer[begin:end], dtype=np_dtype).reshape(shape))
    covered = 0
    for begin, end, name in sorted(spans):
        if begin != covered:
            raise ValueError(f"{path}: {name} starts at {begin}, expected {covered} (gap or overlap)")
        covered = end
    if covered != len(buffer):
        raise ValueError(f"{path}: tensors cover {covered} bytes but the buffer has {len(buffer)}")
    return n, metadata, tensors


def expected_value(v):
    if isinstance(v, str):
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf"), "-0": -0.0}[v]
    return float(v)


def read(path, expect_path):
    with open(expect_path, "r", encoding="utf-8") as f:
        expect = json.load(f)
    n, metadata, tensors = parse(path)
    errors = []
    if n % 8 != 0:
        errors.append(f"header length {n} is not a multiple of 8")
    if metadata != expect.get("metadata", {}):
        errors.append(f"metadata {metadata!r} != expected {expect.get('metadata', {})!r}")
    want = expect["tensors"]
    if sorted(tensors) != sorted(want):
        errors.append(f"tensor names {sorted(tensors)} != expected {sorted(want)}")
    for name in sorted(set(tensors) & set(want)):
        dtype, shape, array = tensors[name]
        w = want[name]
        if dtype != w["dtype"]:
            errors.append(f"{name}: dtype {dtype} != expected {w['dtype']}")
            continue
        if list(shape) != list(w["shape"]):
            errors.append(f"{name}: shape {list(shape)} != expected {w['shape']}")
            continue
        if dtype not in ("F32", "F64"):
            errors.append(f"{name}: unexpected dtype {dtype} for a file written by latent")
            continue
        expected = np.array([expected_value(v) for v in w["values"]], dtype=np.float64).astype(NUMPY_DTYPE[dtype])
        actual = array.reshape(-1)
        if actual.size != expected.size:
            errors.append(f"{name}: {actual.size} values, expected {expected.size}")
            continue
        uint = "<u8" if dtype == "F64" else "<u4"
        both_nan = np.isnan(actual) & np.isnan(expected)
        same_bits = actual.view(uint) == expected.view(uint)
        bad = np.nonzero(~(both_nan | same_bits))[0]
        if bad.size:
            i = int(bad[0])
            errors.append(f"{name}: {bad.size} values differ; first at flat index {i}: {actual[i]!r} != expected {expected[i]!r}")
    if errors:
        print(f"{path}: does not match {expect_path}:", file=sys.stderr)
        for e in errors:
            print(f"  {e}", file=sys.stderr)
        return 1
    print(f"{path}: {len(tensors)} tensors match {expect_path} exactly")
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "write":
        write(argv[2])
        return 0
    if len(argv) == 4 and argv[1] == "read":
        try:
            return read(argv[2], argv[3])
        except (ValueError, KeyError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
