"""`save` and `load`: state dicts as NumPy `.npz` files, never pickle.

An `.npz` file is a zip of one `<key>.npy` file per array. `save` checks everything it can before
touching the disk, then replaces the file in one step, so nothing is ever half-written. `load`
reads only what `save`, `np.savez` or `np.savez_compressed` write, and names the file in every
error.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import stat
import struct
import zipfile
import zlib
from collections import Counter, OrderedDict
from collections.abc import Container
from pathlib import Path
from typing import Any

import numpy as np

from .dtypes import to_numpy
from .errors import CheckpointError

# Deflate turns at most 2 bits into 258 bytes, so a member can unpack to at most 1032× its size.
_DEFLATE_MAX_RATIO = 1032

# What the zip and .npy readers raise on a damaged file.
_DAMAGED = (
    zipfile.BadZipFile,
    EOFError,
    OSError,
    ValueError,
    OverflowError,
    NotImplementedError,
    struct.error,
    zlib.error,
)

_SPECIAL_FILES = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "FIFO (named pipe)"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


def save(state_dict: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write `state_dict` (name → array-like) to `path` as an `.npz` file.

    The file is written beside its final place and moved there only once complete, so a save that
    fails half-way leaves any previous file as it was. Dtypes and values are kept exactly.

    Like `torch.save`, this writes through a symbolic link (the link stays) and keeps an existing
    file's permissions (and, where allowed, its owner); a new file gets the permissions `open()`
    would give it. A link to a missing file creates that file, as `open()` would. Refused, before
    anything is written: a path that is a folder, device, FIFO or socket; a read-only file; keys
    that `np.load` could not give back as they were; values holding Python objects.
    """
    path = Path(path)
    arrays = _arrays_to_save(state_dict, path)
    target = Path(os.path.realpath(path))
    where = f"{path} (a link to {target})" if path.is_symlink() else str(path)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None  # a new file, or a dangling link whose target we create
    else:
        _refuse_unless_regular(existing, f"cannot replace {where}")
        if not os.access(target, os.W_OK):
            raise PermissionError(f"cannot save to {where}: the file is read-only")

    tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    # A new file: 0o666, which the kernel narrows by the umask exactly as for open().
    # Replacing a file: private while written, then given the old file's mode.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o666 if existing is None else 0o600)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"cannot save to {where}: the folder {target.parent} does not exist"
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            if existing is not None:
                _keep_owner_and_mode(tmp, existing)
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def load(path: str | os.PathLike[str]) -> OrderedDict[str, np.ndarray]:
    """Read a state dict written by `save`: name → NumPy array, in the saved order.

    Never unpickles. Anything but a complete `.npz` of plain arrays is refused with a
    `CheckpointError` naming the file: a truncated, damaged or foreign file, a folder, device or
    FIFO, Python objects, sizes that do not add up, member names `save` would refuse, compression
    other than none or deflate. A missing file is a `FileNotFoundError`, as in PyTorch.
    """
    path = Path(path)
    _refuse_unless_regular(os.stat(path), f"cannot load {path}")
    with open(path, "rb") as f:  # ours to close, whatever goes wrong inside
        try:
            return _read_npz(f, path)
        except CheckpointError:
            raise
        except _DAMAGED as error:
            raise CheckpointError(
                f"{path} is not a readable state dict file (truncated, damaged or not an .npz): "
                f"{error}"
            ) from None


# --- saving ------------------------------------------------------------------------------------


def _arrays_to_save(state_dict: dict[str, Any], path: Path) -> dict[str, np.ndarray]:
    keys = set(state_dict)
    for key in state_dict:
        problem = _key_problem(key, keys)
        if problem:
            raise CheckpointError(f"cannot save key {key!r} to {path}: {problem}")
    arrays = {}
    for key, value in state_dict.items():
        try:
            array = to_numpy(value)
        except ValueError as error:
            raise CheckpointError(f"cannot save {key!r} to {path}: {error}") from None
        if array.dtype.hasobject:
            raise CheckpointError(
                f"cannot save {key!r} to {path}: it holds Python objects, which would need pickle"
            )
        arrays[key] = array
    return arrays


def _key_problem(key: object, keys: Container[object]) -> str | None:
    """Why `key` would not come back from `np.load` as it went in, or None if it would."""
    if not isinstance(key, str):
        return f"keys must be strings, not {type(key).__name__}"
    if not key:
        return "a key cannot be empty"
    if "\0" in key:
        return "it holds a NUL byte, where zip file names end"
    if "/" in key or "\\" in key:
        return "a / or \\ would make it a path in the zip; join names with '.', as PyTorch does"
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        return "it cannot be written as UTF-8 (it holds a lone surrogate)"
    if size + len(".npy") > 0xFFFF:
        return "it is longer than a name in a zip file can be"
    if key.endswith(".npy") and key.removesuffix(".npy") in keys:
        return f"np.load would give the array of {key.removesuffix('.npy')!r} for it"
    return None


