"""Benchmarks: a training step, hand-derived NumPy vs tinygrad_lr (autograd and fused) vs PyTorch."""
