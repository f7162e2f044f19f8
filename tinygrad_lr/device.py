"""`device`: where a tensor lives. tinygrad_lr runs on the CPU only, so code that names a device
(`torch.device("cuda" if torch.cuda.is_available() else "cpu")`, `x.to(device)`,
`model.to("cpu")`) runs unchanged, and a tensor or model sent anywhere else is an error."""

from __future__ import annotations

from typing import Any

# The device types PyTorch knows by name (only "cpu" holds tensors here).
KNOWN_TYPES = frozenset({"cpu", "cuda", "mps", "meta", "xpu", "xla", "hip", "ipu", "mtia"})


class device:  # noqa: N801 - PyTorch's name
    """A device by name, "cpu" or "cuda:0" style: prints as PyTorch's does. A name PyTorch
    does not know, or a malformed index, is an error, as there."""

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):  # device(0) means an accelerator's first device
            raise RuntimeError(f"device({type!r}): there is no accelerator here, only the CPU")
        name, colon, number = type.partition(":")
        if name not in KNOWN_TYPES:
            raise RuntimeError(
                f"device: expected one of {', '.join(sorted(KNOWN_TYPES))} at the start of "
                f"the device string, got {type!r}"
            )
        if colon and index is not None:
            raise RuntimeError(f"device: {type!r} names an index already; do not pass {index}")
        if colon and not number.isdigit():
            raise RuntimeError(f"device: the index in {type!r} must be a non-negative integer")
        self.type = name
        self.index = int(number) if colon else index
        if self.index is not None and self.index < 0:
            raise RuntimeError(f"device: the index must be non-negative, got {self.index}")

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def is_device(arg: Any) -> bool:
    """Whether `.to(arg)` names a device (a string or a `device`) rather than a dtype."""
    return isinstance(arg, str | device)


def check_cpu(arg: Any) -> None:
    """Accept the CPU; refuse any other device, naming it."""
    if device(arg).type != "cpu":
        raise RuntimeError(
            f"tinygrad_lr runs on the CPU only: cannot move to device '{device(arg)}'"
        )


def dtype_asked(args: tuple[Any, ...], device: Any, dtype: Any, name: str) -> Any:
    """The dtype that `.to(...)` asks for (None: keep the dtype), after checking that the device
    it names, if any, is the CPU. As in PyTorch, at most one device and one dtype, given in
    that order or by keyword."""
    devices = [arg for arg in args if is_device(arg)] + ([device] if device is not None else [])
    dtypes = [arg for arg in args if not is_device(arg)] + ([dtype] if dtype is not None else [])
    if len(args) > 2 or len(devices) > 1 or len(dtypes) > 1:
        raise TypeError(f"{name}() takes at most one device and one dtype, got {args!r}")
    for named in devices:
        check_cpu(named)
    return dtypes[0] if dtypes else None
