"""`rnnsym analyze` on hostile and malformed weight files (issue 15, item 5).

Every file is built here, byte by byte where numpy would not write it.  All
of them are analysed in ONE child process under a 2 GB address-space cap
(``RLIMIT_AS``), so a file that makes rnnsym allocate what its header
claims dies there instead of in the test run.  Each must give exit 2 and
a one-line ``rnnsym: error:`` naming the problem, within seconds; the valid
but extreme files must give valid JSON (no NaN, no Infinity).
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

CAP_BYTES = 2 << 30


def _npy(shape: tuple, dtype: str = "<f8", data: bytes | None = None, fortran: bool = False) -> bytes:
    """An .npy member whose header says ``shape``, followed by ``data`` (default: what it says)."""
    header = {"descr": dtype, "fortran_order": fortran, "shape": shape}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    if data is None:
        data = bytes(int(np.prod(shape)) * np.dtype(dtype).itemsize)
    return buf.getvalue() + data


def _zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path


def _central_entry(raw: bytearray, name: bytes) -> int:
    """Offset of ``name``'s central-directory record."""
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", raw, at + 28)[0]
        if bytes(raw[at + 46:at + 46 + name_len]) == name:
            return at
        at = raw.find(b"PK\x01\x02", at + 4)
    raise AssertionError(name)


def _files(tmp: Path) -> dict[str, tuple[Path, list[str], str]]:
    """name -> (file, extra CLI arguments, fragment the error must contain ('' = must succeed))."""
    ok3 = {"weight_hh_l0.npy": _npy((3, 3)), "weight_ih_l0.npy": _npy((3, 2))}
    cases: dict[str, tuple[Path, list[str], str]] = {}

    def add(name: str, members: dict[str, bytes], fragment: str, *args: str,
            compression: int = zipfile.ZIP_STORED) -> Path:
        path = _zip(tmp / f"{name}.npz", members, compression)
        cases[name] = (path, list(args), fragment)
        return path

    add("header_claims_1e10_floats", {"W_h.npy": _npy((100000, 100000), data=b"")}, "claims shape")
    add("header_disagrees_with_bytes", {"W_h.npy": _npy((3, 3), data=bytes(80))}, "holds 80 bytes")
    add("layer_5000_units", {"W_h.npy": _npy((5000, 5000))}, "claims shape",
        compression=zipfile.ZIP_DEFLATED)
    add("layer_1025_units", {"W_h.npy": _npy((1025, 1025))}, "takes at most 1024",
        compression=zipfile.ZIP_DEFLATED)
    add("too_many_members", {f"x{i}.npy": _npy((1,)) for i in range(300)}, "members")
    add("complex_dtype", {"W_h.npy": _npy((2, 2), "<c16")}, "real numbers")
    add("object_dtype", {"W_h.npy": _npy((2, 2), "|O", data=b"")}, "real numbers")
    add("structured_dtype", {"W_h.npy": _npy((2,), "|V16")}, "real numbers")
    add("not_npy_member", {"W_h.npy": b"hello, world"}, "damaged or not an .npy")
    add("one_d_weight_hh", {"weight_hh_l0.npy": _npy((3,))}, "square n x n")
    add("non_square", {"W_h.npy": _npy((3, 2))}, "square n x n")
    add("empty_layer", {"W_h.npy": _npy((0, 0))}, "n >= 1")
    add("mismatched_biases", {**ok3, "bias_ih_l0.npy": _npy((3,)), "bias_hh_l0.npy": _npy((4,))},
        "bias_hh_l0")
    add("input_rows_wrong", {"weight_hh_l0.npy": _npy((3, 3)), "weight_ih_l0.npy": _npy((4, 2))},
        "n x m matrix")
    add("no_recurrent_weights", {"foo.npy": _npy((2,))}, "no recurrent weights")
    add("no_weight_hh", {"weight_ih_l0.npy": _npy((3, 2))}, "no weight_hh_l0")
    add("nan_weight", {"W_h.npy": _npy((1, 1), data=np.array([np.nan]).tobytes())}, "NaN")
    add("weight_1e308", {"W_h.npy": _npy((2, 2), data=np.array([1e308, 0, 0, 0.5]).tobytes())}, "up to 1e+100")

    # zip bomb, honest: 600 MiB of zeros declared (about 600 KB compressed)
    bomb = tmp / "zip_bomb_declared.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("W_h.npy", "w", force_zip64=True) as f:
        f.write(_npy((600 * 2**17, 1), data=b""))
        for _ in range(600):
            f.write(bytes(2**20))
    cases["zip_bomb_declared"] = (bomb, [], "uncompressed")

    # zip bomb, lying: the directory declares 208 bytes (a header and 10 floats), the deflate stream
    # holds 64 MiB more
    liar = tmp / "zip_bomb_lying.npz"
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("W_h.npy", "w") as f:
        f.write(_npy((10,)))
        for _ in range(64):
            f.write(bytes(2**20))
    raw = bytearray(liar.read_bytes())
    at = _central_entry(raw, b"W_h.npy")
    declared = 128 + 80
    assert struct.unpack_from("<I", raw, at + 24)[0] == declared + 64 * 2**20
    struct.pack_into("<I", raw, at + 24, declared)
    liar.write_bytes(bytes(raw))
    cases["zip_bomb_lying"] = (liar, [], "damaged")

    # bad CRC: one data byte flipped in a stored member
    good = np.eye(3).tobytes()
    crc = _zip(tmp / "bad_crc.npz", {"W_h.npy": _npy((3, 3), data=good)})
    raw = bytearray(crc.read_bytes())
    raw[raw.find(good) + 8] ^= 0xFF
    crc.write_bytes(bytes(raw))
    cases["bad_crc"] = (crc, [], "damaged")

    # corrupt deflate stream
    rng = np.random.default_rng(0)
    deflated = _zip(tmp / "corrupt_deflate.npz", {"W_h.npy": _npy((30, 30), data=rng.random(900).tobytes())},
                    zipfile.ZIP_DEFLATED)
    raw = bytearray(deflated.read_bytes())
    for i in range(60, 400, 7):
        raw[i] ^= 0x5A
    deflated.write_bytes(bytes(raw))
    cases["corrupt_deflate"] = (deflated, [], "WEIGHTS")

    # the "encrypted" flag in the central directory
    enc = _zip(tmp / "encrypted.npz", {"W_h.npy": _npy((2, 2))})
    raw = bytearray(enc.read_bytes())
    at = _central_entry(raw, b"W_h.npy")
    raw[at + 8] |= 0x1
    enc.write_bytes(bytes(raw))
    cases["encrypted"] = (enc, [], "encrypted")

    plain = tmp / "plain.npy"
    np.save(plain, np.eye(2))
    cases["plain_npy"] = (plain, [], "single .npy array")
    truncated = _zip(tmp / "truncated.npz", {"W_h.npy": _npy((2, 2))})
    truncated.write_bytes(truncated.read_bytes()[:40])
    cases["truncated"] = (truncated, [], "not a readable .npz")
    text = tmp / "text.npz"
    text.write_text("W_h = [[1]]\n")
    cases["text_file"] = (text, [], "not a readable .npz")
    cases["directory"] = (tmp, [], "is not a file")
    cases["seed_minus_one"] = (_zip(tmp / "seed.npz", ok3), ["--seed", "-1"], "--seed")
    cases["steps_zero"] = (tmp / "seed.npz", ["--steps", "0"], "--steps")

    # valid but extreme: JSON must stay JSON
    for name, W in {"float16_60000": np.array([[60000, 1], [0, 0.5]], dtype=np.float16),
                    "subnormal_5e-324": np.array([[5e-324, 0], [0, 5e-324]]),
                    "weight_1e100": np.array([[1e100, 0], [0, 0.5]])}.items():
        path = tmp / f"{name}.npz"
        np.savez(path, W_h=W)
        cases[name] = (path, ["--format", "json"], "")
    bidir = tmp / "bidirectional.npz"
    np.savez(bidir, weight_hh_l0=0.1 * np.eye(2), weight_hh_l0_reverse=0.2 * np.eye(2))
    cases["bidirectional"] = (bidir, ["--format", "json", "--activation", "tanh"], "")   # nn.RNN: asked, not assumed
    return cases


