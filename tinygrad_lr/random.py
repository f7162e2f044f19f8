"""PyTorch's CPU random numbers, bit for bit, in NumPy.

After `manual_seed(s)` here and `torch.manual_seed(s)` in PyTorch, the same calls in the same
order give the same numbers: `rand`, `randn`, `randint`, `randperm`, dropout masks, `nn.init`
and `nn.Linear`'s first weights. Every function returns a NumPy array.

**The generator.** PyTorch's CPU generator is a Mersenne Twister (mt19937): 624 words of state
that produce a stream of 32-bit words. `manual_seed(s)` fills the state with the classic
`init_genrand` recurrence from the seed's low 32 bits, state[0] = s mod 2**32 and
state[j] = 1812433253·(state[j−1] ⊕ (state[j−1] >> 30)) + j (mod 2**32), and remembers the
whole 64-bit seed for `initial_seed()`. NumPy's `MT19937` is the same twister, so a `Generator`
keeps its state in one and asks it for raw words. A 64-bit draw is two 32-bit words, the first
one the high half: W = (w₁ << 32) | w₂. The only other state is a cached second normal sample
(Box–Muller makes normals in pairs); `manual_seed` clears it.

**From words to numbers** (each function's docstring gives its formula):

- uniform float32: x = (w & (2**24 − 1)) · 2**−24, one 32-bit word each;
  float64: x = (W & (2**53 − 1)) · 2**−53, one 64-bit word each. Then low + x·(high − low),
  rounded once; a value that rounds up to high becomes low.
- normal: Box–Muller, z₁ = √(−2 ln u₁)·cos 2πu₂ and z₂ = √(−2 ln u₁)·sin 2πu₂. Tensors of 16 or
  more elements are filled with uniforms first and transformed in blocks of 16 (u₁ from the
  first eight, u₂ from the last eight); smaller ones are drawn one float64 pair at a time.
- integers in [low, high): low + w mod (high − low), with a 64-bit word once the range
  reaches 2**28 (PyTorch's released builds; 2**32 in the source is for Meta's internal ones).
- bernoulli(p): 1 where a float64 uniform is below p.

**Where the last bit comes from.** Matching PyTorch exactly means rounding where it rounds.
Its compiled kernels use fused multiply-adds (a·b + c rounded once), which we replay with
`fma32` and `fma64`; its float32 normal kernel evaluates ln, sin and cos with single-precision
polynomials (the Cephes ones, as in avx_mathfun.h), which we replay operation by operation; its
float64 kernels call the C library's log, sin and cos, which we call too, through `math`.

**Where we do not match.** PyTorch on an Intel CPU with MKL draws `bernoulli_` with a scalar
p (so dropout masks) from MKL's own generator, seeded by one 32-bit word; we follow the
Mersenne-Twister path that AMD, ARM and non-MKL builds take. The float32 normal kernel for 16
or more elements is the AVX2 one (any x86-64 CPU with AVX2 or AVX-512); elsewhere, such as on
ARM, PyTorch uses the C library's float32 functions and may differ from us in the last bit.
"""

from __future__ import annotations

import math
import operator
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import DtypeError, ShapeError

Shape = int | Sequence[int]

# `torch.Generator()` starts from this seed (c10's default_rng_seed_val).
DEFAULT_SEED = 67280421310721
_STATE_WORDS = 624
# torch.randperm switches from 32-bit Fisher–Yates to a 64-bit shuffle at this n.
_RANDPERM_SMALL_LIMIT = (2**32 - 1) // 20
_F32 = np.float32


def _init_genrand(seed32: int) -> np.ndarray:
    """The 624 state words mt19937 starts from after seeding with a 32-bit seed."""
    key = np.empty(_STATE_WORDS, np.uint32)
    word = seed32
    for j in range(_STATE_WORDS):
        key[j] = word
        word = (1812433253 * (word ^ (word >> 30)) + j + 1) & 0xFFFF_FFFF
    return key


def _as_seed(seed: Any) -> int:
    try:
        seed = operator.index(seed)
    except TypeError:
        raise TypeError(
            f"manual_seed expects an int, got {type(seed).__name__} {seed!r}: pass int(seed)"
        ) from None
    if not -(2**63) <= seed < 2**64:
        raise ValueError(
            f"seed {seed} is out of range: PyTorch takes seeds from -2**63 to 2**64 - 1"
        )
    return seed % 2**64  # negative seeds wrap, as in PyTorch


