"""The lessons, an application on top of the engine: *Logistic Regression* (the default),
*Linear Regression* and *Neural Networks*, each trained three ways.

Needs the `lesson` extra (pandas, scikit-learn, matplotlib); PyTorch is optional. Importing
`tinygrad_lr` never imports this package.

Shared by the lessons, one module each:
- `data`: the data sets (load a CSV with clear errors, or make one offline), the split and the
  standardisation;
- `train`: each implementation's training step, written once (by hand, tinygrad_lr, PyTorch),
  and `fit`, the loop they share;
- `report`, `plots`: the text and the pictures.

Each lesson's own (its model by hand, its settings, its published figures):
- *Logistic Regression*: `reference` (the model with hand-derived gradients, in NumPy), its
  three implementations in `train`, `pipeline` (its steps in order), and `report.run`, the
  `tinygrad-lr lesson` command; `newton`, its Newton's-method part;
- *Linear Regression*: `linear_regression`;
- *Neural Networks*: `neural_networks`.

The other commands: `parity` (every gradient from five sources), `graph` (one backward pass
traced and drawn), `exercises` (the learner's backward rules graded), `demo`.
"""
