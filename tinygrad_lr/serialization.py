"""`save` and `load`: state dicts as NumPy `.npz` files, never pickle, written atomically."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from .dtypes import to_numpy
from .errors import CheckpointError


def save(state_dict: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write `state_dict` (name → array-like) to `path` as an `.npz` file.

    The file is written next to `path` under a temporary name and moved into place only once
    complete, so a save that fails half-way leaves any previous file at `path` untouched.
    Dtypes and values are kept exactly. Values holding Python objects are refused.
    """
    path = Path(path)
    arrays = {}
    for key, value in state_dict.items():
        array = to_numpy(value)
        if array.dtype.hasobject:
            raise CheckpointError(
                f"cannot save {key!r} to {path}: it holds Python objects, which would need pickle"
            )
        arrays[str(key)] = array
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it a normal mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: str | os.PathLike[str]) -> OrderedDict[str, np.ndarray]:
    """Read a state dict written by `save`: name → NumPy array, in the saved order.

    Never unpickles: a file holding Python objects is refused, as is a truncated or foreign
    file, with an error naming the path.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:  # ours to close, whatever np.load does on a bad file
            contents = np.load(f, allow_pickle=False)
            if not isinstance(contents, np.lib.npyio.NpzFile):
                raise CheckpointError(f"{path} holds a single array, not a saved state dict")
            with contents:
                foreign = [n for n in contents.zip.namelist() if not n.endswith(".npy")]
                if foreign:
                    raise CheckpointError(
                        f"{path} is a zip file but not a saved state dict: it holds "
                        f"{foreign[0]!r}, which is not a NumPy array (a PyTorch checkpoint?)"
                    )
                return OrderedDict((key, contents[key]) for key in contents.files)
    except (FileNotFoundError, IsADirectoryError, PermissionError, CheckpointError):
        raise
    except ValueError as error:
        if "Object arrays" in str(error):
            raise CheckpointError(
                f"{path} holds Python objects; loading it would need pickle, which is refused"
            ) from None
        raise CheckpointError(f"{path} is not a saved state dict: it is not an .npz file") from None
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise CheckpointError(
            f"{path} is not a readable state dict file (truncated or not an .npz): {error}"
        ) from None


def _write_npz(f: Any, arrays: dict[str, np.ndarray]) -> None:
    """The .npz layout np.load reads: a zip of `<key>.npy` files. Written by hand rather than
    with np.savez, whose keyword arguments would swallow keys like "file" or "allow_pickle"."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
