"""The random functions on tensors, against PyTorch after the same seed, bit for bit: in-place
fills of views (PyTorch walks a view's memory, not its rows), `torch.bernoulli`,
`torch.normal`, `randint_like`, the default generator's state, and the evenly spaced values
of `linspace` and `arange` (no generator, but PyTorch's roundings).

Each case also draws one more number afterwards from both, so a call that takes one word too
many or too few fails even when its own values happen to agree.
"""

import numpy as np
import pytest
import torch

import tinygrad_lr as tg


def _assert_same_draws(make, seed=7):
    """make(L) under manual_seed(seed) in both libraries: the same dtype and values, bit for
    bit, and the same next number."""
    torch.manual_seed(seed)
    theirs = make(torch)
    their_next = torch.rand(1).item()
    tg.manual_seed(seed)
    ours = make(tg)
    our_next = tg.rand(1).item()
    expected = theirs.numpy()
    assert ours.dtype == expected.dtype
    assert ours.shape == expected.shape
    np.testing.assert_array_equal(ours.numpy(), expected)
    assert our_next == their_next


VIEWS = {
    "transposed 4×3": lambda L, dtype: L.zeros(4, 3, dtype=dtype).T,
    "transposed 8×4 (32 elements)": lambda L, dtype: L.zeros(8, 4, dtype=dtype).T,
    "permuted 2×3×4": lambda L, dtype: L.zeros(2, 3, 4, dtype=dtype).permute(2, 0, 1),
    "every other column": lambda L, dtype: L.zeros(4, 10, dtype=dtype)[:, ::2],
    "one column of 20": lambda L, dtype: L.zeros(20, 3, dtype=dtype)[:, 1],
    "contiguous 5×5": lambda L, dtype: L.zeros(5, 5, dtype=dtype),
}
FILLS = {
    "uniform_": lambda x: x.uniform_(-1, 2),
    "normal_": lambda x: x.normal_(0.5, 2.0),
    "random_": lambda x: x.random_(3, 10),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize("view", VIEWS)
def test_a_view_is_filled_along_its_memory_as_in_pytorch(view, fill, dtype):
    def make(L):
        view_of_zeros = VIEWS[view](L, getattr(L, dtype))
        FILLS[fill](view_of_zeros)
        return view_of_zeros

    _assert_same_draws(make)


@pytest.mark.usefixtures("torch_bernoulli_uses_mersenne_twister")
@pytest.mark.parametrize("view", VIEWS)
def test_bernoulli_with_a_number_fills_a_view_along_its_memory(view):
    def make(L):
        return VIEWS[view](L, L.float32).bernoulli_(0.3)

    _assert_same_draws(make)


BERNOULLI = {
    "float32 probabilities": lambda L: L.bernoulli(L.linspace(0, 1, 40)),
    "float64 probabilities": lambda L: L.bernoulli(L.linspace(0, 1, 40, dtype=L.float64)),
    "transposed probabilities": lambda L: L.bernoulli(L.linspace(0, 1, 12).reshape(3, 4).T),
    "method": lambda L: L.full((6,), 0.5).bernoulli(),
    "in place, probabilities broadcast": lambda L: L.zeros(4, 3).bernoulli_(L.full((3,), 0.5)),
    "in place into int64": lambda L: L.zeros(5, dtype=L.int64).bernoulli_(L.full((5,), 0.5)),
    "in place into a transposed view": lambda L: L.zeros(3, 4).T.bernoulli_(L.rand(4, 3)),
}


@pytest.mark.parametrize("case", BERNOULLI)
def test_bernoulli_with_probabilities_draws_pytorchs_numbers(case):
    _assert_same_draws(BERNOULLI[case])


@pytest.mark.usefixtures("torch_bernoulli_uses_mersenne_twister")
def test_bernoulli_with_a_number_p_draws_pytorchs_numbers():
    _assert_same_draws(lambda L: L.bernoulli(L.zeros(30), 0.3))


NORMAL = {
    "numbers and a size": lambda L: L.normal(2.0, 3.0, (20,)),
    "numbers and a small size": lambda L: L.normal(2.0, 3.0, (5,)),
    "float64": lambda L: L.normal(2.0, 3.0, (4, 5), dtype=L.float64),
    "two tensors": lambda L: L.normal(L.linspace(-1, 1, 20), L.linspace(0.5, 2, 20)),
    "two tensors broadcast": lambda L: L.normal(L.zeros(2, 1), L.ones(3)),
    "tensor mean": lambda L: L.normal(L.linspace(-1, 1, 20), 2.0),
    "tensor std": lambda L: L.normal(1.5, L.linspace(0.5, 2, 7)),
    "float64 tensors": lambda L: L.normal(L.zeros(20, dtype=L.float64), L.ones(20).double()),
    "float32 mean, float64 std": lambda L: L.normal(L.zeros(20), L.ones(20, dtype=L.float64)),
    "float64 mean, float32 std": lambda L: L.normal(L.tensor(1.0, dtype=L.float64), L.ones(3)),
    "a number, a float64 std": lambda L: L.normal(0.5, L.linspace(0.1, 1, 17, dtype=L.float64)),
}


@pytest.mark.parametrize("case", NORMAL)
def test_normal_draws_pytorchs_numbers(case):
    _assert_same_draws(NORMAL[case])


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.randint_like(L.zeros(3), 10),
        lambda L: L.randint_like(L.zeros(2, 3, dtype=L.int32), 2, 10),
    ],
)
def test_randint_like_draws_pytorchs_numbers(case):
    _assert_same_draws(case)


