"""The DataLoader gives the batches, len() and dtypes PyTorch's gives, refuses what PyTorch
refuses, and shuffles every epoch into a new permutation of the samples."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import tinygrad_lr.utils.data as data
from tinygrad_lr import Tensor, no_grad, tensor
from tinygrad_lr.errors import GraphError

Point = collections.namedtuple("Point", ["x", "y"])


def assert_same_batch(ours, theirs, where="batch"):
    """The same containers all the way down, and tensors of the same shape, dtype and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, Tensor), f"{where}: {type(ours).__name__}, PyTorch gives a tensor"
        expected = theirs.detach().numpy()
        assert (ours.shape, ours.dtype) == (expected.shape, expected.dtype), where
        np.testing.assert_array_equal(ours.numpy(), expected, err_msg=where)
    elif isinstance(theirs, dict | list | tuple):
        assert type(ours) is type(theirs), f"{where}: {type(ours)}, PyTorch gives {type(theirs)}"
        assert len(ours) == len(theirs), where
        keys = theirs.keys() if isinstance(theirs, dict) else range(len(theirs))
        assert list(keys) == list(ours.keys() if isinstance(ours, dict) else range(len(ours)))
        for key in keys:
            assert_same_batch(ours[key], theirs[key], f"{where}[{key!r}]")
    else:
        assert (type(ours), ours) == (type(theirs), theirs), where


def assert_same_loading(ours, theirs):
    assert len(ours) == len(theirs)
    our_batches, their_batches = list(ours), list(theirs)
    assert len(our_batches) == len(their_batches) == len(theirs)
    for i, (a, b) in enumerate(zip(our_batches, their_batches)):
        assert_same_batch(a, b, f"batch {i}")


def tensor_datasets(n):
    """The same three columns as a TensorDataset of each library: float32, int64 and float64."""
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n) % 3
    w = np.linspace(0.0, 1.0, n)
    ours = data.TensorDataset(tensor(x), tensor(y), tensor(w))
    theirs = tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(w))
    return ours, theirs


