"""`torch.cuda`'s two questions, answered for an engine that runs on the CPU only: code that
asks before choosing a device (`"cuda" if torch.cuda.is_available() else "cpu"`) runs here."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0