BAD = {
    "a probability above 1": lambda L: L.bernoulli(L.tensor([0.5, 1.5])),
    "a NaN probability": lambda L: L.bernoulli(L.tensor([float("nan")])),
    "p above 1": lambda L: L.zeros(3).bernoulli_(1.5),
    "integer probabilities": lambda L: L.bernoulli(L.tensor([1, 0])),
    "a negative std": lambda L: L.normal(0.0, -1.0, (2,)),
    "a negative std in a tensor": lambda L: L.normal(L.zeros(2), -L.ones(2)),
    "integer means": lambda L: L.normal(L.zeros(2, dtype=L.int64), 1.0),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_arguments_raise_what_pytorch_raises(case):
    for L in (torch, tg):
        with pytest.raises((RuntimeError, NotImplementedError)) as raised:
            BAD[case](L)
        if L is torch:
            expected = raised.type
    assert raised.type is expected


def test_the_default_generators_state_can_be_saved_and_restored():
    """Three normals leave one cached in the generator: the saved state must hold it."""
    tg.manual_seed(3)
    tg.randn(3)
    state = tg.get_rng_state()
    first = tg.randn(3)
    tg.set_rng_state(state)
    np.testing.assert_array_equal(tg.randn(3).numpy(), first.numpy())
    try:
        chosen = tg.seed()
        assert tg.initial_seed() == chosen and 0 <= chosen < 2**53
    finally:
        tg.set_rng_state(state)  # not left seeded from the operating system's entropy


def _spaced_cases(count):
    rng = np.random.default_rng(11)
    for i in range(count):
        start, end = rng.uniform(-500, 500, 2)
        if i % 3 == 0:
            start, end = round(start), round(end)
        yield float(start), float(end), int(rng.integers(2, 3000)), float(rng.uniform(0.01, 3))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_and_arange_round_as_pytorch_does(dtype):
    """Random ranges, every value to the last bit: PyTorch counts linspace's second half down
    from the end, and arange's vectors up from their own start, so `start + step * i` rounds
    differently in a third or more of these cases."""
    for start, end, steps, step in _spaced_cases(150):
        for args in ((start, end, steps), (0.0, 1.0, steps), (end, start, steps)):
            theirs = torch.linspace(*args, dtype=getattr(torch, dtype)).numpy()
            ours = tg.linspace(*args, dtype=getattr(tg, dtype)).numpy()
            np.testing.assert_array_equal(ours, theirs, err_msg=f"linspace{args}")
        low, high = min(start, end), max(start, end)
        for args in ((low, high, step), (high, low, -step)):
            theirs = torch.arange(*args, dtype=getattr(torch, dtype)).numpy()
            ours = tg.arange(*args, dtype=getattr(tg, dtype)).numpy()
            np.testing.assert_array_equal(ours, theirs, err_msg=f"arange{args}")


@pytest.mark.parametrize(
    "args", [(0, 1, 0), (0, 1, 1), (3, 1, 1), (5, 5, 3), (0, 1, 2), (-1, 1, 20)]
)
def test_linspace_corners_follow_pytorch(args):
    np.testing.assert_array_equal(tg.linspace(*args).numpy(), torch.linspace(*args).numpy())


@pytest.mark.parametrize(
    "dtype", ["int64", "int32", "int16", "int8", "uint8", "bool", "float32", "float64"]
)
def test_random_without_bounds_covers_the_dtypes_range_as_in_pytorch(dtype):
    """64-bit words for int64 and float64, 32-bit ones otherwise, each reduced modulo the
    dtype's range: a wrong word size or modulus changes every value."""
    _assert_same_draws(lambda L: L.empty(2, 9, dtype=getattr(L, dtype)).random_())


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.FloatTensor(3),
        lambda L: L.DoubleTensor(2, 4),
        lambda L: L.Tensor(),
    ],
)
def test_legacy_constructors_given_a_shape_make_that_shape_as_in_pytorch(make):
    """`FloatTensor(3)` is three numbers, not the number 3 (PyTorch leaves them uninitialised,
    so only what a fill writes into them is compared)."""
    _assert_same_draws(lambda L: make(L).uniform_())
    assert make(tg).type() == make(torch).type()


