"""Benchmarks: a training step by hand in NumPy, by tinygrad_lr (autograd, fused), by PyTorch."""
