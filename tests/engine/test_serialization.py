"""save and load: .npz state dicts that round-trip exactly, never unpickle, and are written
atomically (a failed save leaves the previous file as it was). Nothing is lost and nothing is
silent: save replaces only regular files, writes through links, keeps permissions and refuses
keys np.load would not give back; load refuses every malformed file with an error naming it."""

import contextlib
import io
import os
import signal
import socket
import stat
import struct
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lr
from tinygrad_lr import CheckpointError, nn, tensor
from tinygrad_lr import serialization as serialization_module


def _mixed_state():
    rng = np.random.default_rng(0)
    return OrderedDict(
        [
            ("z.last_in_alphabet_first_in_order", rng.standard_normal((3, 2)).astype(np.float32)),
            ("layers.0.weight", rng.standard_normal((4, 3))),
            ("a.float32_scalar", np.array(np.float32(1 / 3))),
            ("steps", np.array([1, -2, 2**62], dtype=np.int64)),
            ("mask", np.array([[True, False], [False, True]])),
            ("zero_d_float64", np.array(np.pi)),
            ("zero_d_int", np.array(7, dtype=np.int64)),
            ("empty", np.zeros((0, 5), dtype=np.float32)),
            ("special", np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, np.finfo(float).max])),
        ]
    )


def _assert_identical(loaded, expected):
    assert list(loaded) == list(expected)
    for key, value in expected.items():
        value = np.asarray(value)
        assert type(loaded[key]) is np.ndarray, key
        assert loaded[key].dtype == value.dtype, key
        assert loaded[key].shape == value.shape, key
        # equal bit patterns: NaN equals NaN, -0.0 differs from 0.0
        assert loaded[key].tobytes() == np.ascontiguousarray(value).tobytes(), key


class Model(nn.Module):
    def __init__(self):
        self.fc1 = nn.Linear(3, 5)
        self.fc2 = nn.Linear(5, 2)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


# --- round trip ------------------------------------------------------------------------------


def test_round_trip_keeps_keys_order_dtypes_shapes_and_exact_values(tmp_path):
    state = _mixed_state()
    path = tmp_path / "state.npz"
    assert tinygrad_lr.save(state, path) is None
    loaded = tinygrad_lr.load(path)
    assert isinstance(loaded, OrderedDict)
    _assert_identical(loaded, state)


def test_round_trip_of_an_empty_state_dict(tmp_path):
    path = tmp_path / "empty.npz"
    tinygrad_lr.save({}, path)
    assert tinygrad_lr.load(path) == OrderedDict()


def test_round_trip_of_a_non_contiguous_array(tmp_path):
    strided = np.arange(24.0).reshape(4, 6)[::2, ::-3]
    transposed = np.arange(6, dtype=np.float32).reshape(2, 3).T
    tinygrad_lr.save({"strided": strided, "transposed": transposed}, tmp_path / "s.npz")
    loaded = tinygrad_lr.load(tmp_path / "s.npz")
    np.testing.assert_array_equal(loaded["strided"], strided)
    np.testing.assert_array_equal(loaded["transposed"], transposed)


def test_round_trip_keeps_keys_that_are_also_numpy_savez_argument_names(tmp_path):
    state = {"file": np.ones(2), "allow_pickle": np.zeros(3), "args": np.arange(2)}
    tinygrad_lr.save(state, tmp_path / "names.npz")
    _assert_identical(tinygrad_lr.load(tmp_path / "names.npz"), state)


def test_saved_model_loads_into_a_fresh_model_and_gives_the_same_outputs(tmp_path):
    tinygrad_lr.manual_seed(1)
    trained = Model()
    for p in trained.parameters():  # values no fresh initialisation would give
        p.numpy()[...] = p.numpy() * 3 + 0.25
    path = tmp_path / "model.npz"
    tinygrad_lr.save(trained.state_dict(), path)

    tinygrad_lr.manual_seed(2)
    fresh = Model()
    x = tensor(np.random.default_rng(4).standard_normal((6, 3)).astype(np.float32))
    assert np.isfinite(fresh(x).numpy()).all() and np.isfinite(trained(x).numpy()).all()
    assert not np.array_equal(fresh(x).numpy(), trained(x).numpy())
    fresh.load_state_dict(tinygrad_lr.load(path))
    np.testing.assert_array_equal(fresh(x).numpy(), trained(x).numpy())
    _assert_identical(fresh.state_dict(), trained.state_dict())


@pytest.mark.parametrize("name", ["checkpoint", "checkpoint.pt", "weights.bin", "no_suffix."])
def test_a_path_without_the_npz_suffix_is_used_as_given(tmp_path, name):
    path = tmp_path / name
    tinygrad_lr.save({"w": np.arange(3.0)}, path)
    assert os.listdir(tmp_path) == [name]
    np.testing.assert_array_equal(tinygrad_lr.load(path)["w"], np.arange(3.0))
    np.testing.assert_array_equal(tinygrad_lr.load(str(path))["w"], np.arange(3.0))


