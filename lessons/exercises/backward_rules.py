"""Exercises: write the backward rules of the lesson's ops yourself.

Each class below is a `tinygrad_lr.autograd.Function`, written as in PyTorch. Its forward is
given; its backward raises NotImplementedError with a hint. Replace each `raise` with the rule,
then grade your work (from the project folder):

    tinygrad-lr exercises                      # this file
    tinygrad-lr exercises path/to/my_copy.py   # or a copy of it

The grader holds each rule against PyTorch and against central differences, over a sweep of
shapes, in float64 and in float32, and prints PASS, FAIL (with the shape case and the element
that differs) or NOT DONE for each. Worked solutions are in `solutions/backward_rules.py`:
try first.

How a backward works: `backward(ctx, grad)` receives `grad`, the gradient of the loss with
respect to forward's output (a tensor shaped like the output), and returns one gradient per
argument of forward, in order: None for an argument that gets none (a dim, class labels, the
data X). Work with tensor ops (`*`, `/`, `@`, `.T`, `.exp()`, `.log()`, `.sum(dim=..,
keepdim=True)`, `.unsqueeze(dim)`, `.expand(*shape)`) on what forward saved in `ctx`. A
gradient may be returned in the broadcast shape of the output: the engine sums it down to its
input's shape, as PyTorch does.
"""

from tinygrad_lr import arange
from tinygrad_lr.autograd import Function


class Mul(Function):
    """z = x · y, elementwise, x and y broadcast against each other."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("dz/dx = y and dz/dy = x: multiply each by grad")


class Exp(Function):
    """z = eˣ"""

    @staticmethod
    def forward(ctx, x):
        z = x.exp()
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("dz/dx = eˣ, which is z: forward saved it")


class Log(Function):
    """z = log x (the grader uses x > 0)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.log()

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("dz/dx = 1 / x")


class SumDim(Function):
    """z = Σ over dim `dim` of x (the dim is removed)"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim, ctx.shape = dim, tuple(x.shape)
        return x.sum(dim=dim)

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError(
            "each x element adds once into z: put the summed dim back in grad "
            "(unsqueeze(ctx.dim)), expand it to ctx.shape; None for dim"
        )


class MatMul(Function):
    """Z = X @ Y, for matrices X (n, k) and Y (k, m)"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x @ y

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("dX = G @ Yᵀ and dY = Xᵀ @ G: dX is shaped like X, dY like Y")


def log_softmax(logits):
    """log ŷ over the last dim, computed stably (the forward of LogSoftmax)."""
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()


def one_hot(y, like):
    """Y[i, c] = 1 where c = y[i], else 0: class indices y as rows shaped and typed like `like`."""
    return (y.unsqueeze(1) == arange(like.shape[-1])).to(like.dtype)


class LogSoftmax(Function):
    """z = x − log Σⱼ exp(xⱼ), over the last dim (computed with the max subtracted first)"""

    @staticmethod
    def forward(ctx, x):
        z = log_softmax(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError(
            "dx = g − softmax(x) · Σ g over the last dim; softmax(x) = exp(z) never overflows"
        )


class CrossEntropy(Function):
    """The lesson's loss: J = −(1/N) Σᵢ log ŷ[i, yᵢ], ŷ = softmax(logits) (N rows, y class
    indices)"""

    @staticmethod
    def forward(ctx, logits, y):
        log_y_hat, Y = log_softmax(logits), one_hot(y, logits)
        ctx.save_for_backward(log_y_hat.exp(), Y)
        return -(log_y_hat * Y).sum() / logits.shape[0]

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("dJ/dlogits = (ŷ − Y) / N, times grad; None for the labels y")


class SoftmaxRegressionLoss(Function):
    """The lesson's model and loss in one: logits = X W + b, then CrossEntropy. The lesson's
    layout: W is (D, C), b is (C,). (The rest of the project stores W transposed, (C, D), as
    PyTorch's nn.Linear.)"""

    @staticmethod
    def forward(ctx, X, W, b, y):
        logits = X @ W + b
        log_y_hat, Y = log_softmax(logits), one_hot(y, logits)
        ctx.save_for_backward(X, log_y_hat.exp(), Y)
        return -(log_y_hat * Y).sum() / X.shape[0]

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError(
            "the lesson's derivation: dW = Xᵀ(ŷ − Y)/N, db = Σᵢ (ŷ − Y)ᵢ / N, each times grad; "
            "None for X and y"
        )
