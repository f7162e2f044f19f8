"""The logistic-regression lesson, an application on top of the engine.

Needs the `lesson` extra (pandas, scikit-learn, matplotlib); PyTorch is optional. Importing
`tinygrad_lr` never imports this package.

- `data`: the tumour data set (load the CSV, or make a synthetic one offline), `LabelEncoder`;
- `reference`: the model with hand-derived gradients, in NumPy;
- `train`: the model trained three ways (by hand, tinygrad_lr, PyTorch) and the shared loop;
- `pipeline`: the lesson's steps in order: prepare the data, train both parts, evaluate;
- `report`, `plots`: the `tinygrad-lr lesson` command's text and pictures;
- `parity`: `tinygrad-lr parity`, every gradient from five sources;
- `graph`: `tinygrad-lr graph`, one backward pass traced and drawn;
- `demo`: `tinygrad-lr demo`.
"""
