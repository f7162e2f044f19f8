"""save and load: .npz state dicts that round-trip exactly, never unpickle, and are written
atomically (a failed save leaves the previous file as it was)."""

import os
import stat
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import tinygrad_lr
from tinygrad_lr import CheckpointError, Tensor, nn
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
        p.data[...] = p.data * 3 + 0.25
    path = tmp_path / "model.npz"
    tinygrad_lr.save(trained.state_dict(), path)

    tinygrad_lr.manual_seed(2)
    fresh = Model()
    x = Tensor(np.random.default_rng(4).standard_normal((6, 3)).astype(np.float32))
    assert not np.array_equal(fresh(x).data, trained(x).data)
    fresh.load_state_dict(tinygrad_lr.load(path))
    np.testing.assert_array_equal(fresh(x).data, trained(x).data)
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
        "tensor": Tensor(np.array([1.5, -2.5]), requires_grad=True),
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
        _assert_identical({key: loaded[key]}, {key: state[key].data})
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
        ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_the_file_is_a_plain_npz_that_numpy_reads_without_pickle(tmp_path):
    path = tmp_path / "plain.npz"
    tinygrad_lr.save({"w": np.arange(4.0)}, path)
    assert zipfile.is_zipfile(path)
    with np.load(path, allow_pickle=False) as contents:
        assert contents.files == ["w"]
        np.testing.assert_array_equal(contents["w"], np.arange(4.0))


def test_the_saved_file_gets_the_usual_permissions_not_a_private_temp_files(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    tinygrad_lr.save({"w": np.zeros(1)}, tmp_path / "m.npz")
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == 0o666 & ~umask


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


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        tinygrad_lr.load(tmp_path / "nowhere.npz")
    with pytest.raises(FileNotFoundError):
        tinygrad_lr.load(str(tmp_path / "no" / "such" / "folder.npz"))


def test_saving_into_a_missing_folder_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        tinygrad_lr.save({"w": np.ones(1)}, tmp_path / "missing" / "m.npz")
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
