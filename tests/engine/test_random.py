"""tinygrad_lr.random draws PyTorch's CPU random numbers, bit for bit.

Every test makes the same calls on a PyTorch generator and on ours, seeded alike, and demands
exactly equal arrays (sign of zero included) and, where it matters, an equal generator state
afterwards, read out of PyTorch's `get_state()` bytes.
"""

import math
import struct
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lr.random as rnd  # noqa: E402
from tinygrad_lr.errors import DtypeError, ShapeError  # noqa: E402

SEEDS = [0, 1, 1234, 2**31, 2**32 + 5, 0xDEAD_BEEF_CAFE_F00D]
SHAPES = [(), (1,), (15,), (16,), (17,), (100,), (3, 7), (40, 40)]
FLOATS = [np.float32, np.float64]
TORCH_DTYPE = {
    np.float32: torch.float32,
    np.float64: torch.float64,
    np.int64: torch.int64,
    np.int32: torch.int32,
}


def torch_generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def torch_state(generator: torch.Generator) -> dict:
    """PyTorch's CPU generator state bytes, read into our `get_state()` format.

    The layout (CPUGeneratorImplState): seed u64, left i32, seeded i32, next u64, 624 × u64
    twister words, normal_x, normal_y, normal_rho f64, normal_is_valid i32 and padding, then
    the float normal f32 and its valid flag."""
    raw = generator.get_state().numpy().tobytes()
    seed, left, _seeded, _next = struct.unpack_from("<QiiQ", raw, 0)
    key = np.frombuffer(raw, "<u8", 624, 24).astype(np.uint32)
    _x, normal_y, _rho, normal_valid = struct.unpack_from("<dddi", raw, 24 + 8 * 624)
    float_normal, float_valid = struct.unpack_from("<f?", raw, 24 + 8 * 624 + 32)
    return {
        "seed": seed,
        "key": key,
        "pos": 625 - left,
        "next_double_normal": normal_y if normal_valid else None,
        "next_float_normal": float_normal if float_valid else None,
    }


def assert_same_state(ours: rnd.Generator, theirs: torch.Generator) -> None:
    mine, expected = ours.get_state(), torch_state(theirs)
    np.testing.assert_array_equal(mine.pop("key"), expected.pop("key"))
    assert mine == expected


def assert_same(ours: np.ndarray, theirs: torch.Tensor) -> None:
    """Same shape, same dtype, same values bit for bit (so -0.0 is not 0.0)."""
    expected = theirs.numpy()
    assert ours.shape == expected.shape
    assert ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours, expected)
    if expected.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(expected))


def skip_unless_avx2_normal(dtype, shape) -> None:
    """PyTorch's float32 normal for 16+ elements is the AVX2 kernel we replay; other CPUs use
    the C library's float32 functions instead."""
    if dtype == np.float32 and math.prod(shape) >= 16:
        capability = torch.backends.cpu.get_cpu_capability()
        if capability not in ("AVX2", "AVX512"):
            pytest.skip(f"PyTorch uses its {capability} float32 normal kernel here, not AVX2's")


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [*SEEDS, 2**64 - 1, -1, -(2**63)])
def test_manual_seed_gives_pytorchs_state(seed):
    assert_same_state(rnd.Generator().manual_seed(seed), torch_generator(seed))
    assert rnd.Generator(seed).initial_seed() == torch_generator(seed).initial_seed()


def test_a_new_generator_starts_where_pytorchs_does():
    assert_same_state(rnd.Generator(), torch.Generator())


def test_manual_seed_seeds_and_returns_the_default_generator():
    assert rnd.manual_seed(7) is rnd.default_generator
    torch.manual_seed(7)
    assert rnd.initial_seed() == torch.initial_seed() == 7
    assert_same(rnd.rand(5), torch.rand(5))


@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1])
def test_manual_seed_refuses_seeds_pytorch_refuses(seed):
    with pytest.raises(ValueError, match="out of range"):
        rnd.Generator(seed)


def test_manual_seed_refuses_a_float():
    with pytest.raises(TypeError, match="expects an int"):
        rnd.manual_seed(1.5)


@pytest.mark.parametrize("seed", [0, 1234, 2**32 - 1])
def test_raw_words_are_numpys_legacy_mt19937(seed):
    legacy = np.random.RandomState(seed).randint(0, 2**32, size=1000, dtype=np.uint32)
    np.testing.assert_array_equal(rnd.Generator(seed).random32(1000), legacy)