@pytest.mark.parametrize(
    "make",
    [lambda L: L.LongTensor(2, 3), lambda L: L.LongTensor([1, 2]), lambda L: L.FloatTensor([3])],
)
def test_legacy_constructors_given_data_or_a_shape_match_pytorch(make):
    ours, theirs = make(tg), make(torch)
    assert ours.shape == tuple(theirs.shape) and ours.type() == theirs.type()
    if theirs.numel() and theirs.dim() == 1:  # data: the values too
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


INITS = {
    "uniform_": lambda init, w: init.uniform_(w, -2, 3),
    "normal_": lambda init, w: init.normal_(w, 1, 0.5),
    "xavier_uniform_": lambda init, w: init.xavier_uniform_(w),
    "xavier_normal_": lambda init, w: init.xavier_normal_(w, gain=2.0),
    "kaiming_uniform_": lambda init, w: init.kaiming_uniform_(w, a=5**0.5),
    "kaiming_normal_": lambda init, w: init.kaiming_normal_(w, mode="fan_out"),
}


@pytest.mark.parametrize("view", ["transposed 8×4 (32 elements)", "every other column"])
@pytest.mark.parametrize("name", INITS)
def test_nn_init_fills_a_view_along_its_memory_as_in_pytorch(name, view):
    """PyTorch's init functions call the view's own `uniform_` / `normal_`: its memory order,
    and for a normal on a non-contiguous view, one pair at a time."""

    def make(L):
        weight = VIEWS[view](L, L.float32)
        INITS[name](L.nn.init, weight)
        return weight

    _assert_same_draws(make)


@pytest.mark.parametrize("name", ["trunc_normal_", "sparse_"])
def test_inits_that_redraw_refuse_a_view_rather_than_differ(name):
    with pytest.raises(NotImplementedError, match="non-contiguous"):
        getattr(tg.nn.init, name)(tg.zeros(4, 3).T, *((0.5,) if name == "sparse_" else ()))


LIKE = {
    "rand_like of a transposed tensor": lambda L: L.rand_like(L.zeros(6, 5).T),
    "randn_like of a transposed tensor": lambda L: L.randn_like(L.zeros(6, 5).T),
    "randint_like of a transposed tensor": lambda L: L.randint_like(L.zeros(6, 5).T, 10),
    "randn_like of a slice": lambda L: L.randn_like(L.zeros(4, 10)[:, ::2]),
    "bernoulli with p, as a method": lambda L: L.zeros(7).bernoulli(0.25),
}


@pytest.mark.usefixtures("torch_bernoulli_uses_mersenne_twister")
@pytest.mark.parametrize("case", LIKE)
def test_like_functions_follow_the_inputs_layout_as_in_pytorch(case):
    _assert_same_draws(LIKE[case])


def test_a_generator_argument_that_is_not_a_generator_is_named():
    with pytest.raises(TypeError, match="generator= takes a tinygrad_lr Generator, got float"):
        tg.rand(3, generator=0.5)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16"])
