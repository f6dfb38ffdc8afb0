"""What the binding declares by hand, checked against include/temporal_payload_codec.h.

The structures are ctypes ``Structure``s (ctypes lays them out as the C compiler does); a C
program compiled against the header reports sizeof/offsetof of each, and the constants the
binding repeats (ABI version, compressions, statuses). The functions' ``argtypes``/``restype``
are compared with the header's prototypes, parameter by parameter.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from typing import Any

import pytest

import temporal_payload_codec as tpc
from conftest import REPO
from temporal_payload_codec import Compression
from temporal_payload_codec._native import _SIGNATURES, Buffer, Slice

HEADER = REPO / "include" / "temporal_payload_codec.h"

STRUCTS = {"tpc_buffer": Buffer, "tpc_slice": Slice}
CONSTANTS = {
    "TPC_ABI_VERSION": tpc.ABI_VERSION,
    **{f"TPC_COMPRESSION_{c.name}": c.value for c in Compression},
    **{e.status_name_default: e.status_code for e in tpc.TpcError.__subclasses__()},
}

PROBE = """\
#include <stddef.h>
#include <stdio.h>
#include "temporal_payload_codec.h"
#define FIELD(s, f) printf(#s "." #f " %zu %zu\\n", offsetof(s, f), sizeof(((s *)0)->f))
int main(void) {
  printf("tpc_buffer %zu\\n", sizeof(tpc_buffer));
  FIELD(tpc_buffer, data);
  FIELD(tpc_buffer, len);
  printf("tpc_slice %zu\\n", sizeof(tpc_slice));
  FIELD(tpc_slice, data);
  FIELD(tpc_slice, len);
%s
  return 0;
}
"""


@pytest.fixture(scope="module")
def from_the_header(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[int]]:
    """What the C compiler says about the header: name -> numbers."""
    cc = shutil.which("cc")
    if cc is None:
        pytest.fail("a C compiler (cc) is needed to check the layouts against the header")
    work = tmp_path_factory.mktemp("header")
    constants = "\n".join(f'  printf("{name} %lld\\n", (long long)({name}));' for name in CONSTANTS)
    source = work / "layout.c"
    source.write_text(PROBE.replace("%s\n", constants + "\n", 1))
    exe = work / "layout"
    subprocess.run(
        [cc, "-std=c11", "-Wall", "-Werror", "-I", str(HEADER.parent), "-o", str(exe), str(source)], check=True
    )
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return {name: [int(n) for n in rest] for name, *rest in (line.split() for line in out.splitlines())}


@pytest.mark.parametrize("name", list(STRUCTS))
def test_structures_match_the_header(name: str, from_the_header: dict[str, list[int]]) -> None:
    struct = STRUCTS[name]
    assert issubclass(struct, ctypes.Structure)
    assert ctypes.sizeof(struct) == from_the_header[name][0]
    fields = [f[0] for f in struct._fields_]
    assert fields == ["data", "len"]
    for f in fields:
        descriptor = getattr(struct, f)
        assert [descriptor.offset, descriptor.size] == from_the_header[f"{name}.{f}"], f"{name}.{f}"


def test_constants_match_the_header(from_the_header: dict[str, list[int]]) -> None:
    assert len(CONSTANTS) == 1 + 4 + 9  # ABI version, compressions, the statuses but TPC_OK
    for name, value in CONSTANTS.items():
        assert from_the_header[name] == [value], name


# C parameter types of the header, and the ctypes type the binding declares for each.
C_TYPES: dict[str, Any] = {
    "void": None,
    "uint32_t": ctypes.c_uint32,
    "tpc_status": ctypes.c_uint32,
    "size_t": ctypes.c_size_t,
    "size_t *": ctypes.POINTER(ctypes.c_size_t),
    "const char *": ctypes.c_char_p,
    "const uint8_t *": ctypes.c_char_p,  # bytes passed by pointer to their own storage
    "uint8_t *": ctypes.c_void_p,  # decode_into's destination: a char array over a bytearray
    "struct tpc_buffer *": ctypes.POINTER(Buffer),
    "const struct tpc_slice *": ctypes.POINTER(Slice),
    "struct tpc_codec_builder *": ctypes.c_void_p,  # opaque handles
    "struct tpc_codec *": ctypes.c_void_p,
    "const struct tpc_codec *": ctypes.c_void_p,
    "struct tpc_codec **": ctypes.POINTER(ctypes.c_void_p),
}


def prototypes() -> dict[str, tuple[str, list[str]]]:
    """The header's functions: name -> (return type, parameter types)."""
    text = re.sub(r"//[^\n]*", "", HEADER.read_text())
    found = {}
    for ret, name, params in re.findall(r"^([A-Za-z_][\w ]*?\s*\**)\s*\b(tpc_\w+)\(([^)]*)\);", text, re.M | re.S):
        types = []
        for param in params.split(","):
            param = " ".join(param.split())
            if param == "void":
                continue
            # Drop the parameter's name, keep the type (with its stars).
            kind = re.sub(r"\s*\b\w+$", "", param)
            types.append(re.sub(r"\s*(\*+)$", r" \1", kind))
        found[name] = (re.sub(r"\s*(\*+)$", r" \1", ret.strip()), types)
    return found


def test_function_signatures_match_the_header() -> None:
    header = prototypes()
    assert len(header) >= 20, sorted(header)
    for name, (argtypes, restype) in _SIGNATURES.items():
        assert name in header, f"{name} is not in the header"
        ret, params = header[name]
        assert restype is C_TYPES[ret], f"{name} returns {ret}"
        assert len(argtypes) == len(params), f"{name}: {params}"
        for i, (declared, c_type) in enumerate(zip(argtypes, params, strict=True)):
            assert declared is C_TYPES[c_type], f"{name} parameter {i}: {c_type} declared as {declared}"