_CHILD = textwrap.dedent("""
    import contextlib, io, json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
    from rnnsym.cli import main
    out = {{}}
    for name, argv in json.loads(sys.argv[1]).items():
        err, std = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code
            except BaseException as exc:
                code = "raised " + type(exc).__name__
        out[name] = [code, err.getvalue(), std.getvalue(), time.perf_counter() - start]
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    tmp = tmp_path_factory.mktemp("hostile_files")
    cases = _files(tmp)
    argv = {name: ["analyze", str(path), *args] for name, (path, args, _) in cases.items()}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD.format(cap=CAP_BYTES), json.dumps(argv)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.splitlines()[-1])
    return {name: (*results[name], cases[name][2], time.perf_counter() - start) for name in cases}


CASES = ["header_claims_1e10_floats", "header_disagrees_with_bytes", "layer_5000_units", "layer_1025_units",
         "too_many_members", "complex_dtype", "object_dtype", "structured_dtype", "not_npy_member",
         "one_d_weight_hh", "non_square", "empty_layer", "mismatched_biases", "input_rows_wrong",
         "no_recurrent_weights", "no_weight_hh", "nan_weight", "weight_1e308", "zip_bomb_declared",
         "zip_bomb_lying", "bad_crc", "corrupt_deflate", "encrypted", "plain_npy", "truncated",
         "text_file", "directory", "seed_minus_one", "steps_zero"]
VALID = ["float16_60000", "subnormal_5e-324", "weight_1e100", "bidirectional"]


@pytest.mark.parametrize("name", CASES)
def test_a_malformed_file_gets_one_line_and_exit_2(outcomes: dict, name: str) -> None:
    code, err, out, seconds, fragment, _ = outcomes[name]
    assert code == 2, (name, code, err[-600:])
    lines = err.strip().splitlines()
    assert "Traceback" not in err and "Warning" not in err, err[-600:]
    assert lines[-1].startswith(("rnnsym: error:", "rnnsym analyze: error:")), err
    assert fragment in lines[-1], (fragment, lines[-1])
    assert seconds < 10, f"{name} took {seconds:.1f} s"


@pytest.mark.parametrize("name", VALID)
def test_an_extreme_but_valid_file_gives_valid_json(outcomes: dict, name: str) -> None:
    code, err, out, seconds, _, _ = outcomes[name]
    assert code == 0, err[-800:]
    assert "Traceback" not in err and "Warning" not in err, err[-600:]
    layers = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))
    assert all("spectral_radius" in layer for layer in layers)
    if name == "bidirectional":
        assert [layer["layer"] for layer in layers] == ["layer 0", "layer 0 (reverse direction)"]
        assert [layer["spectral_radius"] for layer in layers] == pytest.approx([0.1, 0.2], rel=1e-12)


def test_every_case_built_here_is_checked(outcomes: dict) -> None:
    assert sorted(outcomes) == sorted(CASES + VALID)
