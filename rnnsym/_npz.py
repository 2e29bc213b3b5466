"""Read the arrays of an ``.npz`` archive without trusting anything it says.

``numpy.load`` believes an ``.npy`` header (a 300-byte member may claim
100000 x 100000 floats and numpy allocates them), decompresses without a
limit (a 1.7 MB zip bomb becomes gigabytes), and lets ``zipfile``'s and
``zlib``'s own exceptions through.  :func:`read_npz` checks, in this order
and before reading any array data:

* the file is a zip archive (a plain ``.npy`` array, or anything else, is
  refused by its first bytes) with no encrypted member;
* the members' declared uncompressed sizes add up to at most ``max_bytes``
  (``zipfile`` never returns more than a member declares);
* each member's ``.npy`` header parses, holds real numbers (no objects, so
  no pickles), and its element count times the item size equals the bytes
  the member declares after its header, and is at most ``max_elements``;

then reads each array from the stream, CRC checked.  Every failure is one
:class:`~rnnsym.errors.InvalidArgumentError` naming the file and the member.

Examples
--------
>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
>>> np.savez_compressed(path, W_h=np.eye(2))
>>> read_npz(path)["W_h"].tolist()
[[1.0, 0.0], [0.0, 1.0]]
>>> _ = open(path, "wb").write(b"\\x93NUMPY" + bytes(100))
>>> read_npz(path)
Traceback (most recent call last):
...
rnnsym.errors.InvalidArgumentError: `WEIGHTS` 'w.npz' is a single .npy array, not an .npz archive; ...
"""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from rnnsym.errors import InvalidArgumentError

__all__ = ["read_npz"]

#: Most bytes all members may hold uncompressed.
MAX_BYTES = 512 * 2**20
#: Most members an archive may have.
MAX_MEMBERS = 256
#: Failures of a damaged archive: bad CRC and zip structure, corrupt deflate, truncation.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


def read_npz(path: str | Path, *, argument: str = "WEIGHTS", max_bytes: int = MAX_BYTES,
             max_elements: int | None = None) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` file ``path``, keyed by name (see the module docstring).

    ``max_elements`` bounds each array's element count (default: ``max_bytes / 8``).
    """
    path = Path(path)
    label = f"`{argument}` {path.name!r}"
    limit = max_bytes // 8 if max_elements is None else max_elements

    def refuse(problem: str) -> InvalidArgumentError:
        return InvalidArgumentError(f"{label} {problem}")

    if not path.is_file():
        raise InvalidArgumentError(f"`{argument}` {str(path)!r} is not a file; expected an .npz file.")
    with path.open("rb") as f:
        head = f.read(6)
    if head == b"\x93NUMPY":
        raise refuse("is a single .npy array, not an .npz archive; save the weights with "
                     "numpy.savez(path, W_h=..., W_x=..., b=...) or a PyTorch state_dict.")
    try:
        archive = zipfile.ZipFile(path)
    except _DAMAGED as exc:
        raise refuse(f"is not a readable .npz (zip) archive ({type(exc).__name__}).") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise refuse(f"has {len(members)} members; the limit is {MAX_MEMBERS}.")
        total = sum(m.file_size for m in members)
        if total > max_bytes:
            raise refuse(f"would hold {total} bytes uncompressed; the limit is {max_bytes}.")
        arrays = {}
        for member in members:
            key = member.filename[:-4] if member.filename.endswith(".npy") else member.filename
            where = f"{label} entry {key[:60]!r}"
            if member.flag_bits & 0x1:
                raise InvalidArgumentError(f"{where} is encrypted; rnnsym reads plain archives only.")
            try:
                arrays[key] = _read_member(archive, member, where, limit)
            except InvalidArgumentError:
                raise
            except _DAMAGED + (ValueError,) as exc:
                raise InvalidArgumentError(
                    f"{where} is damaged or not an .npy array ({type(exc).__name__}: "
                    f"{str(exc)[:80]}).") from None
    return arrays


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, where: str, limit: int) -> np.ndarray:
    """One member's array, its header checked against the size the archive declares."""
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise InvalidArgumentError(f"{where} has .npy format version {version}; expected 1.0-3.0.")
        if dtype.hasobject or dtype.kind not in "fiu" or dtype.subdtype is not None or dtype.names:
            raise InvalidArgumentError(f"{where} must hold real numbers; got dtype {dtype}.")
        count = math.prod(shape)
        header = stream.tell()
        if count > limit:
            raise InvalidArgumentError(f"{where} claims shape {shape}: {count} numbers, more than "
                                       f"the limit {limit}.")
        if count * dtype.itemsize != member.file_size - header:
            raise InvalidArgumentError(
                f"{where} claims shape {shape} of {dtype} ({count * dtype.itemsize} bytes) but holds "
                f"{member.file_size - header} bytes.")
        data = stream.read(count * dtype.itemsize)   # CRC checked at the end of the member
        if stream.read(1):
            raise InvalidArgumentError(f"{where} holds more bytes than its header claims.")
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)
