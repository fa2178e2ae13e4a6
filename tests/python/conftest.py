"""Fixtures for the tantra_weights tests. CTest runs them with PYTHONPATH at the built module
(build/<preset>/python); each test gets a fresh workspace made by the core's setup."""

import os

import pytest

import tantra_weights as tw

# One rule per dtype numpy can hold, plus BF16 (saved from uint16 with dtypes=).
NUMPY_DTYPES = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "<i2", "U16": "<u2", "F16": "<f2",
    "I32": "<i4", "U32": "<u4", "F32": "<f4", "C64": "<c8", "F64": "<f8", "I64": "<i8", "U64": "<u8",
}


def alltypes_yaml():
    rules = "".join(f"  - name: t_{name.lower()}\n    shape: [rows, cols]\n    dtypes: [{name}]\n"
                    for name in list(NUMPY_DTYPES) + ["BF16"])
    return ("model_type: alltypes\ndescription: one tensor of every dtype numpy can hold\n"
            "architecture:\n  rows: 3\n  cols: 5\n\ntensors:\n" + rules)


@pytest.fixture
def workspace(tmp_path):
    """A workspace set up as `tantra-model-manager setup` does (configs, a sample per type),
    plus Config/alltypes.yaml."""
    root = tmp_path / "ws"
    root.mkdir()
    report = tw.WeightManager(str(root)).setup()
    assert any(s.endswith("mamba_sample.safetensors") for s in report["samples"]), report
    (root / "Config" / "alltypes.yaml").write_text(alltypes_yaml())
    return root


def mapped_file_of(address):
    """The file /proc/self/maps says is mapped at `address`, or None."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if start <= address < end:
                return fields[5].strip() if len(fields) == 6 else None
    return None


def mappings_of(path):
    with open("/proc/self/maps") as maps:
        return [line for line in maps if line.rstrip().endswith(os.path.realpath(path))]