def _write_npz(f: Any, arrays: dict[str, np.ndarray]) -> None:
    """The .npz layout np.load reads: a zip of `<key>.npy` files. Written by hand rather than
    with np.savez, whose keyword arguments would swallow keys like "file" or "allow_pickle"."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _keep_owner_and_mode(tmp: Path, old: os.stat_result) -> None:
    if hasattr(os, "chown"):
        with contextlib.suppress(OSError):  # only root may give a file to another user
            os.chown(tmp, old.st_uid, old.st_gid)
    os.chmod(tmp, stat.S_IMODE(old.st_mode))  # after chown, which clears set-user-ID


def _fsync_folder(folder: Path) -> None:
    """Make the move itself survive a crash (POSIX only: Windows cannot open a folder)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _refuse_unless_regular(info: os.stat_result, cannot: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _SPECIAL_FILES if test(info.st_mode)), "special file")
        raise CheckpointError(f"{cannot}: it is a {kind}, not a regular file")


# --- loading -----------------------------------------------------------------------------------


def _read_npz(f: Any, path: Path) -> OrderedDict[str, np.ndarray]:
    with zipfile.ZipFile(f) as archive:
        members = archive.infolist()
        for info in members:
            if not info.filename.endswith(".npy"):
                raise CheckpointError(
                    f"{path} is a zip file but not a saved state dict: it holds "
                    f"{info.filename!r}, which is not a NumPy array (a PyTorch checkpoint?)"
                )
        keys = [info.filename.removesuffix(".npy") for info in members]
        counts = Counter(keys)
        for info, key in zip(members, keys):
            problem = _member_problem(info, key, counts)
            if problem:
                raise CheckpointError(
                    f"{path} is not a state dict save() would write: "
                    f"member {info.filename!r}: {problem}"
                )
        if _end_of_members(f, members) != archive.start_dir:
            # a zip reader lists only what the index at the end names: a damaged index hides arrays
            raise CheckpointError(
                f"{path} is damaged: its index does not account for every array in the file"
            )
        return OrderedDict(
            (key, _read_member(archive, info, key, path)) for info, key in zip(members, keys)
        )


def _member_problem(info: zipfile.ZipInfo, key: str, counts: Counter[str]) -> str | None:
    if counts[key] > 1:
        return "it appears more than once"
    if info.flag_bits & 0x1:
        return "it is encrypted"
    if info.flag_bits & 0x8:
        return "it was written by a streaming zip writer; save it again with save() or np.savez"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return (
            f"it uses zip compression method {info.compress_type}; only none and deflate are read"
        )
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        return "its sizes in the zip disagree"
    if info.file_size > _DEFLATE_MAX_RATIO * info.compress_size:
        return "it claims to unpack to more than deflate can produce"
    return _key_problem(key, counts)


def _end_of_members(f: Any, members: list[zipfile.ZipInfo]) -> int:
    """Where the members end if they lie one after another from the start of the file, else -1."""
    end = 0
    for info in sorted(members, key=lambda info: info.header_offset):
        if info.header_offset != end:
            return -1
        f.seek(end + 26)  # a member is a 30-byte header, its name, an extra field and its data
        name_size, extra_size = struct.unpack("<HH", f.read(4))
        end += 30 + name_size + extra_size + info.compress_size
    return end


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, path: Path
) -> np.ndarray:
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        elif version in ((2, 0), (3, 0)):
            # 3.0 is 2.0 in UTF-8: read as Latin-1, only structured field names come out garbled
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise CheckpointError(f"{path}: array {key!r} is in unknown .npy version {version}")
        if dtype.hasobject:
            raise CheckpointError(
                f"{path} holds Python objects in {key!r}; loading it would need pickle, "
                "which is refused"
            )
        # check before reading: np.load allocates whatever size the header declares
        held = info.file_size - member.tell()
        if min(shape, default=0) < 0 or math.prod(shape) * dtype.itemsize != held:
            raise CheckpointError(
                f"{path} is damaged: array {key!r} declares shape {shape} of {dtype}, "
                f"which does not fit the {held} bytes the file holds for it"
            )
        member.seek(0)
        return np.lib.format.read_array(member, allow_pickle=False)
