"""`tinygrad-lr bench`: tinygrad_lr's speed against the floor and PyTorch, with issue 17's goals.

An application on top of the engine, like the lesson (it times the lesson's model, and needs
matplotlib for its plot and PyTorch for its PyTorch column). Importing `tinygrad_lr` never
imports it. Read in this order:

- `floor`: the leanest NumPy training step, the floor every ratio is taken against;
- `steps`: the problems, their data, and each implementation's step (the user's code for
  tinygrad_lr and PyTorch, the same lines for both);
- `measure`: the measurements, each run in a fresh one-thread process, in paired rounds;
- `stats`: paired ratios, their median and its distribution-free 95% interval;
- `report`: the goals, the tables, the plot and docs/benchmarks.md;
- `driver`: `run`, what the command calls: measure everything, check, report.
"""