def test_a_64_bit_word_is_two_32_bit_words_high_half_first():
    words = rnd.Generator(3).random32(4).astype(np.uint64)
    expected = [(words[0] << np.uint64(32)) | words[1], (words[2] << np.uint64(32)) | words[3]]
    np.testing.assert_array_equal(rnd.Generator(3).random64(2), expected)


def test_get_state_then_set_state_replays_the_same_numbers():
    gen = rnd.Generator(11)
    rnd.randn(1, generator=gen)  # leaves a cached normal, which the state must carry
    state = gen.get_state()
    first = [rnd.randn(3, generator=gen), rnd.rand(700, generator=gen)]
    again = rnd.Generator(0).set_state(state)
    for before, after in zip(
        first, [rnd.randn(3, generator=again), rnd.rand(700, generator=again)]
    ):
        np.testing.assert_array_equal(before, after)
    assert again.initial_seed() == 11


def test_set_state_refuses_something_else():
    with pytest.raises(ValueError, match="624 key words"):
        rnd.Generator().set_state({"seed": 0, "key": np.zeros(10), "pos": 0})


def test_two_generators_do_not_share_state():
    ours = [rnd.Generator(1), rnd.Generator(2)]
    theirs = [torch_generator(1), torch_generator(2)]
    for i in range(6):
        which = i % 2
        assert_same(rnd.randn(5, generator=ours[which]), torch.randn(5, generator=theirs[which]))
        assert_same(
            rnd.rand(9, generator=ours[1 - which]), torch.rand(9, generator=theirs[1 - which])
        )
    for mine, expected in zip(ours, theirs):
        assert_same_state(mine, expected)


# ---------------------------------------------------------------------------------------------
# Uniform
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_rand_matches_torch(seed, shape, dtype):
    ours, theirs = rnd.Generator(seed), torch_generator(seed)
    assert_same(
        rnd.rand(shape, dtype, ours), torch.rand(shape, dtype=TORCH_DTYPE[dtype], generator=theirs)
    )
    assert_same_state(ours, theirs)


BOUNDS = [(-0.3, 0.7), (-1 / math.sqrt(3), 1 / math.sqrt(3)), (2.5, 7.1), (-5.0, -4.9), (1.5, 1.5)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(17,), (40, 40)])
@pytest.mark.parametrize(("low", "high"), BOUNDS)
@pytest.mark.parametrize("seed", [0, 1234])
def test_uniform_matches_torch(seed, low, high, shape, dtype):
    expected = torch.empty(shape, dtype=TORCH_DTYPE[dtype]).uniform_(
        low, high, generator=torch_generator(seed)
    )
    assert_same(rnd.uniform(shape, low, high, dtype, rnd.Generator(seed)), expected)


@pytest.mark.parametrize(("dtype", "low"), [(np.float32, 2.0**20), (np.float64, 2.0**49)])
def test_uniform_turns_a_value_rounded_up_to_high_into_low(dtype, low):
    """Here the values are 1/8 apart, so low + x for x > 15/16 rounds up to high."""
    expected = torch.empty(1000, dtype=TORCH_DTYPE[dtype]).uniform_(
        low, low + 1, generator=torch_generator(0)
    )
    assert expected.max() < low + 1
    assert_same(rnd.uniform(1000, low, low + 1, dtype, rnd.Generator(0)), expected)


@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_needs_the_fused_multiply_add(dtype):
    """The check above can fail: low + x·(high − low) rounded twice misses PyTorch often."""
    low, high, n = -0.123456, 0.123456, 1000
    x = rnd.rand(n, dtype, rnd.Generator(0))
    lo, hi = dtype(low), dtype(high)
    twice_rounded = x * (hi - lo) + lo
    expected = torch.empty(n, dtype=TORCH_DTYPE[dtype]).uniform_(
        low, high, generator=torch_generator(0)
    )
    assert np.mean(twice_rounded != expected.numpy()) > 0.1
    assert_same(rnd.uniform(n, low, high, dtype, rnd.Generator(0)), expected)


# ---------------------------------------------------------------------------------------------
# Normal
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_randn_matches_torch(seed, shape, dtype):
    skip_unless_avx2_normal(dtype, shape)
    ours, theirs = rnd.Generator(seed), torch_generator(seed)
    assert_same(
        rnd.randn(shape, dtype, ours),
        torch.randn(shape, dtype=TORCH_DTYPE[dtype], generator=theirs),
    )
    assert_same_state(ours, theirs)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(5,), (16,), (33,), (40, 40)])