def test_save_accepts_a_string_path_relative_to_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tinygrad_lr.save({"w": np.arange(3)}, "relative.npz")
    assert os.listdir(tmp_path) == ["relative.npz"]
    np.testing.assert_array_equal(tinygrad_lr.load("relative.npz")["w"], np.arange(3))


def test_save_accepts_tinygrad_tensors_parameters_and_torch_tensors(tmp_path):
    state = {
        "tensor": tensor(np.array([1.5, -2.5]), requires_grad=True),
        "parameter": nn.Parameter(np.array([[0.1, 0.2]], dtype=np.float32)),
        "torch": torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64),
        "torch_grad": torch.tensor([0.5, 0.25], requires_grad=True),
        "torch_int": torch.tensor([3, 4], dtype=torch.int64),
        "torch_bool": torch.tensor([True, False]),
    }
    path = tmp_path / "mixed.npz"
    tinygrad_lr.save(state, path)
    loaded = tinygrad_lr.load(path)
    assert list(loaded) == list(state)
    for key in ("tensor", "parameter"):
        _assert_identical({key: loaded[key]}, {key: state[key].numpy()})
    for key in ("torch", "torch_grad", "torch_int", "torch_bool"):
        _assert_identical({key: loaded[key]}, {key: state[key].detach().numpy()})