class Generator:
    """PyTorch's CPU generator: a Mersenne Twister plus one cached float64 normal.

    `Generator()` starts from the seed `torch.Generator()` starts from. Use `manual_seed`,
    `initial_seed`, `get_state` and `set_state` as in PyTorch; `random32` and `random64` give
    the raw words every other function is built from.
    """

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        self._twister = np.random.MT19937()
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> Generator:
        """Seed the twister with the low 32 bits of `seed` (any int from -2**63 to 2**64 − 1;
        negative seeds wrap modulo 2**64), forget any cached normal, and return self."""
        seed = _as_seed(seed)
        self._initial_seed = seed
        self._set_twister(_init_genrand(seed & 0xFFFF_FFFF), _STATE_WORDS)
        self._next_double_normal: float | None = None
        # PyTorch keeps a float32 cache too; no CPU kernel reproduced here reads it, but it is
        # part of the state, so it is saved and restored with the rest.
        self._next_float_normal: float | None = None
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy (53 bits, as PyTorch) and return the seed."""
        new_seed = int.from_bytes(os.urandom(8), "little") & (2**53 - 1)
        self.manual_seed(new_seed)
        return new_seed

    def initial_seed(self) -> int:
        """The seed last given to `manual_seed` (after wrapping negative seeds)."""
        return self._initial_seed

    def get_state(self) -> dict[str, Any]:
        """A copy of the whole state: the seed, the 624 twister words, the position of the next
        word, and the cached normals (None when empty).

        This is our own format, a dict, not PyTorch's `get_rng_state()` byte tensor. In PyTorch's
        terms, `pos` is 625 − `left` and `next_double_normal` is `normal_y`."""
        twister = self._twister.state["state"]
        return {
            "seed": self._initial_seed,
            "key": np.array(twister["key"], np.uint32),
            "pos": int(twister["pos"]),
            "next_double_normal": self._next_double_normal,
            "next_float_normal": self._next_float_normal,
        }

    def set_state(self, state: dict[str, Any]) -> Generator:
        """Restore a state returned by `get_state` (of this or any other Generator)."""
        key = np.asarray(state["key"])
        pos = int(state["pos"])
        if key.shape != (_STATE_WORDS,) or not 0 <= pos <= _STATE_WORDS:
            raise ValueError(
                f"not a Generator state: expected 624 key words and 0 <= pos <= 624, got "
                f"{key.shape[0] if key.ndim == 1 else key.shape} words and pos={pos}"
            )
        self._initial_seed = _as_seed(state["seed"])
        self._set_twister(key.astype(np.uint32), pos)
        self._next_double_normal = state["next_double_normal"]
        self._next_float_normal = state["next_float_normal"]
        return self

    def random32(self, n: int) -> np.ndarray:
        """The next n raw 32-bit words (uint32), as PyTorch's `random()`."""
        return self._twister.random_raw(n).astype(np.uint32)

    def random64(self, n: int) -> np.ndarray:
        """The next n 64-bit words (uint64), each two 32-bit words, high half first."""
        words = self._twister.random_raw(2 * n)
        return (words[0::2] << np.uint64(32)) | words[1::2]

    def _set_twister(self, key: np.ndarray, pos: int) -> None:
        self._twister.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}

    def __repr__(self) -> str:
        """As PyTorch's generator prints (`torch.manual_seed(s)` shows it in a notebook)."""
        return f"<torch._C.Generator at {hex(id(self))}>"


# Like PyTorch's, the default generator starts from an unpredictable seed: call manual_seed.
default_generator = Generator()
default_generator.seed()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator and return it, as `torch.manual_seed` does. Unlike
    `torch.manual_seed`, a float seed is refused rather than truncated."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the default generator from the operating system's entropy and return the seed,
    as `torch.seed()`."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's seed, as `torch.initial_seed()`."""
    return default_generator.initial_seed()


def get_rng_state() -> dict[str, Any]:
    """The default generator's state (our dict format; see `Generator.get_state`)."""
    return default_generator.get_state()


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the default generator's state from `get_rng_state()`."""
    default_generator.set_state(state)


# ----------------------------------------------------------------------------------------------
# Helpers: arguments, exact fused multiply-add, C library calls
# ----------------------------------------------------------------------------------------------


def _gen(generator: Generator | None) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(
            f"generator= takes a tinygrad_lr Generator, got {type(generator).__name__} "
            f"{generator!r}"
        )
    return generator


def _shape(shape: Shape) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if any(int(d) < 0 for d in dims):
        raise ShapeError(f"a shape cannot have negative sizes, got {dims}")
    return tuple(int(d) for d in dims)


def _float_dtype(dtype: npt.DTypeLike) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise DtypeError(f"random floats come as float32 or float64, not {dtype}")
    return dtype


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """s = fl(a + b) and the exact error e, so that a + b = s + e (Knuth)."""
    s = a + b
    b_part = s - a
    return s, (a - (s - b_part)) + (b - b_part)


def _round_to_odd(s: np.ndarray, error: np.ndarray) -> np.ndarray:
    """v rounded to odd, given s = v rounded to nearest and the exact error v − s: s when
    exact, else whichever of s and its neighbour toward v has an odd last mantissa bit."""
    s = np.asarray(s, np.float64)
    even = (s.view(np.uint64) & np.uint64(1)) == 0
    toward = np.where(error > 0, np.inf, -np.inf)
    return np.where((error != 0) & even, np.nextafter(s, toward), s)


def fma32(a: Any, b: Any, c: Any) -> np.ndarray:
    """a·b + c in float32 with a single rounding, as the FMA instruction.

    The product of two float32 is exact in float64. Rounding the sum to odd at float64's 53
    bits and then to nearest at float32's 24 gives the correctly rounded sum (53 ≥ 24 + 2),
    where rounding to nearest twice could be off by one unit at a tie.
    """
    product = np.multiply(a, b, dtype=np.float64)
    s, error = _two_sum(product, np.asarray(c, np.float64))
    return _round_to_odd(s, error).astype(np.float32)