@pytest.mark.parametrize(("mean", "std"), [(0.3, 0.7), (-1.5, 0.0123), (2.0, 0.0), (0.0, 3.0)])
def test_normal_matches_torch(mean, std, shape, dtype):
    skip_unless_avx2_normal(dtype, shape)
    expected = torch.empty(shape, dtype=TORCH_DTYPE[dtype]).normal_(
        mean, std, generator=torch_generator(42)
    )
    assert_same(rnd.normal(shape, mean, std, dtype, rnd.Generator(42)), expected)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("seed", [3, 2**40 + 1])
def test_randn_matches_torch_on_many_values(seed, dtype):
    shape = (2**16 + 3,)
    skip_unless_avx2_normal(dtype, shape)
    expected = torch.randn(shape, dtype=TORCH_DTYPE[dtype], generator=torch_generator(seed))
    assert_same(rnd.randn(shape, dtype, rnd.Generator(seed)), expected)


def test_the_cached_normal_carries_over_between_calls():
    """Small normals come in Box–Muller pairs; the second waits in the generator, across calls,
    dtypes and other draws, until a small normal takes it or manual_seed clears it."""
    skip_unless_avx2_normal(np.float32, (20,))
    ours, theirs = rnd.Generator(5), torch_generator(5)
    calls = [
        (lambda g: rnd.randn(3, generator=g), lambda g: torch.randn(3, generator=g)),
        (lambda g: rnd.rand(4, generator=g), lambda g: torch.rand(4, generator=g)),
        (lambda g: rnd.randn(20, generator=g), lambda g: torch.randn(20, generator=g)),
        (
            lambda g: rnd.randn(2, np.float64, g),  # takes the cached one, caches another
            lambda g: torch.randn(2, dtype=torch.float64, generator=g),
        ),
    ]
    for ours_call, torch_call in calls:
        assert_same(ours_call(ours), torch_call(theirs))
        assert_same_state(ours, theirs)
    assert ours.get_state()["next_double_normal"] is not None
    ours.manual_seed(5)
    theirs.manual_seed(5)
    assert ours.get_state()["next_double_normal"] is None
    assert_same(rnd.randn(2, generator=ours), torch.randn(2, generator=theirs))


def test_normal_refuses_a_negative_std():
    with pytest.raises(ValueError, match="std >= 0"):
        rnd.normal(3, 0.0, -1.0)


# ---------------------------------------------------------------------------------------------
# Integers and permutations
# ---------------------------------------------------------------------------------------------

# 32-bit words below a range of 2**28, 64-bit words from there (so both sides of the edge).
RANGES = [(0, 10), (-5, 5), (0, 1), (7, 7 + 2**28 - 1), (7, 7 + 2**28), (-(2**27), 2**27)]
RANGES += [(3, 2**31), (0, 2**32 - 1), (0, 2**32), (-(2**40), 2**40), (-(2**63), 2**63 - 1)]


@pytest.mark.parametrize("shape", [(), (1,), (17,), (3, 7), (40, 40)])
@pytest.mark.parametrize(("low", "high"), RANGES)
@pytest.mark.parametrize("seed", [0, 2**32 + 5])
def test_randint_matches_torch(seed, low, high, shape):
    ours, theirs = rnd.Generator(seed), torch_generator(seed)
    assert_same(
        rnd.randint(low, high, shape, generator=ours),
        torch.randint(low, high, shape, generator=theirs),
    )
    assert_same_state(ours, theirs)


@pytest.mark.parametrize("dtype", [np.int32, np.float64])
def test_randint_honours_the_dtype(dtype):
    expected = torch.randint(-3, 9, (50,), dtype=TORCH_DTYPE[dtype], generator=torch_generator(1))
    assert_same(rnd.randint(-3, 9, 50, dtype, rnd.Generator(1)), expected)


@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_random_int64_matches_torch_random_(shape):
    expected = torch.empty(shape, dtype=torch.int64).random_(generator=torch_generator(9))
    assert_same(rnd.random_int64(shape, rnd.Generator(9)), expected)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 16, 100, 1000, 60_000])
@pytest.mark.parametrize("seed", [0, 1234, 0xDEAD_BEEF_CAFE_F00D])
def test_randperm_matches_torch(seed, n, dtype):
    ours, theirs = rnd.Generator(seed), torch_generator(seed)
    expected = torch.randperm(n, dtype=TORCH_DTYPE[dtype], generator=theirs)
    assert_same(rnd.randperm(n, dtype, ours), expected)
    assert_same_state(ours, theirs)


