"""Datasets and the `DataLoader` that cuts them into mini-batches, as `torch.utils.data`.

Reading order: `Dataset` (sample i, for any i below its length), `TensorDataset` (sample i is
row i of each tensor), `default_collate` (a list of samples becomes one batch), `DataLoader`
(which indices go into each batch, and in which order).

What differs from PyTorch, and why:
- Map-style datasets only: no `IterableDataset`, `Sampler` or `batch_sampler`, and no worker
  processes (`num_workers` must be 0).
- Random numbers are PyTorch's: each epoch draws a base seed from `generator` (or the default
  generator, which `tinygrad_lr.manual_seed` seeds), and `shuffle=True` then draws the order
  with `randperm` as PyTorch's RandomSampler does, so after `manual_seed(s)` the batches come
  in PyTorch's order. A `numpy.random.Generator` is also accepted as `generator` (its
  `permutation(n)` gives the order; the numbers are then NumPy's, not PyTorch's).
- Stacking sample tensors that require grad cannot be recorded (the engine has no stack op), so
  `default_collate` refuses them while recording. A `TensorDataset` does not stack: its batches
  are gathered with one recorded index per tensor, so gradients flow back to its tensors.
- Arguments after `shuffle` are keyword-only: in PyTorch the fourth one is `sampler`.
"""

from __future__ import annotations

import collections.abc
import copy
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from .. import random
from ..autograd import is_grad_enabled
from ..errors import DimError, GraphError, ShapeError
from ..tensor import Tensor, tensor


