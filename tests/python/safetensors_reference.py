"""An independent reader of .safetensors files (json + numpy, no tantra code), to check what
the module returns against the file's bytes."""

import json
import struct

import numpy as np

from conftest import NUMPY_DTYPES


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = NUMPY_DTYPES.get(info["dtype"], "<u2" if info["dtype"] == "BF16" else "u1")
        out[name] = (info["dtype"], np.frombuffer(blob[8 + n + begin:8 + n + end], dtype=dtype).reshape(info["shape"]))
    return out