def test_a_shuffling_dataloader_draws_two_seeds_then_a_randperm():
    """How to reproduce `DataLoader(..., shuffle=True)`: the iterator draws a base seed, the
    sampler draws the seed of a fresh generator, and that generator gives the permutation."""
    torch.manual_seed(5)
    order = [int(batch) for batch in torch.utils.data.DataLoader(list(range(10)), shuffle=True)]
    rnd.manual_seed(5)
    rnd.random_int64()  # the DataLoader iterator's base seed
    sampler_seed = int(rnd.random_int64())
    assert rnd.randperm(10, generator=rnd.Generator(sampler_seed)).tolist() == order
    assert_same(rnd.rand(4), torch.rand(4))


# ---------------------------------------------------------------------------------------------
# Bernoulli and dropout (PyTorch's Mersenne-Twister path)
# ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("torch_bernoulli_uses_mersenne_twister")
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (17,), (40, 40)])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_bernoulli_matches_torch(p, shape, dtype):
    ours, theirs = rnd.Generator(8), torch_generator(8)
    expected = torch.empty(shape, dtype=TORCH_DTYPE[dtype]).bernoulli_(p, generator=theirs)
    assert_same(rnd.bernoulli(shape, p, dtype, ours), expected)
    assert_same_state(ours, theirs)


@pytest.mark.usefixtures("torch_bernoulli_uses_mersenne_twister")
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_dropout_noise_is_what_torch_dropout_multiplies_by(p, dtype):
    x = np.linspace(-2, 3, 120, dtype=dtype).reshape(8, 15)
    torch.manual_seed(21)
    expected = torch.nn.functional.dropout(torch.from_numpy(x), p, training=True)
    rnd.manual_seed(21)
    assert_same(x * rnd.dropout_noise(x.shape, p, dtype), expected)
    assert_same(rnd.rand(3), torch.rand(3))  # the same number of words drawn, none for p 0 or 1


# ---------------------------------------------------------------------------------------------
# Mixed calls on one generator
# ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("torch_bernoulli_uses_mersenne_twister")
@pytest.mark.parametrize("seed", SEEDS)
def test_a_mixed_sequence_of_calls_matches_torch(seed):
    skip_unless_avx2_normal(np.float32, (17,))
    f64 = torch.float64
    steps = [
        (lambda g: rnd.rand(5, generator=g), lambda g: torch.rand(5, generator=g)),
        (lambda g: rnd.randn((3, 7), generator=g), lambda g: torch.randn(3, 7, generator=g)),
        (
            lambda g: rnd.randint(0, 10, 4, generator=g),
            lambda g: torch.randint(0, 10, (4,), generator=g),
        ),
        (lambda g: rnd.randperm(12, generator=g), lambda g: torch.randperm(12, generator=g)),
        (lambda g: rnd.randn(3, np.float64, g), lambda g: torch.randn(3, dtype=f64, generator=g)),
        (lambda g: rnd.rand(7, np.float64, g), lambda g: torch.rand(7, dtype=f64, generator=g)),
        (
            lambda g: rnd.bernoulli(9, 0.3, generator=g),
            lambda g: torch.empty(9).bernoulli_(0.3, generator=g),
        ),
        (lambda g: rnd.randn(1, generator=g), lambda g: torch.randn(1, generator=g)),
        (
            lambda g: rnd.uniform((2, 9), -2.0, 0.5, generator=g),
            lambda g: torch.empty(2, 9).uniform_(-2.0, 0.5, generator=g),
        ),
    ]
    ours, theirs = rnd.Generator(seed), torch_generator(seed)
    for ours_call, torch_call in steps:
        assert_same(ours_call(ours), torch_call(theirs))
    assert_same_state(ours, theirs)


# ---------------------------------------------------------------------------------------------
# nn.init and nn.Linear
# ---------------------------------------------------------------------------------------------

