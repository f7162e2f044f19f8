"""Every primitive op of tinygrad_lr, its forward and its backward side by side.

Each op is a `Op`: `forward` computes on NumPy arrays, `backward` takes `g`, the gradient of
the loss with respect to the op's output, and returns the gradient with respect to each input
(the chain rule: dL/dx = dL/dz · dz/dx). The docstring's first line is the math.

Backward rules may return gradients in the broadcast shape of the output; the engine sums them
back to each input's shape in one place (`autograd.unbroadcast`). A rule returns `None` for an
input that needs no gradient (`ctx.needs_input_grad`), so no work is spent on it; and, as in
PyTorch, an op saves an input only when a rule that will run needs it (x·y saves y only when x
needs a gradient): memory is not spent on it, and changing that input in place afterwards is
harmless, since no gradient is computed from it.

The ops live in one file per kind; read them in this order: `binary.py`, `unary.py` (what the
lesson's models use), `reductions.py`, `movement.py`, `matmul.py`, `indexing.py`, then
`elementary.py` and `activations.py` (the wider set learners reach for next). Everything else
(mean, softmax, cross-entropy, linear, square, relu6, ...) is built from these.
"""

from .activations import ELU, GELU, Hardtanh, LeakyReLU, LogSigmoid, Mish, SiLU, Softplus
from .binary import Add, Div, Maximum, Minimum, Mul, Pow, Sub, Where
from .elementary import (
    Acos,
    Asin,
    Atan,
    Ceil,
    Cos,
    Cosh,
    Erf,
    Exp2,
    Expm1,
    Floor,
    Log1p,
    Log2,
    Log10,
    Reciprocal,
    Round,
    Rsqrt,
    Sign,
    Sin,
    Sinh,
    Tan,
    Trunc,
)
from .indexing import Gather, Index, IndexAdd, ScatterAdd
from .matmul import MatMul
from .movement import Cat, Expand, Flip, Permute, Repeat, Reshape
from .reductions import Cumsum, Max, Min, Prod, Sum, Trace
from .unary import Abs, Cast, Clamp, Clone, Exp, Log, Neg, ReLU, Sigmoid, Sqrt, Tanh

__all__ = [
    "ELU",
    "GELU",
    "Abs",
    "Acos",
    "Add",
    "Asin",
    "Atan",
    "Cast",
    "Cat",
    "Ceil",
    "Clamp",
    "Clone",
    "Cos",
    "Cosh",
    "Cumsum",
    "Div",
    "Erf",
    "Exp",
    "Exp2",
    "Expand",
    "Expm1",
    "Flip",
    "Floor",
    "Gather",
    "Hardtanh",
    "Index",
    "IndexAdd",
    "LeakyReLU",
    "Log",
    "Log1p",
    "Log2",
    "Log10",
    "LogSigmoid",
    "MatMul",
    "Max",
    "Maximum",
    "Min",
    "Minimum",
    "Mish",
    "Mul",
    "Neg",
    "Permute",
    "Pow",
    "Prod",
    "ReLU",
    "Reciprocal",
    "Repeat",
    "Reshape",
    "Round",
    "Rsqrt",
    "ScatterAdd",
    "SiLU",
    "Sigmoid",
    "Sign",
    "Sin",
    "Sinh",
    "Softplus",
    "Sqrt",
    "Sub",
    "Sum",
    "Tan",
    "Tanh",
    "Trace",
    "Trunc",
    "Where",
]
