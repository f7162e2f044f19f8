"""Benchmarks: a training step, hand-derived NumPy vs tinygrad_lr vs PyTorch."""
