"""The errors tinygrad_lr raises, named after what went wrong in the user's terms.

Each one also derives from the exception PyTorch raises in the same situation (`RuntimeError`),
so code written against PyTorch catches them too.
"""


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit together: a failed broadcast, a matmul, a wrong `gradient`."""


class DimError(ShapeError, IndexError):
    """A `dim` argument out of range or repeated (PyTorch raises IndexError for the first)."""


class DtypeError(TypeError, RuntimeError):
    """A dtype that cannot do what was asked, such as an integer tensor that should require grad."""


class GraphError(RuntimeError):
    """A backward pass that cannot run: released graph, non-scalar output, nothing requires grad."""


class GradcheckError(RuntimeError):
    """An analytic gradient that disagrees with central differences (see `gradcheck`)."""


class StateDictError(RuntimeError):
    """A state dict that does not fit the model: missing or unexpected keys, wrong shapes."""


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read: truncated, foreign, or holding Python objects."""
