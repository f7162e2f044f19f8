"""`torch.cuda`'s questions, answered for an engine that runs on the CPU only: code that asks
before choosing a device (`"cuda" if torch.cuda.is_available() else "cpu"`) runs here, and
seeding the GPUs there are not does nothing, as PyTorch does on a machine without one."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed: no GPU."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed: no GPU."""
