"""How a tensor prints: PyTorch's layout, character for character.

A learner runs the same script with `import torch` and `import tinygrad_lr as torch` and compares
the output line by line, so a tensor must print exactly as PyTorch prints it. The rules, in the
order they are applied:

1. One style and one width serve every element of a tensor. Integers and bools print as Python
   prints them. Floats look at their nonzero finite values: if all are whole numbers they print
   as `2.`; if the largest is over 1e8, the smallest under 1e-4, or the largest over 1000 times
   the smallest, every element switches to scientific notation (`1.0000e-05`); otherwise they get
   `precision` decimals (`0.5000`). Elements are right-aligned to the widest one.
2. Above `threshold` elements the print is summarised: each dimension keeps `edgeitems` entries at
   each end around a `...`, and only the kept elements decide the style and width.
3. A row breaks after as many elements as fit in `linewidth`; nested dimensions are indented
   one column per level and separated by one blank line less than their depth.
4. After the values come `size=` (empty tensors that are not 1-d), `dtype=` (any dtype but
   float32, int64 and bool; empty tensors show every dtype but float32), then `grad_fn=<...>` or
   `requires_grad=True`; a suffix that would pass `linewidth` starts a new line.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["format_tensor", "set_printoptions", "tensor_repr"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_options = _PrintOptions()

_PROFILES = {
    "default": _PrintOptions(),
    "short": _PrintOptions(precision=2, edgeitems=2),
    "full": _PrintOptions(threshold=math.inf),
}

# Dtypes that PyTorch does not name in a non-empty tensor's print.
_UNNAMED_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(bool))
_DEFAULT_FLOAT = np.dtype(np.float32)
_TORCH_DTYPE_NAMES = {
    "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
    "float16", "float32", "float64",
}  # fmt: skip


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Change how every tensor prints from now on, as `torch.set_printoptions` does.

    precision: decimals shown (default 4). threshold: more elements than this are summarised
    (default 1000). edgeitems: entries kept at each end of a summarised dimension (default 3).
    linewidth: characters per line before a row breaks (default 80). profile: "default",
    "short" or "full" sets the four above first. sci_mode: True or False forces scientific
    notation on or off for floats; None lets the values decide.

    As in PyTorch, `sci_mode` is reset to None by any call that does not pass it.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"profile must be one of {sorted(_PROFILES)}, not {profile!r}")
        chosen = _PROFILES[profile]
        _options.precision, _options.threshold = chosen.precision, chosen.threshold
        _options.edgeitems, _options.linewidth = chosen.edgeitems, chosen.linewidth
    if precision is not None:
        _options.precision = precision
    if threshold is not None:
        _options.threshold = threshold
    if edgeitems is not None:
        _options.edgeitems = edgeitems
    if linewidth is not None:
        _options.linewidth = linewidth
    _options.sci_mode = sci_mode


class _ElementStyle:
    """The one style and width shared by every element of a tensor (rule 1 above)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.whole_numbers = True
        self.scientific = False
        self.width = 1
        flat = values.reshape(-1)
        if not self.floating:
            self.width = max([1, *(len(str(v)) for v in flat.tolist())])
            return
        shown = flat[np.isfinite(flat) & (flat != 0)]
        if shown.size == 0:  # only zeros, nan and inf: nothing to measure
            return
        magnitudes = np.abs(shown)
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        self.whole_numbers = bool(np.all(shown == np.ceil(shown)))
        if _options.sci_mode is None:
            self.scientific = largest / smallest > 1000.0 or largest > 1e8 or smallest < 1e-4
        else:
            self.scientific = _options.sci_mode
        precision = _options.precision
        for value in shown.tolist():
            if self.scientific:
                text = f"{value:.{precision}e}"
            elif self.whole_numbers:
                text = f"{value:.0f}."
            else:
                text = f"{value:.{precision}f}"
            self.width = max(self.width, len(text))

    def format(self, value: float | int | bool) -> str:
        if not self.floating:
            text = str(value)
        elif self.scientific:
            text = f"{value:{self.width}.{_options.precision}e}"
        elif self.whole_numbers:
            # The trailing dot says "float"; nan and inf go without it.
            text = f"{value:.0f}" + ("." if math.isfinite(value) else "")
        else:
            text = f"{value:.{_options.precision}f}"
        return text.rjust(self.width)