def fma64(a: Any, b: Any, c: Any) -> np.ndarray:
    """a·b + c in float64 with a single rounding (Boldo and Melquiond's emulation).

    Split a·b = hi + lo exactly (Veltkamp and Dekker), add c to hi exactly, add lo to that
    error rounding to odd, then one last round-to-nearest sum. The split overflows above
    about 2**995, so a factor that large is first scaled down by 2**128 (and c with it) and
    the result scaled back, exactly; where an input or the result is not finite, the plain
    a·b + c is the answer (inf, −inf or NaN, as the instruction gives).
    """
    a, b, c = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, c)))
    with np.errstate(over="ignore", invalid="ignore"):
        plain = a * b + c
        big_a, big_b = np.abs(a) > 2.0**995, np.abs(b) > 2.0**995
        scaled = big_a | big_b
        a = np.where(big_a, a * 2.0**-128, a)
        b = np.where(big_b & ~big_a, b * 2.0**-128, b)
        c = np.where(scaled, c * 2.0**-128, c)
        hi = a * b
        split_a, split_b = 134217729.0 * a, 134217729.0 * b  # 2**27 + 1
        a_hi, b_hi = split_a - (split_a - a), split_b - (split_b - b)
        a_lo, b_lo = a - a_hi, b - b_hi
        lo = ((a_hi * b_hi - hi) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
        top, rest = _two_sum(c, hi)
        result = top + _round_to_odd(*_two_sum(rest, lo))
        result = np.where(scaled, result * 2.0**128, result)
    return np.where(np.isfinite(result) & np.isfinite(plain), result, plain)


def _libm(function: Any, x: np.ndarray) -> np.ndarray:
    """Apply a `math` function (the C library's, as PyTorch's kernels call) to every element.
    NumPy's own log can differ from the C library's in the last bit, so it is not used here."""
    values = map(function, x.ravel().tolist())
    return np.fromiter(values, np.float64, count=x.size).reshape(x.shape)


# ----------------------------------------------------------------------------------------------
# Uniform
# ----------------------------------------------------------------------------------------------


def _unit_uniform(gen: Generator, n: int, dtype: np.dtype) -> np.ndarray:
    """n uniforms in [0, 1): float32 from 24 bits of a 32-bit word, float64 from 53 bits of a
    64-bit word."""
    if dtype == np.float32:
        return (gen.random32(n) & np.uint32(2**24 - 1)).astype(np.float32) * _F32(2.0**-24)
    return (gen.random64(n) & np.uint64(2**53 - 1)).astype(np.float64) * 2.0**-53


def uniform(
    shape: Shape,
    low: float = 0.0,
    high: float = 1.0,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """As `torch.empty(shape, dtype=dtype).uniform_(low, high)`.

    With x from `rand`, and low, high first rounded to dtype: fma(x, high − low, low), rounded
    once. A value that rounds up to high is replaced by low, so results stay in [low, high).
    """
    dtype, shape = _float_dtype(dtype), _shape(shape)
    if not low <= high:
        raise ValueError(f"uniform expects low <= high, got low={low} and high={high}")
    lo, hi = dtype.type(low), dtype.type(high)
    x = _unit_uniform(_gen(generator), math.prod(shape), dtype)
    fma = fma32 if dtype == np.float32 else fma64
    values = fma(x, hi - lo, lo).astype(dtype)
    values[values == hi] = lo
    return values.reshape(shape)


def rand(
    shape: Shape, dtype: npt.DTypeLike = np.float32, generator: Generator | None = None
) -> np.ndarray:
    """As `torch.rand(shape, dtype=dtype)`: float32 x = (w & (2**24 − 1))·2**−24 from one
    32-bit word w; float64 x = (W & (2**53 − 1))·2**−53 from one 64-bit word W."""
    return uniform(shape, 0.0, 1.0, dtype, generator)


# ----------------------------------------------------------------------------------------------
# Normal
# ----------------------------------------------------------------------------------------------

# Single-precision Cephes coefficients, in the order PyTorch's AVX2 kernel uses them.
_LOG_POLY = [
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
]  # fmt: skip
_LN2_HI, _LN2_LO = _F32(0.693359375), _F32(-2.12194440e-4)
_SQRT_HALF = _F32(0.707106781186547524)
_FOUR_OVER_PI = _F32(1.27323954473516)
_MINUS_PI_OVER_4_PARTS = [
    _F32(-0.78515625),
    _F32(-2.4187564849853515625e-4),
    _F32(-3.77489497744594108e-8),
]
_COS_POLY = [_F32(2.443315711809948e-5), _F32(-1.388731625493765e-3), _F32(4.166664568298827e-2)]
_SIN_POLY = [_F32(-1.9515295891e-4), _F32(8.3321608736e-3), _F32(-1.6666654611e-1)]


def _log_f32(u: np.ndarray) -> np.ndarray:
    """ln u for float32 u > 0, rounded exactly as PyTorch's AVX2 kernel rounds it.

    Write u = m·2**e with m in [√½, √2), set x = m − 1, then
    ln u = x − x²/2 + x³·P(x) + e·ln 2, with ln 2 in two parts so e·ln 2 stays exact.
    """
    bits = np.maximum(u, _F32(np.finfo(np.float32).tiny)).view(np.uint32)
    e = ((bits >> np.uint32(23)).astype(np.int32) - 127).astype(np.float32) + _F32(1)
    m = ((bits & np.uint32(0x807F_FFFF)) | np.uint32(0x3F00_0000)).view(np.float32)  # [½, 1)
    small = m < _SQRT_HALF
    e = e - np.where(small, _F32(1), _F32(0))
    x = (m + _F32(-1)) + np.where(small, m, _F32(0))
    z = x * x
    y = np.full_like(x, _F32(_LOG_POLY[0]))
    for coefficient in _LOG_POLY[1:]:
        y = fma32(y, x, _F32(coefficient))
    y = fma32(y * x, z, e * _LN2_LO)
    y = fma32(-z, _F32(0.5), y)
    return fma32(e, _LN2_HI, x + y)


def _sincos_f32(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sin θ, cos θ) for float32 θ, rounded exactly as PyTorch's AVX2 kernel rounds them.

    Reduce θ by the nearest even multiple j of π/4 (π/4 in three parts, so the reduction is
    nearly exact), evaluate the sine and cosine polynomials on the remainder x, and pick and
    sign them by j's octant."""
    x = np.abs(theta)
    j = (x * _FOUR_OVER_PI).astype(np.int32)  # truncates, as cvttps2dq
    j = (j + 1) & ~1
    y = j.astype(np.float32)
    sin_negative = np.signbit(theta) ^ ((j & 4) != 0)
    cos_negative = (~(j - 2) & 4) != 0
    # In octants where (j & 2) == 0, sin θ comes from the sine polynomial; else they swap.
    sine_poly_is_sin = (j & 2) == 0
    for part in _MINUS_PI_OVER_4_PARTS:
        x = fma32(y, part, x)
    z = x * x
    cos_poly = fma32(fma32(_COS_POLY[0], z, _COS_POLY[1]), z, _COS_POLY[2])
    cos_x = fma32(z, z * cos_poly, -(z * _F32(0.5))) + _F32(1)
    sin_poly = fma32(fma32(_SIN_POLY[0], z, _SIN_POLY[1]), z, _SIN_POLY[2])
    sin_x = fma32(x, z * sin_poly, x)
    # The kernel picks by masking both values and adding them, so each result is a sum with
    # +0.0; doing the same keeps even the sign of a zero result.
    sin_part = np.where(sine_poly_is_sin, sin_x, _F32(0))
    cos_part = np.where(sine_poly_is_sin, _F32(0), cos_x)
    sine = cos_part + sin_part
    cosine = (sin_x - sin_part) + (cos_x - cos_part)
    return np.where(sin_negative, -sine, sine), np.where(cos_negative, -cosine, cosine)


def _box_muller_blocks(blocks: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Rows of 16 uniforms to rows of 16 normals: u₁ = 1 − row[:8], u₂ = row[8:],
    row[:8] = fma(√(−2 ln u₁)·cos 2πu₂, std, mean), row[8:] the same with sin."""
    u1, u2 = 1 - blocks[:, :8], blocks[:, 8:]
    if blocks.dtype == np.float32:
        radius = np.sqrt(_log_f32(u1) * _F32(-2))
        sine, cosine = _sincos_f32(_F32(2 * math.pi) * u2)
        std_, mean_ = _F32(std), _F32(mean)
        return np.hstack([fma32(radius * cosine, std_, mean_), fma32(radius * sine, std_, mean_)])
    radius = np.sqrt(-2.0 * _libm(math.log, u1))
    theta = 2.0 * math.pi * u2
    return np.hstack(
        [
            fma64(radius * _libm(math.cos, theta), std, mean),
            fma64(radius * _libm(math.sin, theta), std, mean),
        ]
    )


def _normal_fill(gen: Generator, n: int, mean: float, std: float, dtype: np.dtype) -> np.ndarray:
    """PyTorch's path for 16 or more elements: n uniforms, Box–Muller on each full block of 16,
    then, if n is not a multiple of 16, 16 fresh uniforms transformed into the last 16 places."""
    data = _unit_uniform(gen, n, dtype)
    full = n - n % 16
    data[:full] = _box_muller_blocks(data[:full].reshape(-1, 16), mean, std).ravel()
    if n % 16:
        tail = _unit_uniform(gen, 16, dtype).reshape(1, 16)
        data[n - 16 :] = _box_muller_blocks(tail, mean, std).ravel()
    return data


def _normal_one_by_one(gen: Generator, n: int, mean: float, std: float) -> np.ndarray:
    """PyTorch's path for fewer than 16 elements, in float64 whatever the dtype: from float64
    uniforms u₁, u₂, r = √(−2 ln(1 − u₂)), z = r·cos 2πu₁; r·sin 2πu₁ is cached in the
    generator for the next element (or the next call). Each element is fma(z, std, mean)."""
    z = np.empty(n)
    for i in range(n):
        if gen._next_double_normal is not None:
            z[i], gen._next_double_normal = gen._next_double_normal, None
            continue
        u1, u2 = _unit_uniform(gen, 2, np.dtype(np.float64)).tolist()
        radius = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        gen._next_double_normal = radius * math.sin(theta)
        z[i] = radius * math.cos(theta)
    return fma64(z, std, mean)


def normal(
    shape: Shape,
    mean: float = 0.0,
    std: float = 1.0,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
    contiguous: bool = True,
) -> np.ndarray:
    """As `torch.empty(shape, dtype=dtype).normal_(mean, std)`: Box–Muller, with PyTorch's
    two paths (blocks of 16 from 16 elements up, one float64 pair at a time below). PyTorch
    takes the blocks only for a contiguous tensor: pass `contiguous=False` for a view such as
    a transposed one, which is filled one pair at a time whatever its size."""
    dtype, shape = _float_dtype(dtype), _shape(shape)
    if not std >= 0:
        raise ValueError(f"normal expects std >= 0, got std={std}")
    gen, n = _gen(generator), math.prod(shape)
    if n >= 16 and contiguous:
        return _normal_fill(gen, n, mean, std, dtype).reshape(shape)
    return _normal_one_by_one(gen, n, mean, std).astype(dtype).reshape(shape)


def randn(
    shape: Shape, dtype: npt.DTypeLike = np.float32, generator: Generator | None = None
) -> np.ndarray:
    """As `torch.randn(shape, dtype=dtype)`: `normal(shape, 0, 1)`."""
    return normal(shape, 0.0, 1.0, dtype, generator)


# ----------------------------------------------------------------------------------------------
# Integers, permutations, Bernoulli
# ----------------------------------------------------------------------------------------------


def randint(
    low: int,
    high: int,
    shape: Shape,
    dtype: npt.DTypeLike = np.int64,
    generator: Generator | None = None,
) -> np.ndarray:
    """As `torch.randint(low, high, shape, dtype=dtype)`: low + w mod (high − low), with w a
    32-bit word while high − low < 2**28 and a 64-bit word from there on, whatever the dtype.
    (Near 2**28 the modulo makes some values about 6% likelier than others; PyTorch accepts
    that.)"""
    shape, gen = _shape(shape), _gen(generator)
    low, high = operator.index(low), operator.index(high)
    if not low < high:
        raise ValueError(f"randint expects low < high, got low={low} and high={high}")
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        low, high = _float_bounds(low, high, dtype)
    if dtype.kind in "iub":  # the bounds must fit the dtype, as PyTorch checks
        smallest, largest = (
            (0, 1) if dtype.kind == "b" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
        )
        if low < smallest:
            raise RuntimeError(
                f"randint: from = {low} is out of bounds for {dtype} (>= {smallest})"
            )
        if high - 1 > largest:
            raise RuntimeError(
                f"randint: to - 1 = {high - 1} is out of bounds for {dtype} (<= {largest})"
            )
    span, n = high - low, math.prod(shape)
    words = gen.random64(n) if span >= 2**28 else gen.random32(n).astype(np.uint64)
    offsets = words % np.uint64(span) + np.uint64(low % 2**64)  # wraps like C's uint64
    return offsets.view(np.int64).astype(dtype).reshape(shape)


def _float_bounds(low: int, high: int, dtype: np.dtype) -> tuple[int, int]:
    """[low, high) for integers drawn into a float dtype, as PyTorch adjusts it: past 2**24
    (float32) or 2**53 (float64) not every integer is a float, so low moves up and high down to
    the nearest bounds whose draws, once rounded to the dtype, stay inside [low, high); PyTorch
    warns there, and so do we."""
    digits = np.finfo(dtype).nmant + 1  # 24 or 53
    for name, value in (("from", low), ("to - 1", high - 1)):
        if not -(2**digits) <= value <= 2**digits:
            warnings.warn(
                f"random_/randint: {name} = {value} is outside ±2**{digits}, where {dtype} "
                "holds every integer: the draws are not uniform over the integers there",
                UserWarning,
                stacklevel=3,
            )
    above = int(dtype.type(low + 1))  # the float just above low, as an integer
    if above < low:
        low = above + 2 ** (abs(low + 1).bit_length() - 1 - digits + 1)
    below = int(dtype.type(high - 1))
    if below >= high:
        high = below - 2 ** (abs(high - 1).bit_length() - 1 - digits + 1)
    return low, high


def random_int64(shape: Shape = (), generator: Generator | None = None) -> np.ndarray:
    """As `torch.empty(shape, dtype=torch.int64).random_()`: W mod 2**63 from one 64-bit word.
    A DataLoader draws one of these for its base seed, and a shuffling sampler another to seed
    the generator its `randperm` uses."""
    return random_full(shape, np.int64, generator)


# What `random_()` without bounds draws into each dtype: (from a 64-bit word?, modulus).
_FULL_RANGE = {
    np.dtype(np.int64): (True, 2**63),
    np.dtype(np.float64): (True, 2**53 + 1),
    np.dtype(np.float32): (False, 2**24 + 1),
    np.dtype(np.int32): (False, 2**31),
    np.dtype(np.int16): (False, 2**15),
    np.dtype(np.int8): (False, 2**7),
    np.dtype(np.uint8): (False, 2**8),
    np.dtype(bool): (False, 2),
}


def random_full(
    shape: Shape = (), dtype: npt.DTypeLike = np.int64, generator: Generator | None = None
) -> np.ndarray:
    """As `torch.empty(shape, dtype=dtype).random_()`: w mod m, w one 64-bit word for int64
    and float64 and one 32-bit word otherwise; m is 2**63 for int64, one more than the largest
    integer a float holds exactly below its mantissa's end for floats (2**24 + 1, 2**53 + 1),
    the largest value + 1 for the other integers, 2 for bool."""
    shape, dtype = _shape(shape), np.dtype(dtype)
    if dtype not in _FULL_RANGE:
        raise DtypeError(f"random_: no full range for {dtype}")
    wide, modulus = _FULL_RANGE[dtype]
    gen, n = _gen(generator), math.prod(shape)
    words = gen.random64(n) if wide else gen.random32(n).astype(np.uint64)
    return (words % np.uint64(modulus)).astype(dtype).reshape(shape)


def randperm(
    n: int, dtype: npt.DTypeLike = np.int64, generator: Generator | None = None
) -> np.ndarray:
    """As `torch.randperm(n, dtype=dtype)`.

    Start from 0, 1, …, n − 1 and for i = 0 … n − 2 swap place i with place i + (w mod (n − i)),
    one 32-bit word w each. From n = (2**32 − 1) // 20 on, PyTorch uses 64-bit words and the
    "inside-out" shuffle instead (place i gets i, then swaps with place W mod (i + 1)); that
    path is reproduced too, though at that size a Python loop takes minutes and it is not
    compared with PyTorch in the tests."""
    n, gen = operator.index(n), _gen(generator)
    if n < 0:
        raise ValueError(f"randperm expects n >= 0, got {n}")
    if n < _RANDPERM_SMALL_LIMIT:
        perm = list(range(n))
        for i, word in enumerate(gen.random32(max(n - 1, 0)).tolist()):
            j = i + word % (n - i)
            perm[i], perm[j] = perm[j], perm[i]
    else:
        perm = [0] * n
        for i, word in enumerate(gen.random64(n).tolist()):
            j = word % (i + 1)
            perm[i] = perm[j]
            perm[j] = i
    return np.array(perm, np.int64).astype(dtype)


def bernoulli(
    shape: Shape,
    p: float,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """As `torch.empty(shape, dtype=dtype).bernoulli_(p)` on PyTorch's Mersenne-Twister path:
    1 where u < p, u a float64 uniform from one 64-bit word (whatever the dtype), else 0.
    (PyTorch on an Intel CPU with MKL uses MKL's generator here instead: see the module notes.)
    """
    shape = _shape(shape)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    u = _unit_uniform(_gen(generator), math.prod(shape), np.dtype(np.float64))
    return (u < p).astype(dtype).reshape(shape)


def bernoulli_probabilities(p: np.ndarray, generator: Generator | None = None) -> np.ndarray:
    """As `torch.bernoulli(p)` for an array of probabilities: 1 where u < p, else 0, in p's
    dtype, u a uniform in p's own dtype (float32: from one 32-bit word; float64: from one
    64-bit word), one per element in row order."""
    p = np.asarray(p)
    if p.dtype not in (np.float32, np.float64):
        raise NotImplementedError(
            f"bernoulli: probabilities must be float32 or float64, got {p.dtype}"
        )
    if not np.all((p >= 0) & (p <= 1)):
        raise RuntimeError("bernoulli expects all probabilities in [0, 1] (not NaN)")
    u = _unit_uniform(_gen(generator), p.size, p.dtype).reshape(p.shape)
    return (u < p).astype(p.dtype)


def dropout_noise(
    shape: Shape,
    p: float,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """The factor `torch.nn.functional.dropout(x, p, training=True)` multiplies x by on the CPU:
    bernoulli(shape, 1 − p) / (1 − p), the division in dtype. For p = 0 it is all ones and for
    p = 1 all zeros, and PyTorch draws nothing in those two cases, so neither do we."""
    dtype, shape = _float_dtype(dtype), _shape(shape)
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, got p={p}")
    if p == 0 or p == 1:
        return np.full(shape, 1 - p, dtype)
    keep = bernoulli(shape, 1 - p, dtype, generator)
    return keep / dtype.type(1 - p)


# ----------------------------------------------------------------------------------------------
# nn.init, as functions that return new arrays
# ----------------------------------------------------------------------------------------------


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """`torch.nn.init.calculate_gain`: 1 for linear layers and sigmoid, 5/3 for tanh, √2 for
    relu, √(2 / (1 + slope²)) for leaky_relu (slope 0.01 unless given), 3/4 for selu."""
    linear = {"linear", "sigmoid"} | {f"conv{d}d" for d in (1, 2, 3)}
    linear |= {f"conv_transpose{d}d" for d in (1, 2, 3)}
    if nonlinearity in linear:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, int | float) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def fan_in_and_fan_out(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of this shape: shape[1] and shape[0], each times the
    product of the remaining sizes (a convolution's kernel)."""
    shape = _shape(shape)
    if len(shape) < 2:
        raise ShapeError(
            f"fan in and fan out need a weight with at least 2 dimensions, got shape {shape}"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(shape: Shape, mode: str) -> int:
    fan_in, fan_out = fan_in_and_fan_out(shape)
    if mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    return fan_in if mode.lower() == "fan_in" else fan_out


def init_uniform(
    shape: Shape,
    a: float = 0.0,
    b: float = 1.0,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """`nn.init.uniform_`: values from U(a, b), as `uniform`."""
    return uniform(shape, a, b, dtype, generator)


def init_normal(
    shape: Shape,
    mean: float = 0.0,
    std: float = 1.0,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """`nn.init.normal_`: values from N(mean, std²), as `normal`."""
    return normal(shape, mean, std, dtype, generator)


def init_constant(shape: Shape, val: float, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """`nn.init.constant_`: every value `val` (draws nothing)."""
    return np.full(_shape(shape), val, dtype)


def init_zeros(shape: Shape, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """`nn.init.zeros_` (draws nothing)."""
    return init_constant(shape, 0.0, dtype)


def init_ones(shape: Shape, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """`nn.init.ones_` (draws nothing)."""
    return init_constant(shape, 1.0, dtype)


def init_xavier_uniform(
    shape: Shape,
    gain: float = 1.0,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """`nn.init.xavier_uniform_`: U(−a, a) with a = `xavier_bound`."""
    bound = xavier_bound(shape, gain)
    return uniform(shape, -bound, bound, dtype, generator)


def xavier_std(shape: Shape, gain: float = 1.0) -> float:
    """Glorot's standard deviation for a weight of this shape: gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_bound(shape: Shape, gain: float = 1.0) -> float:
    """a of Glorot's U(−a, a): √3 · `xavier_std`, the bound of that standard deviation."""
    return math.sqrt(3.0) * xavier_std(shape, gain)


def init_xavier_normal(
    shape: Shape,
    gain: float = 1.0,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """`nn.init.xavier_normal_`: N(0, std²) with std = `xavier_std`."""
    return normal(shape, 0.0, xavier_std(shape, gain), dtype, generator)


def kaiming_std(shape: Shape, a: float, mode: str, nonlinearity: str) -> float | None:
    """gain / √fan, or None (with PyTorch's warning) for a shape with no elements."""
    if 0 in _shape(shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _fan(shape, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def init_kaiming_uniform(
    shape: Shape,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """`nn.init.kaiming_uniform_`: U(−bound, bound), bound = √3 · gain(nonlinearity, a) / √fan,
    fan being fan_in or fan_out as `mode` says. `nn.Linear` uses a = √5."""
    bound = kaiming_bound(shape, a, mode, nonlinearity)
    if bound is None:
        return np.zeros(_shape(shape), dtype)
    return uniform(shape, -bound, bound, dtype, generator)


def kaiming_bound(shape: Shape, a: float, mode: str, nonlinearity: str) -> float | None:
    """The bound of He's U(−bound, bound): √3 · `kaiming_std` (None for no elements)."""
    std = kaiming_std(shape, a, mode, nonlinearity)
    return None if std is None else math.sqrt(3.0) * std


def init_kaiming_normal(
    shape: Shape,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """`nn.init.kaiming_normal_`: N(0, std²), std = gain(nonlinearity, a) / √fan."""
    std = kaiming_std(shape, a, mode, nonlinearity)
    if std is None:
        return np.zeros(_shape(shape), dtype)
    return normal(shape, 0.0, std, dtype, generator)


def linear_init(
    in_features: int,
    out_features: int,
    bias: bool = True,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The (weight, bias) that `torch.nn.Linear(in_features, out_features, bias, dtype=dtype)`
    starts with, drawn in PyTorch's order: the weight, shape (out, in), from
    `init_kaiming_uniform(a=√5)`, which is U(−1/√in, 1/√in); then the bias, shape (out,),
    from U(−1/√in, 1/√in) (bounds 0 when in_features is 0); bias None when `bias` is False."""
    weight = init_kaiming_uniform(
        (out_features, in_features), a=math.sqrt(5), dtype=dtype, generator=generator
    )
    if not bias:
        return weight, None
    fan_in, _ = fan_in_and_fan_out((out_features, in_features))
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    return weight, uniform(out_features, -bound, bound, dtype, generator)


def init_eye(shape: Shape, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """`nn.init.eye_`: the identity matrix, 1 where row = column and 0 elsewhere, in a weight of
    exactly 2 dimensions (so a square `Linear` passes its input through). Draws nothing."""
    shape = _shape(shape)
    if len(shape) != 2:
        raise ShapeError(f"Only tensors with 2 dimensions are supported by eye_, got shape {shape}")
    return np.eye(*shape, dtype=dtype)


def init_dirac(shape: Shape, groups: int = 1, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """`nn.init.dirac_`: a convolution weight (out, in, k₁[, k₂[, k₃]]) that passes channels
    through. All zeros except a 1 at the kernel's centre (kᵢ // 2 in each) for channel pairs
    (out, in) = (g·(out / groups) + d, d), for every group g and every d < min(out / groups,
    in). Draws nothing.

    PyTorch divides by zero for groups=0 and silently writes only zeros for groups < 0; we
    raise a ValueError for both."""
    shape, groups = _shape(shape), operator.index(groups)
    if len(shape) not in (3, 4, 5):
        raise ShapeError(
            f"Only tensors with 3, 4, or 5 dimensions are supported by dirac_, got shape {shape}"
        )
    if groups < 1:
        raise ValueError(f"dirac_ expects groups >= 1, got groups={groups}")
    if shape[0] % groups:
        raise ValueError(
            f"dim 0 must be divisible by groups: dirac_ got {shape[0]} output channels "
            f"and groups={groups}"
        )
    per_group = shape[0] // groups
    d = np.arange(min(per_group, shape[1]))
    out_channels = (per_group * np.arange(groups)[:, None] + d).ravel()
    in_channels = np.tile(d, groups)
    centre = tuple(k // 2 for k in shape[2:])
    if out_channels.size and 0 in shape[2:]:
        raise IndexError(
            f"dirac_ puts a 1 at each kernel's centre, but the kernel shape {shape[2:]} has "
            "a size 0"
        )
    values = np.zeros(shape, dtype)
    values[(out_channels, in_channels, *centre)] = 1
    return values


def init_orthogonal(
    shape: Shape,
    gain: float = 1.0,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """`nn.init.orthogonal_`: gain times a (semi-)orthogonal matrix (Saxe et al., 2013), its
    rows the first dimension and its columns all the others flattened.

    Draw W (rows × cols) from N(0, 1), as `normal`; factor W = QR, or Wᵀ = QR when rows < cols;
    multiply each column of Q by the sign of R's diagonal entry (so Q is uniform over the
    orthogonal matrices, Mezzadri 2007); transpose back if needed, reshape, and multiply by
    gain in dtype. A tensor with no elements is left as it is and nothing is drawn.

    Not bit for bit: NumPy's QR (its LAPACK, always in float64) rounds differently from
    PyTorch's (MKL's, in the tensor's dtype). Measured up to 512 × 512, values differ by less
    than 1e-6 in float32 and 5e-15 in float64. The draws, and so every later random number,
    are PyTorch's exactly."""
    shape = _shape(shape)
    if len(shape) < 2:
        raise ShapeError(
            f"Only tensors with 2 or more dimensions are supported by orthogonal_, "
            f"got shape {shape}"
        )
    if math.prod(shape) == 0:
        return np.zeros(shape, dtype)
    rows = shape[0]
    cols = math.prod(shape) // rows
    flattened = normal((rows, cols), 0.0, 1.0, dtype, generator)
    wide = rows < cols
    q, r = np.linalg.qr(flattened.T if wide else flattened)
    q = q * np.sign(np.diag(r))
    if wide:
        q = q.T
    dtype = np.dtype(dtype)
    return q.astype(dtype).reshape(shape) * dtype.type(gain)


def init_sparse(
    shape: Shape,
    sparsity: float,
    std: float = 0.01,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """`nn.init.sparse_`: a 2-d weight from N(0, std²) with ⌈sparsity · rows⌉ zeros in every
    column (Martens, 2010).

    Draw the whole weight first, as `normal`; then for each column in turn draw
    `randperm(rows)` and zero the rows its first ⌈sparsity · rows⌉ entries name (all rows
    when sparsity > 1). As in PyTorch, the permutations come from the default generator even
    when `generator` is given. PyTorch takes a negative sparsity and then zeroes a number of
    rows it did not ask for; we raise a ValueError."""
    shape = _shape(shape)
    if len(shape) != 2:
        raise ShapeError(
            f"Only tensors with 2 dimensions are supported by sparse_, got shape {shape}"
        )
    if not sparsity >= 0:
        raise ValueError(f"sparse_ expects a sparsity >= 0 (a fraction), got {sparsity}")
    rows, cols = shape
    num_zeros = math.ceil(sparsity * rows)
    values = normal(shape, 0.0, std, dtype, generator)
    for col in range(cols):
        values[randperm(rows)[:num_zeros], col] = 0
    return values


def _normal_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def init_trunc_normal(
    shape: Shape,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    dtype: npt.DTypeLike = np.float32,
    generator: Generator | None = None,
) -> np.ndarray:
    """`nn.init.trunc_normal_`: N(mean, std²) restricted to [a, b], by rejection, in the two
    ways PyTorch 2.13 chooses between (older releases used an inverse CDF and erfinv, with
    other numbers).

    Let p = Φ((b − mean)/std) − Φ((a − mean)/std), the normal's mass inside [a, b], with
    Φ(x) = (1 + erf(x/√2)) / 2.

    - p > 0.3: draw the whole tensor from N(mean, std²), as `normal`. While some values lie
      outside [a, b] (a and b rounded to dtype), draw a whole fresh tensor and take its values
      in those places only.
    - p ≤ 0.3: propose x from U(a, b) and accept it when ln u ≤ −½((x − mean)/std)² − ln_peak,
      for u from U(0, 1) and ln_peak = −½((m − mean)/std)², m the point of [a, b] nearest the
      mean. Each round draws a whole tensor of proposals, then a whole tensor of u, and keeps
      the accepted proposals in the places still pending.

    The density is computed in dtype, step by step as PyTorch's in-place ops round it. ln u
    is the one step that may differ: for 15,372 of float32's 2**24 possible u, PyTorch's
    (MKL's, on an AVX-512 CPU) ln u is one unit of the last place from the correctly rounded
    one used here, and that changes a decision only when the density equals one of the two
    exactly (no difference in 120 million values compared).

    PyTorch divides by zero for std=0 and goes on with a negative std; we raise a ValueError
    for both, and for a > b (PyTorch's RuntimeError comes from its uniform_)."""
    dtype, shape = _float_dtype(dtype), _shape(shape)
    if not std > 0:
        raise ValueError(f"trunc_normal_ expects std > 0, got std={std}")
    if not a <= b:
        raise ValueError(f"trunc_normal_ expects a <= b, got a={a} and b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=3,
        )
    gen = _gen(generator)
    p = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if p > 0.3:
        lo, hi = dtype.type(a), dtype.type(b)
        values = normal(shape, mean, std, dtype, gen)
        while (outside := (values < lo) | (values > hi)).any():
            values = np.where(outside, normal(shape, mean, std, dtype, gen), values)
        return values
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(
            f"trunc_normal_ proposes values from U(a, b) when [a, b] holds little of the "
            f"normal (here p={p:.3g}), and that needs finite bounds, got a={a} and b={b}"
        )
    nearest = max(a, min(mean, b))
    log_peak = -0.5 * ((nearest - mean) / std) ** 2
    cast = dtype.type

    def log_density(x: np.ndarray) -> np.ndarray:
        return ((x - cast(mean)) / cast(std)) ** 2 * cast(-0.5) - cast(log_peak)

    def log_uniform() -> np.ndarray:
        # PyTorch's log_ (MKL's) agreed with NumPy's float64 log on all of 10 million values
        # tried, and not always with the C library's; float32 goes through float64, rounded once.
        with np.errstate(divide="ignore"):  # u = 0 gives −inf: always accepted
            return np.log(uniform(shape, 0.0, 1.0, dtype, gen).astype(np.float64)).astype(dtype)

    values = uniform(shape, a, b, dtype, gen)
    pending = log_uniform() > log_density(values)
    while pending.any():
        proposals = uniform(shape, a, b, dtype, gen)
        values = np.where(pending, proposals, values)
        pending &= log_uniform() > log_density(proposals)
    return values