class Mixed:
    """Samples of every kind default_collate handles, for both libraries' loaders."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return (
            i / 2,
            i,
            i % 2 == 0,
            np.float32(i),
            np.int32(i),
            np.arange(3, dtype=np.float32) + i,
            np.full((2, 2), i, dtype=np.float64),
            f"sample {i}",
            {"a": i, "b": np.array([i, -i])},
            Point(i, float(i)),
            [i, np.int16(i)],
        )


class Unsized:
    def __getitem__(self, i):
        return i


SIZES = [0, 1, 5, 7, 12]
BATCH_SIZES = [1, 3, 4, 12, 20]  # 12 fits some sizes exactly, 20 is larger than every dataset


# --- batches as PyTorch gives them ---------------------------------------------------------------
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("n", SIZES)
def test_tensor_dataset_batches_and_len_match_pytorch(n, batch_size, drop_last):
    ours, theirs = tensor_datasets(n)
    assert len(ours) == len(theirs) == n
    assert_same_loading(
        data.DataLoader(ours, batch_size=batch_size, drop_last=drop_last),
        tud.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last),
    )


@pytest.mark.parametrize("n", SIZES)
def test_batch_size_none_yields_single_samples_as_lists_like_pytorch(n):
    ours, theirs = tensor_datasets(n)
    assert_same_loading(
        data.DataLoader(ours, batch_size=None), tud.DataLoader(theirs, batch_size=None)
    )


@pytest.mark.parametrize(
    ("batch_size", "drop_last"), [(1, False), (3, False), (3, True), (4, True), (20, False)]
)
def test_custom_dataset_of_numbers_arrays_and_containers_collates_like_pytorch(
    batch_size, drop_last
):
    assert_same_loading(
        data.DataLoader(Mixed(7), batch_size=batch_size, drop_last=drop_last),
        tud.DataLoader(Mixed(7), batch_size=batch_size, drop_last=drop_last),
    )


def test_custom_dataset_without_batching_converts_like_pytorch():
    assert_same_loading(
        data.DataLoader(Mixed(3), batch_size=None), tud.DataLoader(Mixed(3), batch_size=None)
    )


def test_batch_dtypes_follow_default_collate():
    xs, ints, flags, f32, i32, arrays, _, names, _, _, _ = next(
        iter(data.DataLoader(Mixed(4), batch_size=4))
    )
    assert xs.dtype == np.float64  # Python floats: float64, not the float32 of tensor(list)
    assert ints.dtype == np.int64 and flags.dtype == np.bool_
    assert (f32.dtype, i32.dtype) == (np.float32, np.int32)  # NumPy numbers keep their dtype
    assert (arrays.dtype, arrays.shape) == (np.float32, (4, 3))
    assert names == ("sample 0", "sample 1", "sample 2", "sample 3")  # a tuple, as PyTorch gives


@pytest.mark.parametrize(
    "batch", [[1, 2.5], [2.5, 1], [True, 2], [np.float32(1), np.float64(2)]], ids=str
)
def test_mixed_numbers_take_pytorch_dtype(batch):
    assert data.default_collate(batch).dtype == tud.default_collate(batch).numpy().dtype


def test_default_collate_stacks_tensor_samples_like_pytorch():
    rows = np.arange(12.0).reshape(4, 3)
    ours = [(tensor(r), tensor(i)) for i, r in enumerate(rows)]
    theirs = [(torch.from_numpy(r), torch.tensor(i)) for i, r in enumerate(rows)]
    assert_same_batch(data.default_collate(ours), tud.default_collate(theirs))


def test_default_collate_arguments_of_the_loader_are_pytorchs():
    ds, _ = tensor_datasets(3)
    assert data.DataLoader(ds).collate_fn is data.default_collate
    assert data.DataLoader(ds, batch_size=None).collate_fn is data.default_convert
    assert data.DataLoader(ds, collate_fn=len).collate_fn is len


# --- the TensorDataset fast path -----------------------------------------------------------------
@pytest.mark.parametrize("drop_last", [False, True])
def test_gathered_batches_equal_stacked_samples(drop_last):
    ds, _ = tensor_datasets(7)
    gathered = data.DataLoader(ds, batch_size=3, drop_last=drop_last)
    stacked = data.DataLoader(
        ds, 3, drop_last=drop_last, collate_fn=lambda b: data.default_collate(b)
    )
    assert stacked.collate_fn is not data.default_collate  # so it takes the per-sample path
    for a, b in zip(gathered, stacked, strict=True):
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_tensor_dataset_batches_are_gathered_without_indexing_single_samples(monkeypatch):
    def refuse(self, index):
        raise AssertionError("the fast path indexed one sample")

    ds, theirs = tensor_datasets(7)
    monkeypatch.setattr(data.TensorDataset, "__getitem__", refuse)
    assert_same_loading(data.DataLoader(ds, batch_size=3), tud.DataLoader(theirs, batch_size=3))


def test_a_subclass_with_its_own_getitem_is_indexed_sample_by_sample():
    class Doubled(data.TensorDataset):
        def __getitem__(self, index):
            return tuple(t[index] * 2 for t in self.tensors)

    x = np.arange(5.0)
    (batch,) = next(iter(data.DataLoader(Doubled(tensor(x)), batch_size=5)))
    np.testing.assert_array_equal(batch.numpy(), 2 * x)


def test_gradient_flows_from_a_batch_back_to_the_dataset_tensor_as_in_pytorch():
    x = np.arange(10.0).reshape(5, 2)
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for loader in [
        data.DataLoader(data.TensorDataset(ours), batch_size=2),
        tud.DataLoader(tud.TensorDataset(theirs), batch_size=2),
    ]:
        (xb,) = list(loader)[1]
        (xb * xb).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    assert ours.grad.numpy()[2:4].any() and not ours.grad.numpy()[[0, 1, 4]].any()


def test_stacking_samples_that_require_grad_is_refused_while_recording():
    samples = [tensor(np.ones(2), requires_grad=True) for _ in range(3)]
    with pytest.raises(GraphError, match="require grad"):
        data.default_collate(samples)
    with no_grad():
        assert data.default_collate(samples).shape == (3, 2)


# --- shuffling ---------------------------------------------------------------------------------
def our_loader(n, seed, **options):
    generator = None if seed is None else np.random.default_rng(seed)
    ds = data.TensorDataset(tensor(np.arange(n)))
    return data.DataLoader(ds, shuffle=True, generator=generator, **options)


def their_loader(n, seed, **options):
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    ds = tud.TensorDataset(torch.arange(n))
    return tud.DataLoader(ds, shuffle=True, generator=generator, **options)


def epochs(loader, count=3):
    """The sample order of `count` epochs, each as one array."""
    return [
        np.concatenate([np.asarray(batch[0]).reshape(-1) for batch in loader]) for _ in range(count)
    ]


@pytest.mark.parametrize("make", [our_loader, their_loader], ids=["ours", "pytorch"])
@pytest.mark.parametrize("seed", [None, 0])
@pytest.mark.parametrize("batch_size", [None, 1, 4, 50])
def test_every_epoch_is_a_new_permutation_of_the_samples(make, seed, batch_size):
    orders = epochs(make(50, seed, batch_size=batch_size))
    for order in orders:
        np.testing.assert_array_equal(np.sort(order), np.arange(50))
    assert len({tuple(order) for order in orders}) == len(orders)


@pytest.mark.parametrize("make", [our_loader, their_loader], ids=["ours", "pytorch"])
def test_shuffled_order_repeats_for_the_same_seed_and_not_for_another(make):
    first, again, other = (epochs(make(30, seed, batch_size=4)) for seed in (3, 3, 4))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("make", [our_loader, their_loader], ids=["ours", "pytorch"])
def test_shuffling_with_drop_last_drops_only_the_short_batch(make):
    loader = make(10, 1, batch_size=4, drop_last=True)
    assert len(loader) == 2
    for order in epochs(loader):
        assert len(order) == len(set(order.tolist())) == 8


def test_shuffling_a_custom_dataset_permutes_its_samples():
    loader = data.DataLoader(Mixed(9), batch_size=4, shuffle=True)
    order = np.concatenate([batch[1].numpy() for batch in loader])
    np.testing.assert_array_equal(np.sort(order), np.arange(9))


def test_any_generator_with_a_permutation_method_orders_the_epoch():
    class Backwards:
        def permutation(self, n):
            return np.arange(n)[::-1]

    loader = data.DataLoader(Mixed(5), batch_size=2, shuffle=True, generator=Backwards())
    assert [batch[1].tolist() for batch in loader] == [[4, 3], [2, 1], [0]]


# --- arguments refused as PyTorch refuses them -------------------------------------------------
@pytest.mark.parametrize("batch_size", [0, -1, 2.0, True, "4", np.int64(2)], ids=repr)
def test_batch_size_must_be_a_positive_int(batch_size):
    with pytest.raises(ValueError):
        tud.DataLoader(Mixed(3), batch_size=batch_size)
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(Mixed(3), batch_size=batch_size)


@pytest.mark.parametrize("drop_last", ["yes", 1, None, np.bool_(True)], ids=repr)
def test_drop_last_must_be_a_bool(drop_last):
    with pytest.raises(ValueError):
        tud.DataLoader(Mixed(3), drop_last=drop_last)
    with pytest.raises(ValueError, match="drop_last"):
        data.DataLoader(Mixed(3), drop_last=drop_last)


def test_no_batching_and_drop_last_are_exclusive():
    with pytest.raises(ValueError):
        tud.DataLoader(Mixed(3), batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match=r"batch_size=None.*drop_last"):
        data.DataLoader(Mixed(3), batch_size=None, drop_last=True)


def test_shuffling_needs_a_dataset_with_a_length():
    with pytest.raises(TypeError):
        tud.DataLoader(Unsized(), shuffle=True)
    with pytest.raises(TypeError, match=r"shuffle=True.*Unsized has no __len__"):
        data.DataLoader(Unsized(), shuffle=True)


def test_a_dataset_without_length_fails_at_len_and_iteration_not_before():
    for loader in [tud.DataLoader(Unsized()), data.DataLoader(Unsized())]:
        with pytest.raises(TypeError):
            len(loader)
        with pytest.raises(TypeError):
            next(iter(loader))


def test_shuffling_an_empty_dataset_is_refused():
    ours, theirs = tensor_datasets(0)
    with pytest.raises(ValueError):
        tud.DataLoader(theirs, shuffle=True)
    with pytest.raises(ValueError, match="shuffle=True"):
        data.DataLoader(ours, shuffle=True)


@pytest.mark.parametrize("num_workers", [-1, 2, True, "0"], ids=repr)
def test_num_workers_other_than_zero_is_refused(num_workers):
    with pytest.raises(ValueError, match=r"num_workers.*must be 0"):
        data.DataLoader(Mixed(3), num_workers=num_workers)
    assert len(data.DataLoader(Mixed(3), num_workers=0)) == 3


def test_generator_and_collate_fn_must_be_usable():
    with pytest.raises(TypeError, match=r"generator must be a tinygrad_lr\.random\.Generator"):
        data.DataLoader(Mixed(3), shuffle=True, generator=object())
    with pytest.raises(TypeError, match="collate_fn must be callable"):
        data.DataLoader(Mixed(3), collate_fn=3)


def test_arguments_after_shuffle_are_keyword_only():
    with pytest.raises(TypeError):  # PyTorch's fourth argument is `sampler`, which we lack
        data.DataLoader(Mixed(3), 1, False, None)


# --- datasets and collation errors ---------------------------------------------------------------
def test_tensor_dataset_refuses_tensors_of_different_lengths_as_pytorch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        tud.TensorDataset(torch.zeros(3, 2), torch.zeros(4))
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors.*\[3, 4\]"):
        data.TensorDataset(tensor(np.zeros((3, 2))), tensor(np.zeros(4)))


def test_tensor_dataset_refuses_no_tensors_non_tensors_and_0d_tensors():
    with pytest.raises(ValueError, match="at least one tensor"):
        data.TensorDataset()
    with pytest.raises(TypeError, match="argument 1 is a ndarray"):
        data.TensorDataset(tensor(np.zeros(2)), np.zeros(2))
    with pytest.raises(IndexError):
        tud.TensorDataset(torch.tensor(1.0))
    with pytest.raises(IndexError, match="0-d"):
        data.TensorDataset(tensor(1.0))


def test_base_dataset_asks_for_getitem_and_has_no_length_as_in_pytorch():
    for base in [tud.Dataset, data.Dataset]:
        with pytest.raises(NotImplementedError):
            base()[0]
        with pytest.raises(TypeError):
            len(base())


@pytest.mark.parametrize(
    ("batch", "error", "message"),
    [
        ([np.array(["a"]), np.array(["b"])], TypeError, "default_collate: batch must contain"),
        ([object(), object()], TypeError, "default_collate: batch must contain"),
        ([[1, 2], [3]], RuntimeError, "equal size"),
        ([np.zeros(2), np.zeros(3)], RuntimeError, r"entry 1 has shape \(3,\)"),
    ],
    ids=["strings array", "objects", "ragged lists", "ragged arrays"],
)
def test_default_collate_refuses_what_pytorch_refuses(batch, error, message):
    with pytest.raises(error):
        tud.default_collate(batch)
    with pytest.raises(error, match=message):
        data.default_collate(batch)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("seed", [0, 1234])
def test_after_manual_seed_batches_and_later_draws_are_pytorchs(shuffle, seed):
    """A DataLoader draws a base seed every epoch and, shuffling, a permutation: as PyTorch's."""
    import tinygrad_lr
    from tinygrad_lr.utils.data import DataLoader as OurLoader
    from tinygrad_lr.utils.data import TensorDataset as OurDataset

    x = np.arange(20.0).reshape(10, 2)
    tinygrad_lr.manual_seed(seed)
    ours = [
        b[0].numpy().copy()
        for _ in range(2)
        for b in OurLoader(OurDataset(tinygrad_lr.tensor(x)), 4, shuffle)
    ]
    ours_next = tinygrad_lr.rand(3).numpy()
    torch.manual_seed(seed)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x)), 4, shuffle
    )
    theirs = [b[0].numpy() for _ in range(2) for b in loader]
    theirs_next = torch.rand(3).numpy()
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ours_next, theirs_next)
