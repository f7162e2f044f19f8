"""Solutions to the exercises in `../backward_rules.py`: each backward rule written out.

Grade them as the grader grades yours:

    tinygrad-lr exercises lessons/exercises/solutions/backward_rules.py

Each rule is the chain rule for one op: the gradient arriving at the output (`grad`) times the
derivative of the output with respect to each input.
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
        x, y = ctx.saved_tensors
        return grad * y, grad * x  # broadcast shapes: the engine sums each down to its input


class Exp(Function):
    """z = eˣ"""

    @staticmethod
    def forward(ctx, x):
        z = x.exp()
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * z


class Log(Function):
    """z = log x (the grader uses x > 0)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class SumDim(Function):
    """z = Σ over dim `dim` of x (the dim is removed)"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim, ctx.shape = dim, tuple(x.shape)
        return x.sum(dim=dim)

    @staticmethod
    def backward(ctx, grad):
        # without the unsqueeze, grad would broadcast along the wrong dim (silently, when
        # the shape is square)
        return grad.unsqueeze(ctx.dim).expand(*ctx.shape), None


class MatMul(Function):
    """Z = X @ Y, for matrices X (n, k) and Y (k, m)"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x @ y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad @ y.T, x.T @ grad


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
        (z,) = ctx.saved_tensors
        return grad - z.exp() * grad.sum(dim=-1, keepdim=True)


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
        y_hat, Y = ctx.saved_tensors
        return grad * (y_hat - Y) / y_hat.shape[0], None


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
        X, y_hat, Y = ctx.saved_tensors
        dlogits = grad * (y_hat - Y) / X.shape[0]
        return None, X.T @ dlogits, dlogits.sum(dim=0), None