INITS = {
    "uniform": (
        lambda s, d, g: rnd.init_uniform(s, -0.2, 0.3, d, g),
        lambda t, g: torch.nn.init.uniform_(t, -0.2, 0.3, generator=g),
    ),
    "normal": (
        lambda s, d, g: rnd.init_normal(s, 0.1, 0.02, d, g),
        lambda t, g: torch.nn.init.normal_(t, 0.1, 0.02, generator=g),
    ),
    "xavier_uniform": (
        lambda s, d, g: rnd.init_xavier_uniform(s, 1.3, d, g),
        lambda t, g: torch.nn.init.xavier_uniform_(t, 1.3, generator=g),
    ),
    "xavier_normal": (
        lambda s, d, g: rnd.init_xavier_normal(s, 0.8, d, g),
        lambda t, g: torch.nn.init.xavier_normal_(t, 0.8, generator=g),
    ),
    "kaiming_uniform_sqrt5": (
        lambda s, d, g: rnd.init_kaiming_uniform(s, math.sqrt(5), dtype=d, generator=g),
        lambda t, g: torch.nn.init.kaiming_uniform_(t, math.sqrt(5), generator=g),
    ),
    "kaiming_uniform_relu_fan_out": (
        lambda s, d, g: rnd.init_kaiming_uniform(s, 0, "fan_out", "relu", d, g),
        lambda t, g: torch.nn.init.kaiming_uniform_(t, 0, "fan_out", "relu", generator=g),
    ),
    "kaiming_normal": (
        lambda s, d, g: rnd.init_kaiming_normal(s, dtype=d, generator=g),
        lambda t, g: torch.nn.init.kaiming_normal_(t, generator=g),
    ),
    "kaiming_normal_tanh_fan_out": (
        lambda s, d, g: rnd.init_kaiming_normal(s, 0, "fan_out", "tanh", d, g),
        lambda t, g: torch.nn.init.kaiming_normal_(t, 0, "fan_out", "tanh", generator=g),
    ),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 7), (16, 1), (40, 40), (8, 3, 5, 5)])
@pytest.mark.parametrize("name", INITS)
def test_init_matches_torch(name, shape, dtype):
    skip_unless_avx2_normal(dtype, shape)
    ours_init, torch_init = INITS[name]
    expected = torch_init(torch.empty(shape, dtype=TORCH_DTYPE[dtype]), torch_generator(77))
    assert_same(ours_init(shape, dtype, rnd.Generator(77)), expected)


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        *[("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None)],
        *[("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)],
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert rnd.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param
    )


@pytest.mark.parametrize("shape", [(3, 7), (16, 1), (8, 3, 5, 5), (4, 2, 3)])
def test_fan_in_and_fan_out_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert rnd.fan_in_and_fan_out(shape) == expected


def test_constant_zeros_and_ones_draw_nothing():
    gen = rnd.Generator(4)
    np.testing.assert_array_equal(rnd.init_constant((2, 3), 0.5), np.full((2, 3), 0.5, np.float32))
    assert rnd.init_zeros(4, np.float64).tolist() == [0.0] * 4
    assert rnd.init_ones((2,)).dtype == np.float32
    assert_same(rnd.rand(3, generator=gen), torch.rand(3, generator=torch_generator(4)))


def test_kaiming_on_an_empty_shape_warns_and_draws_nothing():
    gen = rnd.Generator(4)
    with pytest.warns(UserWarning, match="zero-element"):
        assert rnd.init_kaiming_uniform((0, 3), generator=gen).shape == (0, 3)
    assert_same(rnd.rand(3, generator=gen), torch.rand(3, generator=torch_generator(4)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(
    ("in_features", "out_features"), [(1, 1), (3, 7), (40, 40), (784, 10), (0, 3)]
)
@pytest.mark.parametrize("seed", [0, 1234, 2**32 + 5])
def test_linear_init_matches_nn_linear(seed, in_features, out_features, bias, dtype):
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the zero-element warning for in_features = 0
        layer = torch.nn.Linear(in_features, out_features, bias, dtype=TORCH_DTYPE[dtype])
        rnd.manual_seed(seed)
        weight, bias_values = rnd.linear_init(in_features, out_features, bias, dtype)
    assert_same(weight, layer.weight.detach())
    if bias:
        assert_same(bias_values, layer.bias.detach())
    else:
        assert bias_values is None
    assert_same(rnd.rand(5), torch.rand(5))  # both drew the same number of words


# ---------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------


def test_an_unsupported_dtype_is_refused():
    with pytest.raises(DtypeError, match="float32 or float64"):
        rnd.rand(3, np.float16)


def test_a_negative_size_is_refused():
    with pytest.raises(ShapeError, match="negative"):
        rnd.randn((2, -1))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rnd.uniform(3, 1.0, 0.0), "low <= high"),
        (lambda: rnd.randint(5, 5, 3), "low < high"),
        (lambda: rnd.randperm(-1), "n >= 0"),
        (lambda: rnd.dropout_noise(3, -0.1), "between 0 and 1"),
        (lambda: rnd.fan_in_and_fan_out((5,)), "at least 2 dimensions"),
        (lambda: rnd.calculate_gain("softmax"), "Unsupported nonlinearity"),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(call, message):
    with pytest.raises((ValueError, ShapeError), match=message):
        call()