def _kept_values(array: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows, flattened: they alone set the style and width."""
    edge = _options.edgeitems
    if array.ndim == 0:
        return array.reshape(-1)
    if array.ndim == 1:
        if array.shape[0] > 2 * edge:
            return np.concatenate((array[:edge], array[-edge:]))
        return array
    rows = array if array.shape[0] <= 2 * edge else np.concatenate((array[:edge], array[-edge:]))
    return np.concatenate([_kept_values(row) for row in rows])


def _row_text(row: np.ndarray, style: _ElementStyle, indent: int, summarize: bool) -> str:
    edge = _options.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and row.shape[0] > 2 * edge:
        items = [style.format(v) for v in row[:edge].tolist()] + [" ..."]
        items += [style.format(v) for v in row[-edge:].tolist()]
    else:
        items = [style.format(v) for v in row.tolist()]
    per_line = max(1, (_options.linewidth - indent) // (style.width + 2))  # 2 for ", "
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _values_text(array: np.ndarray, style: _ElementStyle, indent: int, summarize: bool) -> str:
    if array.ndim == 0:
        return style.format(array.item())
    if array.ndim == 1:
        return _row_text(array, style, indent, summarize)
    edge, count = _options.edgeitems, array.shape[0]
    if summarize and count > 2 * edge:
        kept = [*range(edge), None, *range(count - edge, count)]
    else:
        kept = list(range(count))
    parts = [
        "..." if i is None else _values_text(array[i], style, indent + 1, summarize) for i in kept
    ]
    between = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + between.join(parts) + "]"


def _append_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    # PyTorch measures the first line two characters longer than it is; we do the same, so that a
    # suffix moves to its own line exactly when PyTorch's does.
    line_length = len(text) - text.rfind("\n") + 1
    pieces = [text]
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > _options.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(pieces) + ")"


def _torch_dtype_name(dtype: np.dtype) -> str:
    if dtype.name not in _TORCH_DTYPE_NAMES:
        raise TypeError(
            f"cannot print a tensor of dtype {dtype}: tinygrad_lr prints bool, integer and "
            "float16/32/64 tensors"
        )
    return f"torch.{dtype.name}"


def tensor_repr(
    array: np.ndarray,
    *,
    requires_grad: bool,
    grad_fn_name: str | None,
    is_parameter: bool = False,
) -> str:
    """What PyTorch prints for a tensor holding `array`: `tensor([1., 2.], dtype=torch.float64)`.

    grad_fn_name is the class name PyTorch would show ("MulBackward0") for a tensor made by a
    recorded op, None for a leaf; a leaf with requires_grad shows `requires_grad=True`.
    is_parameter adds the "Parameter containing:" line of `torch.nn.Parameter`.
    """
    array = np.asarray(array)
    dtype_name = _torch_dtype_name(array.dtype)
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if array.size == 0:
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != _DEFAULT_FLOAT:  # no element shows whether it is an int or a bool
            suffixes.append(f"dtype={dtype_name}")
        body = "[]"
    else:
        if not _options.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype not in _UNNAMED_DTYPES:
            suffixes.append(f"dtype={dtype_name}")
        summarize = array.size > _options.threshold
        style = _ElementStyle(_kept_values(array) if summarize else array)
        body = _values_text(array, style, indent, summarize)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    text = _append_suffixes(prefix + body, suffixes, indent)
    return "Parameter containing:\n" + text if is_parameter else text


def format_tensor(
    array: np.ndarray,
    spec: str,
    *,
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    is_parameter: bool = False,
) -> str:
    """`f"{t:{spec}}"` as PyTorch does it: a 0-d tensor formats as its Python number.

    Any other tensor (and a Parameter, even 0-d) accepts only an empty spec, which gives its
    print; a non-empty spec raises TypeError, as Python's object.__format__ does. The keyword
    arguments are those of `tensor_repr`, used for that print.
    """
    array = np.asarray(array)
    if array.ndim == 0 and not is_parameter:
        return format(array.item(), spec)
    if spec:
        kind = "Parameter" if is_parameter else "Tensor"
        raise TypeError(f"unsupported format string passed to {kind}.__format__")
    return tensor_repr(
        array, requires_grad=requires_grad, grad_fn_name=grad_fn_name, is_parameter=is_parameter
    )