def test_a_torch_models_state_dict_saves_and_loads_into_an_equal_model(tmp_path):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    path = tmp_path / "torch.npz"
    tinygrad_lr.save(theirs.state_dict(), path)
    loaded = tinygrad_lr.load(path)
    assert list(loaded) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    ours = Model()
    renamed = {"0": "fc1", "2": "fc2"}
    ours.load_state_dict({renamed[k[0]] + k[1:]: v for k, v in loaded.items()})
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours(tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_the_file_is_a_plain_npz_that_numpy_reads_without_pickle(tmp_path):
    path = tmp_path / "plain.npz"
    tinygrad_lr.save({"w": np.arange(4.0)}, path)
    assert zipfile.is_zipfile(path)
    with np.load(path, allow_pickle=False) as contents:
        assert contents.files == ["w"]
        np.testing.assert_array_equal(contents["w"], np.arange(4.0))


# --- refusing Python objects -----------------------------------------------------------------


class _Trap:
    """Unpickling this creates the folder `marker`: proof that pickle code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_a_file_holding_python_objects_is_refused_naming_the_path(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.load(path)
    assert str(path) in str(info.value)


def test_loading_never_unpickles(tmp_path):
    marker = tmp_path / "unpickled"
    path = tmp_path / "trap.npz"
    np.savez(path, weights=np.ones(3), trap=np.array([_Trap(marker)], dtype=object))

    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.load(path)
    assert str(path) in str(info.value)
    assert not marker.exists()

    # the trap is real: loading the same file with pickle allowed springs it
    with np.load(path, allow_pickle=True) as contents:
        contents["trap"]
    assert marker.is_dir()


@pytest.mark.parametrize(
    "value",
    [np.array([{"x": 1}], dtype=object), np.array([1.0, None], dtype=object), [1.0, None]],
    ids=["dict", "none", "list-with-none"],
)
def test_saving_a_value_of_dtype_object_is_refused_and_writes_nothing(tmp_path, value):
    path = tmp_path / "objects.npz"
    with pytest.raises(CheckpointError, match="bad"):
        tinygrad_lr.save({"good": np.ones(2), "bad": value}, path)
    assert os.listdir(tmp_path) == []


def test_saving_python_objects_over_an_existing_file_leaves_it_alone(tmp_path):
    path = tmp_path / "model.npz"
    tinygrad_lr.save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()
    with pytest.raises(CheckpointError):
        tinygrad_lr.save({"w": np.array([object()], dtype=object)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


# --- damaged, foreign and missing files ------------------------------------------------------


def _truncated(tmp_path):
    path = tmp_path / "truncated.npz"
    tinygrad_lr.save(_mixed_state(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _random_bytes(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(0).bytes(1000))
    return path


def _text(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are not the weights you are looking for\n" * 20)
    return path


def _single_npy(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.arange(5.0))
    return path


def _empty(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    return path


def _corrupted(tmp_path):
    """Complete zip structure, damaged contents: a byte of the stored array flipped."""
    path = tmp_path / "corrupted.npz"
    tinygrad_lr.save({"w": np.zeros(64)}, path)
    data = bytearray(path.read_bytes())
    i = data.index(b"\x00" * 64)
    data[i + 10] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def _other_zip(tmp_path):
    path = tmp_path / "archive.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return path


DAMAGED = {
    "truncated": _truncated,
    "random-bytes": _random_bytes,
    "text": _text,
    "single-npy": _single_npy,
    "empty": _empty,
    "corrupted": _corrupted,
}


@pytest.mark.parametrize("make", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_or_foreign_file_is_a_checkpoint_error_naming_the_path(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.load(path)
    assert str(path) in str(info.value)


def _objects(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    return path


def _open_descriptors(path):
    """This process's file descriptors open on `path` (Linux: /proc/self/fd)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                found.append(fd)
        except OSError:
            pass
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
@pytest.mark.parametrize(
    "make", [*DAMAGED.values(), _objects], ids=[*DAMAGED.keys(), "python-objects"]
)
def test_a_refused_file_is_closed_even_while_the_error_is_kept(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.load(path)
    # `info` keeps the error alive, as `sys.last_value` does after an error in a REPL
    assert info.value is not None
    assert _open_descriptors(path) == []


def test_a_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)


@pytest.mark.parametrize(
    "make", [_random_bytes, _text, _empty, _truncated], ids=["random", "text", "empty", "truncated"]
)
def test_a_foreign_file_is_not_said_to_hold_python_objects(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.load(path)
    assert "Python objects" not in str(info.value)
    assert "pickle" not in str(info.value)


def _torch_checkpoint(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    return path


@pytest.mark.parametrize("make", [_torch_checkpoint, _other_zip], ids=["torch-save", "zip"])
def test_a_zip_file_whose_members_are_not_arrays_is_refused(tmp_path, make):
    # an .npz is a zip of .npy files; torch.save also writes a zip, of a pickle and raw storages
    path = make(tmp_path)
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.load(path)
    assert str(path) in str(info.value)


def test_a_missing_file_is_a_file_not_found_error_naming_it(tmp_path):
    for path in (tmp_path / "nowhere.npz", str(tmp_path / "no" / "such" / "folder.npz")):
        with pytest.raises(FileNotFoundError) as info:
            tinygrad_lr.load(path)
        assert str(path) in str(info.value)


def test_saving_into_a_missing_folder_is_a_file_not_found_error_naming_it(tmp_path):
    path = tmp_path / "missing" / "m.npz"
    with pytest.raises(FileNotFoundError) as info:
        tinygrad_lr.save({"w": np.ones(1)}, path)
    assert str(path) in str(info.value)
    assert os.listdir(tmp_path) == []


# --- atomic save ------------------------------------------------------------------------------


class DiskFullError(OSError):
    pass


def _failing_write_array(file, *args, **kwargs):
    """Write the start of an array, then fail as a full disk would."""
    file.write(b"\x93NUMPY" + b"\x00" * 100)
    raise DiskFullError("no space left on device")


def _interrupted_write_array(file, *args, **kwargs):
    file.write(b"\x93NUMPYpartial")
    raise KeyboardInterrupt


def _failing_fsync(fd):
    raise DiskFullError("fsync failed")


def _failing_replace(src, dst):
    raise DiskFullError("replace failed")


FAILURES = {
    "half-written": (np.lib.format, "write_array", _failing_write_array, DiskFullError),
    "interrupted": (np.lib.format, "write_array", _interrupted_write_array, KeyboardInterrupt),
    "fsync": (os, "fsync", _failing_fsync, DiskFullError),
    "replace": (os, "replace", _failing_replace, DiskFullError),
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_a_failed_save_leaves_the_previous_file_untouched_and_no_temporary_file(
    tmp_path, monkeypatch, failure
):
    module, name, fake, error = failure
    path = tmp_path / "model.npz"
    old = {"w": np.arange(6.0).reshape(2, 3), "b": np.array([1, 2], dtype=np.int64)}
    tinygrad_lr.save(old, path)
    before = path.read_bytes()
    (tmp_path / "neighbour.txt").write_text("left alone")

    monkeypatch.setattr(module, name, fake)
    with pytest.raises(error):
        tinygrad_lr.save({"w": np.ones((2, 3)), "b": np.zeros(2, dtype=np.int64)}, path)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz", "neighbour.txt"]
    _assert_identical(tinygrad_lr.load(path), old)


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_a_failed_first_save_leaves_no_file_at_all(tmp_path, monkeypatch, failure):
    module, name, fake, error = failure
    monkeypatch.setattr(module, name, fake)
    with pytest.raises(error):
        tinygrad_lr.save({"w": np.ones(3)}, tmp_path / "model.npz")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_the_file_only_appears_at_the_path_once_complete(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    seen = []
    real_replace = os.replace

    def watching_replace(src, dst):
        seen.append((path.exists(), dict(tinygrad_lr.load(src))))
        real_replace(src, dst)

    monkeypatch.setattr(serialization_module.os, "replace", watching_replace)
    tinygrad_lr.save({"w": np.arange(3.0)}, path)
    monkeypatch.undo()
    [(existed, contents)] = seen
    assert not existed  # nothing at the path until the complete file is moved there
    np.testing.assert_array_equal(contents["w"], np.arange(3.0))
    assert os.listdir(tmp_path) == ["model.npz"]


def test_a_successful_save_over_an_existing_file_replaces_it(tmp_path):
    path = tmp_path / "model.npz"
    tinygrad_lr.save({"old_key": np.zeros(1000)}, path)
    new = OrderedDict([("w", np.arange(4.0)), ("step", np.array(3))])
    tinygrad_lr.save(new, path)
    _assert_identical(tinygrad_lr.load(path), new)
    assert os.listdir(tmp_path) == ["model.npz"]


def test_a_failed_save_through_a_link_leaves_the_target_untouched(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "real.npz"
    tinygrad_lr.save({"w": np.arange(3.0)}, target)
    before = target.read_bytes()
    link = tmp_path / "latest.npz"
    link.symlink_to(target)

    monkeypatch.setattr(np.lib.format, "write_array", _failing_write_array)
    with pytest.raises(DiskFullError):
        tinygrad_lr.save({"w": np.ones(3)}, link)
    monkeypatch.undo()

    assert target.read_bytes() == before
    assert link.is_symlink()
    assert sorted(os.listdir(tmp_path)) == ["latest.npz", "models"]
    assert os.listdir(tmp_path / "models") == ["real.npz"]


# --- keys ---------------------------------------------------------------------------------------


REFUSED_KEYS = {
    "nul-byte": ("a\0b", "NUL"),
    "empty": ("", "empty"),
    "int": (3, "strings"),
    "tuple": (("layer", 0), "strings"),
    "bytes": (b"w", "strings"),
    "parent-folder": ("../a", "/"),
    "folder": ("a/b", "/"),
    "absolute": ("/abs", "/"),
    "backslash": ("a\\b", "\\\\"),
    "lone-surrogate": ("w\udc80", "UTF-8"),
    "too-long": ("k" * 70_000, "longer"),
}


@pytest.mark.parametrize("key, reason", REFUSED_KEYS.values(), ids=REFUSED_KEYS.keys())
def test_a_key_np_load_could_not_give_back_is_refused_naming_it_before_writing(
    tmp_path, key, reason
):
    path = tmp_path / "model.npz"
    tinygrad_lr.save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.save({"good": np.ones(2), key: np.zeros(2)}, path)
    assert repr(key) in str(info.value)
    assert str(path) in str(info.value)
    assert reason in str(info.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


@pytest.mark.parametrize("order", [["x", "x.npy"], ["x.npy", "x"], ["a.npy", "a.npy.npy"]])
def test_keys_that_collide_in_np_load_are_refused_naming_the_one_it_would_mix_up(tmp_path, order):
    path = tmp_path / "model.npz"
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.save({key: np.full(2, i) for i, key in enumerate(order)}, path)
    longer = max(order, key=len)
    assert repr(longer) in str(info.value)
    assert os.listdir(tmp_path) == []


def test_the_collision_is_real_np_load_gives_one_array_for_both_keys(tmp_path):
    path = tmp_path / "numpy_wrote_it.npz"
    np.savez(path, **{"x": np.zeros(2), "x.npy": np.ones(2)})
    with np.load(path) as contents:
        assert contents.files == ["x", "x.npy"]
        np.testing.assert_array_equal(contents["x.npy"], np.zeros(2))  # not the ones saved


ODD_BUT_VALID_KEYS = [
    "file",
    "allow_pickle",
    "args",
    "kwds",
    "mmap_mode",
    "x.npy",
    "x.npy.npy.npy",
    ".npy",
    ".",
    "..",
    " ",
    "tab\tand\nnewline",
    "a:b",
    "gewicht_ä",
    "权重",
    "🔥",
    "k" * 1000,
]


def test_odd_but_valid_keys_round_trip_through_load_and_through_np_load(tmp_path):
    state = {key: np.full(i + 1, i, dtype=np.int64) for i, key in enumerate(ODD_BUT_VALID_KEYS)}
    path = tmp_path / "odd.npz"
    tinygrad_lr.save(state, path)
    _assert_identical(tinygrad_lr.load(path), state)
    with np.load(path, allow_pickle=False) as contents:
        assert contents.files == list(state)
        _assert_identical({key: contents[key] for key in state}, state)


_KEY_PIECES = st.one_of(
    st.sampled_from(["x", ".npy", ".", "/", "\\", "\0", "é", "\udc80", "🔥", " ", "\n"]),
    st.characters(),
)
_KEYS = st.lists(st.lists(_KEY_PIECES, max_size=4).map("".join), max_size=4, unique=True)


@settings(max_examples=300, deadline=None)
@given(_KEYS)
def test_every_string_key_is_either_refused_or_given_back_exactly_by_load_and_np_load(keys):
    state = {key: np.arange(i + 1) for i, key in enumerate(keys)}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "keys.npz"
        try:
            tinygrad_lr.save(state, path)
        except CheckpointError:
            assert os.listdir(folder) == []
            return
        _assert_identical(tinygrad_lr.load(path), state)
        with np.load(path, allow_pickle=False) as contents:
            assert contents.files == keys
            _assert_identical({key: contents[key] for key in keys}, state)


# --- what save refuses to replace -------------------------------------------------------------


class _Hung(BaseException):
    """Not an OSError, so no `except OSError` inside save or load can swallow it."""


@contextlib.contextmanager
def _fails_instead_of_hanging(seconds=5):
    """Opening a FIFO waits for the other end: turn such a hang into a failure."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hung(signum, frame):
        raise _Hung(f"blocked for {seconds} s, as opening a FIFO does")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _forbid_moving_files(monkeypatch):
    """Whatever save does, it cannot move a file onto a device through these."""

    def refuse(src, dst, *args, **kwargs):
        raise AssertionError(f"save tried to move {src} onto {dst}")

    monkeypatch.setattr(os, "replace", refuse)
    monkeypatch.setattr(os, "rename", refuse)


def _fifo(tmp_path, monkeypatch):
    if not hasattr(os, "mkfifo"):
        pytest.skip("this platform has no FIFOs")
    path = tmp_path / "pipe.npz"
    os.mkfifo(path)
    return path


def _folder(tmp_path, monkeypatch):
    path = tmp_path / "folder.npz"
    path.mkdir()
    (path / "inside.txt").write_text("kept")
    return path


def _socket(tmp_path, monkeypatch):
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("this platform has no Unix sockets")
    monkeypatch.chdir(tmp_path)  # a short relative name: socket paths have a length limit
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("socket.npz")
    return tmp_path / "socket.npz"


SPECIAL_FILES = {
    "fifo": (_fifo, stat.S_ISFIFO, "FIFO"),
    "folder": (_folder, stat.S_ISDIR, "folder"),
    "socket": (_socket, stat.S_ISSOCK, "socket"),
}


@pytest.mark.parametrize("make, is_kind, word", SPECIAL_FILES.values(), ids=SPECIAL_FILES.keys())
def test_save_refuses_to_replace_a_special_file_naming_it_and_leaves_it_as_it_was(
    tmp_path, monkeypatch, make, is_kind, word
):
    path = make(tmp_path, monkeypatch)
    with _fails_instead_of_hanging(), pytest.raises(CheckpointError) as info:
        tinygrad_lr.save({"w": np.ones(2)}, path)
    assert str(path) in str(info.value)
    assert word in str(info.value)
    assert is_kind(os.lstat(path).st_mode)
    assert os.listdir(tmp_path) == [path.name]


@pytest.mark.parametrize("make, is_kind, word", SPECIAL_FILES.values(), ids=SPECIAL_FILES.keys())
def test_load_refuses_a_special_file_naming_it_without_waiting_on_it(
    tmp_path, monkeypatch, make, is_kind, word
):
    path = make(tmp_path, monkeypatch)
    with _fails_instead_of_hanging(), pytest.raises(CheckpointError) as info:
        tinygrad_lr.load(path)
    assert str(path) in str(info.value)
    assert word in str(info.value)


def _device():
    if not os.path.exists(os.devnull) or not stat.S_ISCHR(os.stat(os.devnull).st_mode):
        pytest.skip(f"{os.devnull} is not a character device here")
    return os.devnull


def test_save_refuses_to_replace_a_device_even_as_root(monkeypatch):
    device = _device()
    _forbid_moving_files(monkeypatch)
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.save({"w": np.ones(2)}, device)
    monkeypatch.undo()
    assert device in str(info.value)
    assert "character device" in str(info.value)
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_save_refuses_a_link_to_a_device_and_keeps_the_link(tmp_path, monkeypatch):
    device = _device()
    link = tmp_path / "model.npz"
    link.symlink_to(device)
    _forbid_moving_files(monkeypatch)
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.save({"w": np.ones(2)}, link)
    monkeypatch.undo()
    assert str(link) in str(info.value)
    assert "character device" in str(info.value)
    assert os.readlink(link) == device
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert os.listdir(tmp_path) == ["model.npz"]


def test_load_refuses_a_device(tmp_path):
    device = _device()
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.load(device)
    assert device in str(info.value)
    assert "character device" in str(info.value)


# --- symbolic links ---------------------------------------------------------------------------


def test_save_through_a_link_replaces_the_target_and_keeps_the_link(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "models" / "real.npz"
    tinygrad_lr.save({"old": np.zeros(100)}, target)
    os.chmod(target, 0o640)
    link = tmp_path / "links" / "latest.npz"
    link.symlink_to(os.path.join("..", "models", "real.npz"))

    new = {"w": np.arange(4.0)}
    tinygrad_lr.save(new, link)

    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("..", "models", "real.npz")
    _assert_identical(tinygrad_lr.load(target), new)
    _assert_identical(tinygrad_lr.load(link), new)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert os.listdir(tmp_path / "models") == ["real.npz"]
    assert os.listdir(tmp_path / "links") == ["latest.npz"]


def test_save_through_a_chain_of_links_replaces_the_final_target(tmp_path):
    target = tmp_path / "real.npz"
    tinygrad_lr.save({"old": np.zeros(1)}, target)
    (tmp_path / "middle.npz").symlink_to("real.npz")
    (tmp_path / "first.npz").symlink_to("middle.npz")
    tinygrad_lr.save({"w": np.ones(2)}, tmp_path / "first.npz")
    assert os.readlink(tmp_path / "first.npz") == "middle.npz"
    assert os.readlink(tmp_path / "middle.npz") == "real.npz"
    _assert_identical(tinygrad_lr.load(target), {"w": np.ones(2)})
    assert sorted(os.listdir(tmp_path)) == ["first.npz", "middle.npz", "real.npz"]


def test_save_through_a_dangling_link_creates_its_target_as_open_would(tmp_path):
    (tmp_path / "models").mkdir()
    link = tmp_path / "latest.npz"
    link.symlink_to(os.path.join("models", "new.npz"))
    with open(tmp_path / "reference", "w"):
        pass

    tinygrad_lr.save({"w": np.ones(2)}, link)

    target = tmp_path / "models" / "new.npz"
    assert link.is_symlink()
    _assert_identical(tinygrad_lr.load(target), {"w": np.ones(2)})
    assert os.stat(target).st_mode == os.stat(tmp_path / "reference").st_mode
    assert os.listdir(tmp_path / "models") == ["new.npz"]


def test_save_through_a_link_into_a_missing_folder_is_a_file_not_found_error(tmp_path):
    link = tmp_path / "latest.npz"
    link.symlink_to(os.path.join("missing", "new.npz"))
    with pytest.raises(FileNotFoundError) as info:
        tinygrad_lr.save({"w": np.ones(2)}, link)
    assert str(link) in str(info.value)
    assert os.readlink(link) == os.path.join("missing", "new.npz")
    assert os.listdir(tmp_path) == ["latest.npz"]


def test_a_loop_of_links_is_an_error_naming_the_path_and_nothing_is_written(tmp_path):
    (tmp_path / "a.npz").symlink_to("b.npz")
    (tmp_path / "b.npz").symlink_to("a.npz")
    for call in (lambda p: tinygrad_lr.save({"w": np.ones(1)}, p), tinygrad_lr.load):
        with pytest.raises(OSError) as info:
            call(tmp_path / "a.npz")
        assert str(tmp_path / "a.npz") in str(info.value)
    assert sorted(os.listdir(tmp_path)) == ["a.npz", "b.npz"]
    assert os.readlink(tmp_path / "a.npz") == "b.npz"


# --- permissions and owner ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o660, 0o604, 0o755, 0o400])
def test_saving_over_a_file_keeps_its_permission_bits(tmp_path, mode):
    path = tmp_path / "model.npz"
    tinygrad_lr.save({"w": np.zeros(1)}, path)
    os.chmod(path, mode)
    if not os.access(path, os.W_OK):
        pytest.skip("a read-only file is refused for users other than root")
    tinygrad_lr.save({"w": np.ones(1)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    _assert_identical(tinygrad_lr.load(path), {"w": np.ones(1)})


def test_while_replacing_a_private_file_the_new_one_is_never_readable_by_others(
    tmp_path, monkeypatch
):
    path = tmp_path / "secret.npz"
    tinygrad_lr.save({"w": np.zeros(1)}, path)
    os.chmod(path, 0o600)
    modes = []
    real_write_array = np.lib.format.write_array

    def watching_write_array(*args, **kwargs):
        modes.extend(stat.S_IMODE(p.stat().st_mode) for p in tmp_path.glob(".*.tmp"))
        return real_write_array(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", watching_write_array)
    tinygrad_lr.save({"w": np.ones(1), "b": np.ones(2)}, path)
    monkeypatch.undo()
    assert len(modes) == 2
    assert all(mode & 0o077 == 0 for mode in modes), [oct(m) for m in modes]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.fixture(params=[0o022, 0o077, 0o002, 0o027, 0o000])
def umask(request):
    """Run the test under this umask (and put the previous one back afterwards)."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def test_a_new_file_gets_the_mode_open_would_give_it(tmp_path, umask):
    with open(tmp_path / "reference", "w"):
        pass
    tinygrad_lr.save({"w": np.zeros(1)}, tmp_path / "m.npz")
    assert os.stat(tmp_path / "m.npz").st_mode == os.stat(tmp_path / "reference").st_mode
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == 0o666 & ~umask


def test_save_never_touches_the_umask(tmp_path, monkeypatch):
    def no_umask(mask):
        raise AssertionError("save changed the process umask, which other threads share")

    monkeypatch.setattr(os, "umask", no_umask)
    path = tmp_path / "m.npz"
    tinygrad_lr.save({"w": np.zeros(1)}, path)  # a new file
    tinygrad_lr.save({"w": np.ones(1)}, path)  # replacing one
    _assert_identical(tinygrad_lr.load(path), {"w": np.ones(1)})


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_as_root_saving_over_another_users_file_keeps_its_owner(tmp_path):
    path = tmp_path / "theirs.npz"
    tinygrad_lr.save({"w": np.zeros(1)}, path)
    os.chown(path, 12345, 23456)
    os.chmod(path, 0o640)
    tinygrad_lr.save({"w": np.ones(1)}, path)
    info = os.stat(path)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (12345, 23456, 0o640)


def test_a_read_only_file_is_not_replaced_as_open_would_refuse_to_write_it(tmp_path, monkeypatch):
    path = tmp_path / "frozen.npz"
    tinygrad_lr.save({"w": np.zeros(1)}, path)
    os.chmod(path, 0o444)
    before = path.read_bytes()
    if os.access(path, os.W_OK):  # root may write anything: act as an ordinary user
        monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(PermissionError) as info:
        tinygrad_lr.save({"w": np.ones(1)}, path)
    assert str(path) in str(info.value)
    assert "read-only" in str(info.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["frozen.npz"]


# --- hostile files: load refuses every one, naming it ----------------------------------------


def _npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _npy_header(shape, descr="<f8"):
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def _zip(tmp_path, members, compression=zipfile.ZIP_STORED):
    """A zip of `members` (name → bytes) written with the zipfile module."""
    path = tmp_path / "hostile.npz"
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _patch_first_index_entry(path, offset, fmt, value):
    """Overwrite one field of the zip's index (central directory) entry for its first member."""
    with zipfile.ZipFile(path) as archive:
        at = archive.start_dir + offset
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, at, value)
    path.write_bytes(bytes(data))
    return path


def _absurd_shape(tmp_path):
    return _zip(tmp_path, {"w.npy": _npy_header((10**12,)) + b"\0" * 8})


def _short_data(tmp_path):
    return _zip(tmp_path, {"w.npy": _npy_header((100,)) + b"\0" * 8})


def _trailing_bytes(tmp_path):
    return _zip(tmp_path, {"w.npy": _npy(np.ones(2)) + b"more bytes np.load would ignore"})


def _negative_shape(tmp_path):
    return _zip(tmp_path, {"w.npy": _npy_header((-2, -4), "|u1") + b"\0" * 8})


def _not_an_array(tmp_path):
    return _zip(tmp_path, {"w.npy": b"hello, np.load would return these bytes"})


def _unknown_npy_version(tmp_path):
    return _zip(tmp_path, {"w.npy": b"\x93NUMPY\x09\x00" + _npy(np.ones(2))[8:]})


def _bzip2(tmp_path):
    return _zip(tmp_path, {"w.npy": _npy(np.ones(2))}, zipfile.ZIP_BZIP2)


def _lzma(tmp_path):
    return _zip(tmp_path, {"w.npy": _npy(np.ones(2))}, zipfile.ZIP_LZMA)


def _unknown_method(tmp_path):
    return _patch_first_index_entry(_zip(tmp_path, {"w.npy": _npy(np.ones(2))}), 10, "<H", 99)


def _encrypted(tmp_path):
    return _patch_first_index_entry(_zip(tmp_path, {"w.npy": _npy(np.ones(2))}), 8, "<H", 1)


def _stored_sizes_disagree(tmp_path):
    path = _zip(tmp_path, {"w.npy": _npy(np.ones(2))})
    return _patch_first_index_entry(path, 24, "<I", 10**9)


def _deflate_bomb(tmp_path):
    path = _zip(tmp_path, {"w.npy": _npy(np.zeros(1000))}, zipfile.ZIP_DEFLATED)
    return _patch_first_index_entry(path, 24, "<I", 0xFFFFFFF0)


def _named(name):
    return lambda tmp_path: _zip(tmp_path, {"ok.npy": _npy(np.ones(1)), name: _npy(np.ones(2))})


def _nul_in_name(tmp_path):
    path = _zip(tmp_path, {"aXb.npy": _npy(np.ones(2))})
    path.write_bytes(path.read_bytes().replace(b"aXb.npy", b"a\0b.npy"))
    return path


def _duplicate(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = _zip(tmp_path, {"w.npy": _npy(np.ones(2))})
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("w.npy", _npy(np.zeros(3)))
    return path


def _colliding(tmp_path):
    return _zip(tmp_path, {"x.npy": _npy(np.ones(2)), "x.npy.npy": _npy(np.zeros(2))})


def _index_hides_members(tmp_path):
    """The first index entry's comment swallows the others: np.load lists one array of three."""
    members = {f"{k}.npy": _npy(np.full(2, i)) for i, k in enumerate("abc")}
    path = _zip(tmp_path, members)
    with zipfile.ZipFile(path) as archive:
        first = archive.start_dir
    data = path.read_bytes()
    name_size, extra_size = struct.unpack_from("<HH", data, first + 28)
    rest_of_index = len(data) - 22 - (first + 46 + name_size + extra_size)
    return _patch_first_index_entry(path, 32, "<H", rest_of_index)


def _index_lists_nothing(tmp_path):
    path = _zip(tmp_path, {"w.npy": _npy(np.ones(2))})
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, len(data) - 22 + 12, 0)  # the index's size, in its end record
    path.write_bytes(bytes(data))
    return path


def _data_before_the_zip(tmp_path):
    path = _zip(tmp_path, {"w.npy": _npy(np.ones(2))})
    path.write_bytes(b"something else first" + path.read_bytes())
    return path


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, like a pipe: zipfile then adds a descriptor after each member."""

    def __init__(self):
        self.written = bytearray()

    def writable(self):
        return True

    def write(self, data):
        self.written += data
        return len(data)


def _streamed(tmp_path):
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w") as archive:
        archive.writestr("w.npy", _npy(np.ones(2)))
    path = tmp_path / "streamed.npz"
    path.write_bytes(bytes(pipe.written))
    return path


HOSTILE = {
    "absurd-shape": (_absurd_shape, "(1000000000000,)"),
    "short-data": (_short_data, "declares shape (100,)"),
    "trailing-bytes": (_trailing_bytes, "declares shape (2,)"),
    "negative-shape": (_negative_shape, "declares shape (-2, -4)"),
    "not-an-array": (_not_an_array, "not a readable state dict"),
    "unknown-npy-version": (_unknown_npy_version, ".npy version (9, 0)"),
    "bzip2": (_bzip2, "method 12"),
    "lzma": (_lzma, "method 14"),
    "unknown-method": (_unknown_method, "method 99"),
    "encrypted": (_encrypted, "encrypted"),
    "stored-sizes-disagree": (_stored_sizes_disagree, "sizes"),
    "deflate-bomb": (_deflate_bomb, "more than deflate can produce"),
    "parent-folder": (_named("../x.npy"), "'../x.npy'"),
    "absolute": (_named("/abs.npy"), "'/abs.npy'"),
    "folder": (_named("a/b.npy"), "'a/b.npy'"),
    "backslash": (_named("a\\b.npy"), "'a\\\\b.npy'"),
    "empty-name": (_named(".npy"), "empty"),
    "nul-in-name": (_nul_in_name, "not a NumPy array"),
    "duplicate": (_duplicate, "more than once"),
    "colliding": (_colliding, "np.load would give"),
    "index-hides-members": (_index_hides_members, "index"),
    "index-lists-nothing": (_index_lists_nothing, "index"),
    "data-before-the-zip": (_data_before_the_zip, "index"),
    "streamed": (_streamed, "streaming"),
}


@pytest.mark.parametrize("make, words", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_malformed_file_is_a_checkpoint_error_naming_it_and_what_is_wrong(tmp_path, make, words):
    path = make(tmp_path)
    with pytest.raises(CheckpointError) as info:
        tinygrad_lr.load(path)
    assert str(path) in str(info.value)
    assert words in str(info.value)


def test_an_absurd_declared_size_is_refused_before_any_array_is_read(tmp_path, monkeypatch):
    path = _absurd_shape(tmp_path)

    def no_reading(*args, **kwargs):
        raise AssertionError("read_array would allocate what the header declares")

    monkeypatch.setattr(np.lib.format, "read_array", no_reading)
    with pytest.raises(CheckpointError):
        tinygrad_lr.load(path)


def test_np_load_silently_drops_the_arrays_a_damaged_index_hides(tmp_path):
    # why load checks that the index accounts for every byte: np.load trusts it
    path = _index_hides_members(tmp_path)
    with np.load(path) as contents:
        assert contents.files == ["a"]
    with pytest.raises(CheckpointError):
        tinygrad_lr.load(path)


def test_an_empty_zip_is_an_empty_state_dict_as_save_and_np_savez_write_it(tmp_path):
    path = tmp_path / "empty.npz"
    np.savez(path)
    assert tinygrad_lr.load(path) == OrderedDict()
    tinygrad_lr.save({}, path)
    assert tinygrad_lr.load(path) == OrderedDict()


def test_files_written_by_np_savez_and_np_savez_compressed_load_exactly(tmp_path):
    state = _mixed_state()
    state["compressible"] = np.zeros(10**7, dtype=np.uint8)  # near deflate's largest ratio
    for write in (np.savez, np.savez_compressed):
        path = tmp_path / f"{write.__name__}.npz"
        write(path, **state)
        _assert_identical(tinygrad_lr.load(path), state)


def test_load_reads_through_a_link(tmp_path):
    tinygrad_lr.save({"w": np.ones(2)}, tmp_path / "real.npz")
    (tmp_path / "link.npz").symlink_to("real.npz")
    _assert_identical(tinygrad_lr.load(tmp_path / "link.npz"), {"w": np.ones(2)})


def _valid_files():
    """The bytes of a file save writes and of one np.savez_compressed writes, and their state."""
    state = {"w": np.arange(6.0).reshape(2, 3), "b": np.array([1, 2]), "é": np.zeros((0, 3))}
    with tempfile.TemporaryDirectory() as folder:
        ours, compressed = Path(folder) / "ours.npz", Path(folder) / "compressed.npz"
        tinygrad_lr.save(state, ours)
        np.savez_compressed(compressed, **state)
        return state, ours.read_bytes(), compressed.read_bytes()


_STATE, _OURS, _COMPRESSED = _valid_files()


def _load_bytes(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.npz"
        path.write_bytes(data)
        try:
            return tinygrad_lr.load(path)
        except CheckpointError as error:
            assert str(path) in str(error)
            return None


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([_OURS, _COMPRESSED]), st.data())
def test_a_changed_byte_gives_a_checkpoint_error_or_the_same_state_never_another(original, data):
    at = data.draw(st.integers(0, len(original) - 1), label="at")
    value = data.draw(st.integers(0, 255).filter(lambda v: v != original[at]), label="value")
    loaded = _load_bytes(original[:at] + bytes([value]) + original[at + 1 :])
    if loaded is not None:  # a byte no reader looks at, such as a timestamp
        _assert_identical(loaded, _STATE)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([_OURS, _COMPRESSED]), st.data())
def test_a_file_cut_short_anywhere_is_a_checkpoint_error(original, data):
    cut = data.draw(st.integers(0, len(original) - 1), label="cut")
    assert _load_bytes(original[:cut]) is None
