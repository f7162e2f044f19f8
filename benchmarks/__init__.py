"""`python -m benchmarks`: the benchmark, run from the project folder (see `tinygrad_lr.bench`)."""