def test_integer_linspace_and_arange_truncate_first_as_pytorch_does(dtype):
    rng = np.random.default_rng(5)
    for i in range(300):
        start, end = rng.uniform(-300, 300, 2)
        if i % 2:
            start, end = round(start), round(end)
        steps = int(rng.integers(1, 400))
        theirs = torch.linspace(float(start), float(end), steps, dtype=getattr(torch, dtype))
        ours = tg.linspace(float(start), float(end), steps, dtype=getattr(tg, dtype))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        step = float(rng.uniform(0.2, 40)) * (1 if end > start else -1)
        args = (float(start), float(end), step)
        if abs(int(step)) == 0 and dtype == "int64":
            continue  # a zero step once truncated: an error in both, tested below
        theirs = torch.arange(*args, dtype=getattr(torch, dtype))
        ours = tg.arange(*args, dtype=getattr(tg, dtype))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=f"arange{args}")


def test_an_integer_arange_whose_step_truncates_to_zero_is_refused_as_in_pytorch():
    for L in (torch, tg):
        with pytest.raises((RuntimeError, ValueError), match="step"):
            L.arange(0.5, 4, 0.5, dtype=L.int64)
    np.testing.assert_array_equal(
        tg.arange(0, 10, 0.3, dtype=tg.int32).numpy(),
        torch.arange(0, 10, 0.3, dtype=torch.int32).numpy(),
    )


def test_fused_multiply_add_is_exact_at_every_magnitude():
    """fma64 against exact rational arithmetic: one rounding, from the tiniest numbers to the
    largest (where the splitting trick would overflow), and inf or NaN where the instruction
    gives them, as linspace and arange need near the ends of float64's range."""
    from fractions import Fraction

    from tinygrad_lr.random import fma64

    rng = np.random.default_rng(0)
    for _ in range(3000):
        a, b, c = rng.uniform(-1, 1, 3) * 2.0 ** rng.integers(-1000, 1000, 3)
        with np.errstate(over="ignore"):
            if not np.isfinite(a * b):
                continue
        exact = Fraction(a) * Fraction(b) + Fraction(c)
        try:
            expected = float(exact)
        except OverflowError:
            expected = np.inf if exact > 0 else -np.inf
        assert float(fma64(a, b, c)) == expected, (a, b, c)
    assert fma64(np.inf, 1.0, 0.0) == np.inf and np.isnan(fma64(np.nan, 1.0, 1.0))
    np.testing.assert_array_equal(
        tg.linspace(0, 1e305, 3, dtype=tg.float64).numpy(),
        torch.linspace(0, 1e305, 3, dtype=torch.float64).numpy(),
    )


@pytest.mark.parametrize(
    ("dtype", "low", "high"),
    [
        ("int8", 0, 1000),
        ("uint8", -5, 5),
        ("bool", 0, 3),
        ("int32", 0, 2**32),
        ("int8", -129, 0),
    ],
)
def test_integer_bounds_that_do_not_fit_the_dtype_are_refused_as_in_pytorch(dtype, low, high):
    for L in (torch, tg):
        with pytest.raises(RuntimeError, match="out of bounds"):
            L.zeros(3, dtype=getattr(L, dtype)).random_(low, high)


@pytest.mark.parametrize(("dtype", "low", "high"), [("int8", -128, 128), ("uint8", 0, 256)])
def test_integer_bounds_that_just_fit_draw_pytorchs_numbers(dtype, low, high):
    _assert_same_draws(lambda L: L.zeros(9, dtype=getattr(L, dtype)).random_(low, high))


def test_filling_a_view_writes_into_the_tensor_it_views():
    for L in (tg, torch):
        L.manual_seed(0)
        whole = L.zeros(4, 3)
        whole.T.uniform_(1, 2)
        whole[:, 1].normal_()
        assert (whole[:, 0] >= 1).all() and (whole[:, 2] >= 1).all()
        assert (whole[:, 1] < 1).any()


@pytest.mark.parametrize(
    ("dtype", "low", "high"),
    [
        ("float32", 0, 2**25),
        ("float32", 0, 2**28),  # high moves down below 2**28: 32-bit words, as in PyTorch
        ("float32", -(2**26) - 3, 7),
        ("float64", -(2**60), 2**55),
    ],
)
def test_integer_draws_past_a_floats_mantissa_move_the_bounds_and_warn_as_in_pytorch(
    dtype, low, high
):
    """Past 2**24 (float32) or 2**53 (float64) PyTorch moves the bounds to floats that keep
    every draw inside [low, high), and warns."""
    for make in (
        lambda L: L.zeros(6, dtype=getattr(L, dtype)).random_(low, high),
        lambda L: L.randint(low, high, (5,), dtype=getattr(L, dtype)),
    ):
        with pytest.warns(UserWarning):
            _assert_same_draws(make)
