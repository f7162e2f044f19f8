"""`device`: where a tensor lives. tinygrad_lr runs on the CPU only, so code that names a device
(`torch.device("cuda" if torch.cuda.is_available() else "cpu")`, `x.to(device)`,
`model.to("cpu")`) runs unchanged, and a tensor or model sent anywhere else is an error."""

from __future__ import annotations

from typing import Any


class device:  # noqa: N801 - PyTorch's name
    """A device by name, "cpu" or "cuda:0" style: prints as PyTorch's does."""

    def __init__(self, type: str, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, number = str(type).partition(":")
        self.type = name
        self.index = int(number) if number else index

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