class Dataset:
    """A map from an index to one sample, as `torch.utils.array.Dataset`.

    Subclasses define `__getitem__(index)` and `__len__()`, which the DataLoader needs to know
    the indices 0 … len-1. As in PyTorch, this base class has no `__len__` of its own: a
    default could only guess, and `len()` should fail on a dataset that does not say its size.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must define __getitem__(index), returning sample `index`"
        )


class TensorDataset(Dataset):
    """Sample i is `(t[i] for t in tensors)`: typically features and targets, one row each.

    >>> ds = TensorDataset(tensor([[1.0, 2.0], [3.0, 4.0]]), tensor([0, 1]))
    >>> len(ds), ds[1]
    (2, (tensor([3. 4.], dtype=float32), tensor(1, dtype=int64)))
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, e.g. TensorDataset(X, y)")
        for position, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset: argument {position} is a {type(t).__name__}, not a Tensor; "
                    "wrap it first, for example tensor(array)"
                )
            if t.ndim == 0:
                raise DimError(
                    f"TensorDataset: argument {position} is a 0-d tensor; samples are taken "
                    "along dim 0, so every tensor needs at least one dim"
                )
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:  # PyTorch raises an AssertionError here too
            raise AssertionError(
                f"Size mismatch between tensors: their first dims are {sizes}, but every tensor "
                "needs the same number of rows (one per sample)"
            )
        self.tensors = tensors

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into one batch, as `torch.utils.array.default_collate`.

    Tensors and NumPy arrays are stacked along a new dim 0; NumPy numbers become a tensor of
    their dtype; Python floats become float64 and ints int64 (bools stay bool); strings stay
    as they came (PyTorch's quirk: a list at the top, a tuple inside a sample). Containers are
    collated field by field: a dict gives a dict, a namedtuple the same namedtuple, and a plain
    tuple or list gives a list (samples `(x, y)` give the batch `[xs, ys]`).
    """
    if not batch:
        raise ValueError("default_collate: the batch is empty, there is nothing to stack")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch, Tensor)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SUO":
            raise TypeError(_UNSUPPORTED.format(elem.dtype))
        return _stack(batch, np.ndarray)
    if isinstance(elem, np.bool_ | np.number):  # before float: np.float64 is a float too
        return Tensor.from_numpy(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, int):  # PyTorch's torch.tensor(batch): bools stay bool, a float in it wins
        return tensor(batch)
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return _rebuild(elem, [default_collate(field) for field in zip(*batch)])
    raise TypeError(_UNSUPPORTED.format(type(elem)))


_UNSUPPORTED = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def default_convert(data: Any) -> Any:
    """One sample made ready without batching (`batch_size=None`), as PyTorch's function of the
    same name: NumPy arrays and numbers become tensors, inside containers too (a tuple becomes a
    list); Python numbers, strings and tensors are left as they are."""
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "SUO" else Tensor.from_numpy(data)
    if isinstance(data, np.bool_ | np.number):
        return Tensor.from_numpy(np.asarray(data))
    if isinstance(data, Tensor | str | bytes):
        return data
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {key: default_convert(value) for key, value in data.items()})
    if isinstance(data, collections.abc.Sequence):
        return _rebuild(data, [default_convert(value) for value in data])
    return data


def _stack(batch: Sequence[Any], kind: type) -> Tensor:
    """Tensors or arrays of one shape stacked along a new dim 0 (PyTorch's `torch.stack`)."""
    for i, item in enumerate(batch):
        if not isinstance(item, kind):
            raise TypeError(
                f"default_collate: entry 0 of the batch is a {kind.__name__}, so every entry "
                f"must be one, but entry {i} is a {type(item).__name__}"
            )
        if item.shape != batch[0].shape:
            raise ShapeError(
                f"default_collate: every {kind.__name__} in a batch must have the same shape to "
                f"be stacked, but entry 0 has shape {tuple(batch[0].shape)} and entry {i} has "
                "shape "
                f"{tuple(item.shape)}"
            )
    if kind is np.ndarray:
        return Tensor.from_numpy(np.stack(batch))
    if is_grad_enabled() and any(t.requires_grad for t in batch):
        raise GraphError(
            "default_collate: these samples require grad, and tinygrad_lr cannot record "
            "stacking them (it has no stack op). Return detached tensors from the dataset, "
            "iterate under `with no_grad():`, or use a TensorDataset, whose batches are "
            "gathered by one recorded index per tensor"
        )
    return Tensor.from_numpy(np.stack([t.array for t in batch]))


def _rebuild(elem: Any, items: dict | list) -> Any:
    """`items` in the container type of `elem`, as PyTorch rebuilds it: a namedtuple keeps its
    type, a plain tuple becomes a list, and a type that cannot be built from `items` gives a
    plain dict or list."""
    if isinstance(elem, tuple):
        return type(elem)(*items) if hasattr(elem, "_fields") else list(items)
    if isinstance(elem, collections.abc.MutableMapping):
        clone = copy.copy(elem)  # keeps what the constructor would lose (a defaultdict's factory)
        clone.update(items)
        return clone
    try:
        return type(elem)(items)
    except TypeError:
        return items


class PermutationGenerator(Protocol):
    """A `numpy.random.Generator` (`np.random.default_rng(seed)`), also accepted as a
    DataLoader's `generator`: `permutation(n)` gives every index in range(n) once."""

    def permutation(self, n: int) -> Any: ...


def _epoch_order(n: int, shuffle: bool, generator: Any) -> np.ndarray:
    """The indices of one epoch, drawing what PyTorch's DataLoader draws: a base seed (one
    64-bit draw, even without shuffling), then for a shuffle without a generator of its own a
    seed for a fresh generator, and from it `randperm(n)`. The only place the DataLoader draws
    random numbers."""
    if generator is not None and not isinstance(generator, random.Generator):
        return np.asarray(generator.permutation(n), dtype=np.int64) if shuffle else np.arange(n)
    random.random_int64(generator=generator)  # the base seed of PyTorch's worker processes
    if not shuffle:
        return np.arange(n)
    if generator is None:
        seed = int(random.random_int64())
        generator = random.Generator()
        generator.manual_seed(seed)
    return random.randperm(n, generator=generator)


class DataLoader:
    """Iterate over a dataset in mini-batches, as `torch.utils.data.DataLoader`.

    Each `iter(loader)` is one epoch. With `shuffle=True` every epoch takes a new order, drawn
    from `generator` (default: the default generator, as in PyTorch). A batch
    is `collate_fn(list of samples)`, by default `default_collate`, so samples `(x, y)` give the
    list `[xs, ys]`. A `TensorDataset` with the default collation is gathered directly, one
    index per tensor, which is faster and gives the same batch. `drop_last=True` drops a last
    batch smaller than `batch_size`; `batch_size=None` yields single samples, converted by
    `default_convert` (or given to `collate_fn`).

    >>> X, y = tensor(np.arange(10.0).reshape(5, 2)), tensor([0, 1, 0, 1, 1])
    >>> loader = DataLoader(TensorDataset(X, y), batch_size=2)
    >>> len(loader), [len(yb) for xb, yb in loader]
    (3, [2, 2, 1])
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool = False,
        *,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        drop_last: bool = False,
        generator: random.Generator | PermutationGenerator | None = None,
    ) -> None:
        if num_workers != 0 or isinstance(num_workers, bool):
            raise ValueError(
                f"num_workers={num_workers!r}: tinygrad_lr loads every batch in the main "
                "process (it has no worker processes), so num_workers must be 0"
            )
        if batch_size is None:
            if drop_last:
                raise ValueError(
                    "batch_size=None turns batching off (each sample is yielded on its own), so "
                    "there is no batch for drop_last to drop: leave drop_last=False"
                )
        elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                "batch_size should be a positive integer value (or None to yield single "
                f"samples), but got batch_size={batch_size!r}"
            )
        elif not isinstance(drop_last, bool):
            raise ValueError(
                f"drop_last should be a boolean value, but got drop_last={drop_last!r}"
            )
        shuffle = bool(shuffle)  # as PyTorch does for a map-style dataset
        if shuffle and _length(dataset, "shuffle=True") == 0:
            raise ValueError(
                "shuffle=True needs a dataset with at least one sample, this one is empty "
                "(PyTorch refuses it too: num_samples=0)"
            )
        if not (
            generator is None
            or isinstance(generator, random.Generator)
            or callable(getattr(generator, "permutation", None))
        ):
            raise TypeError(
                "generator must be a tinygrad_lr.random.Generator (or a NumPy Generator, "
                f"np.random.default_rng(seed)); got a {type(generator).__name__}"
            )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn must be callable, got a {type(collate_fn).__name__}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.generator = generator
        self._shuffle = shuffle
        if collate_fn is None:
            collate_fn = default_convert if batch_size is None else default_collate
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        n = _length(self.dataset, "len(loader)")
        if self.batch_size is None:
            return n
        full, rest = divmod(n, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self) -> Iterator[Any]:
        n = _length(self.dataset, "iterating")
        order = _epoch_order(n, self._shuffle, self.generator)
        if self.batch_size is None:
            for i in order.tolist():
                yield self.collate_fn(self.dataset[i])
            return
        gather = self.collate_fn is default_collate and _is_plain_tensor_dataset(self.dataset)
        for start in range(0, n, self.batch_size):
            indices = order[start : start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                return
            if gather:
                yield [t[indices] for t in self.dataset.tensors]
            else:
                yield self.collate_fn([self.dataset[i] for i in indices.tolist()])


def _is_plain_tensor_dataset(dataset: Any) -> bool:
    """A TensorDataset whose samples are still rows (a subclass may change `__getitem__`)."""
    return (
        isinstance(dataset, TensorDataset)
        and type(dataset).__getitem__ is TensorDataset.__getitem__
    )


def _length(dataset: Any, purpose: str) -> int:
    if not hasattr(type(dataset), "__len__"):
        raise TypeError(
            f"{purpose}: the DataLoader needs len(dataset) to know which indices exist, and "
            f"{type(dataset).__name__} has no __len__; define one (tinygrad_lr has no "
            "IterableDataset)"
        )
    return len(dataset)
