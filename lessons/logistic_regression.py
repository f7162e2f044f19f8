# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Logistic regression, three ways
#
# A softmax classifier on the tumour data set (leukocyte count and blood pressure → benign or
# malignant), following Made With ML's *Logistic Regression* lesson step by step, and trained
# three ways from the same starting weights:
#
# 1. **by hand**: NumPy, with the gradients derived on paper;
# 2. **tinygrad_lr**: the same model, gradients found by reverse-mode autograd, the chain rule
#    through primitive ops (permute, matmul, add, sub, exp, sum, log, index, neg, mul, div);
# 3. **PyTorch**: the reference everyone trusts.
#
# Run it as `python lessons/logistic_regression.py [PATH/TO/tumors.csv]`, or open it as a
# notebook with jupytext. Without a path (or `TUMORS_CSV`), it uses a synthetic data set made
# offline with the same schema; with the lesson's original CSV and seed 1234, it prints the
# lesson's published figures.
#
# **What this version fixes in the lesson**, each said again where it happens:
# - the lesson's download address no longer serves the file (it was removed from the
#   repository's main branch in 2021): we read a local copy, or download from an address pinned
#   to the commit that added it, with its sha256 checked;
# - its scatter plot labels the classes wrong in the legend;
# - its softmax overflows for large logits;
# - its bias for unstandardised inputs subtracts one number from every class.

# %%
import os
import sys
from pathlib import Path

import numpy as np

import tinygrad_lr as tg
from tinygrad_lr import functional as F
from tinygrad_lr.compare import largest_difference
from tinygrad_lr.lesson import data, pipeline, plots, reference, report, train

SEED = 1234
LEARNING_RATE = 0.1
NUM_EPOCHS = 50
OUT = Path(os.environ.get("LESSON_OUT", "lesson_output"))
SOURCE = os.environ.get("TUMORS_CSV") or next(
    (a for a in sys.argv[1:] if a.endswith(".csv")), "synthetic"
)
torch = train.torch_or_none()
print("PyTorch:", torch.__version__ if torch else "not installed (its part is skipped)")

# %% [markdown]
# ## Data
# The lesson read its CSV from an address that stopped serving it in 2021. `load_tumors`
# reads a local copy (or downloads from a pinned address and checks the sha256); `make_tumors`
# makes a synthetic set offline, two Gaussian clouds near the original's statistics.

# %%
df = data.make_tumors(seed=SEED) if SOURCE == "synthetic" else data.load_tumors(SOURCE)
print(f"{len(df)} rows from {SOURCE}")
print(df[data.TARGET].value_counts().to_string())
df.head()

# %% [markdown]
# The lesson drew every point in one `scatter` call and then named two legend entries; a
# single call makes a single legend entry, so its legend showed "malignant" in benign's colour.
# Plotting each class with its own call and label gives each its own entry.

# %%
print(
    plots.plot_dataset(
        df[list(data.FEATURES)].to_numpy(), df[data.TARGET].to_numpy(), OUT / "dataset.png"
    )
)

# %% [markdown]
# ## Split, encode, weight, standardise
# `prepare` does what the lesson does, in the lesson's order of random draws (NumPy's global
# generator seeded with `SEED`): shuffle, split 70/15/15 stratified by class (scikit-learn's
# `train_test_split` twice), encode labels with the lesson's own `LabelEncoder`, compute class
# weights $w_c = 1/n_c$ from the training split, and standardise each feature with the training
# split's mean and standard deviation, $x' = (x - \mu)/\sigma$ (scikit-learn's `StandardScaler`).

# %%
p = pipeline.prepare(df, SEED)
print("sizes:", p.sizes)
print("classes:", p.encoder.class_to_index)
print("training counts:", np.bincount(p.y_train), "class weights:", p.class_weights)
print("standardised train mean", p.X_train.mean(axis=0).round(12), "std", p.X_train.std(axis=0))

# %% [markdown]
# ## The model, by hand
# With $X$ of shape $(N, D)$, $W$ of shape $(D, C)$ and $b$ of shape $(1, C)$, as the lesson
# writes them:
#
# $$z = XW + b, \qquad \hat{y}_{ic} = \frac{e^{z_{ic}}}{\sum_j e^{z_{ij}}}, \qquad
# J = -\frac{1}{N}\sum_i \log \hat{y}_{i, y_i}$$
#
# Differentiating, $\partial J / \partial z = (\hat{y} - \text{onehot}(y))/N$, hence
#
# $$\frac{\partial J}{\partial W} = \frac{X^\top(\hat{y} - \text{onehot}(y))}{N}, \qquad
# \frac{\partial J}{\partial b} = \frac{\sum_i (\hat{y} - \text{onehot}(y))_i}{N}.$$
#
# In code we store $W$ the way PyTorch's `nn.Linear` does, as its transpose, $(C, D)$, so the
# logits are $XW^\top + b$ and `reference.gradients` returns the transpose of the lesson's
# $\partial J/\partial W$: the same numbers, one layout for all three implementations.
#
# The lesson's softmax computed $e^{z}$ directly, which overflows to `inf` (and then `nan`)
# once a logit passes about 710; `reference.softmax` subtracts each row's maximum first, which
# cancels in the fraction. The lesson also built $\partial J/\partial z$ by writing into
# $\hat{y}$ itself; `reference.dlogits` works on a copy.
#
# The lesson first shows one forward pass with freshly drawn weights, then draws them again
# for training; we keep both draws so the random numbers come out in the same order.

# %%
D, C = p.X_train.shape[1], len(p.encoder)
W_demo, b_demo = pipeline.init_numpy_weights(D, C)  # drawn (D, C) as the lesson does, stored (C, D)
y_hat = reference.softmax(reference.forward(p.X_train, W_demo, b_demo))
print("first row's probabilities:", y_hat[0], " loss:", reference.loss(y_hat, p.y_train))
print("overflow check, logits ±1000:", reference.softmax(np.array([[1000.0, -1000.0]])))

W0, b0 = pipeline.init_numpy_weights(D, C)  # the training run starts here
dW, db = reference.gradients(
    p.X_train, reference.softmax(reference.forward(p.X_train, W0, b0)), p.y_train
)
print("hand-derived dW (C, D):\n", dW, "\ndb:", db)

# %% [markdown]
# ## The same gradient, by autograd
# tinygrad_lr never sees those formulas: `nn.Linear` is a matmul with $W^\top$ and an add, and
# `CrossEntropyLoss` is `log_softmax` (a subtraction of the detached row max, an `exp`, a
# `sum`, a `log`) followed by a gather, a negation and a mean; `backward()` applies the chain
# rule through each of those primitive ops, whose rules are in `tinygrad_lr/ops.py`. (The
# library also has a speed path, `tinygrad_lr.fused`, whose two nodes apply the closed form
# above directly; it is not used here, and `tinygrad-lr parity` checks it in its own column.)

# %%
model = tg.nn.Linear(D, C, dtype=np.float64)
model.load_state_dict({"weight": W0, "bias": b0})
loss = tg.nn.CrossEntropyLoss()(model(tg.tensor(p.X_train)), p.y_train)
loss.backward()
print("autograd dW:\n", model.weight.grad.numpy())
print(
    "largest difference from the hand-derived dW:",
    largest_difference(model.weight.grad.numpy(), dW),
)

# %% [markdown]
# ### Watching backpropagation
# `visual.trace` records each backward step: the op, the rule it applies (from its docstring),
# the gradient arriving and the gradients it sends on. Read it from the top: the mean's `Div`
# starts with 1/N, the gather (`Index`) scatters −1/N onto each row's target, the log-softmax
# ops turn that into $(\hat{y} - \text{onehot}(y))/N$, and `MatMul`'s rule $dY = X^\top G$ then
# hands the weight exactly the lesson's $X^\top(\hat{y} - \text{onehot}(y))/N$.
# `visual.draw_graph` draws the same graph (rendered by Graphviz when it is installed).

# %%
from tinygrad_lr import visual  # noqa: E402

model.zero_grad()
logits = F.linear(tg.tensor(p.X_train, name="X"), model.weight, model.bias)
loss = F.cross_entropy(logits, p.y_train)
with visual.trace() as steps:
    loss.backward(retain_graph=True)
print(steps)
print(visual.draw_graph(loss, OUT / "graph.svg")[:300], "...")

# %% [markdown]
# ## Training, part 1: the lesson's NumPy model
# Full-batch gradient descent, $W \leftarrow W - \eta\, \partial J/\partial W$, for 50 epochs,
# by hand, with tinygrad_lr (`optim.SGD`) and with PyTorch (`torch.optim.SGD`), in float64.
# Each implementation's step is written once, in `tinygrad_lr/lesson/train.py`; `train.fit` is
# the loop they share.


# %%
def show_progress(runs, loss_format):
    for epoch in range(0, NUM_EPOCHS, 10):
        print(
            f"Epoch: {epoch:2d} | "
            + " | ".join(
                f"{r.name}: loss {r.losses[epoch]:{loss_format}}, acc {r.accuracies[epoch]:.3f}"
                for r in runs
            )
        )
    print(report.weights_line(runs))  # the largest difference, or which weights are NaN or inf


def train_all(W_start, b_start, settings):
    return [
        train.fit(make(W_start, b_start, **settings), p.X_train, p.y_train, NUM_EPOCHS)
        for make in train.implementations()
    ]


part1 = train_all(W0, b0, pipeline.part_settings(p, 1, LEARNING_RATE))
show_progress(part1, ".3f")

# %% [markdown]
# ## Training, part 2: the lesson's PyTorch model
# The lesson's PyTorch section weights each sample's loss by its class weight. PyTorch's
# weighted mean divides by the sum of the weights of the targets, not by $N$:
#
# $$J = -\frac{\sum_i w_{y_i} \log \hat{y}_{i,y_i}}{\sum_i w_{y_i}}, \qquad
# \frac{\partial J}{\partial z_i} = \frac{w_{y_i}(\hat{y}_i - \text{onehot}(y_i))}{\sum_k w_{y_k}}$$
#
# and it trains with Adam in float32. The hand-derived twin uses that gradient with a
# textbook Adam; all three start from the weights `torch.manual_seed(SEED)` gives `nn.Linear`.

# %%
W1, b1 = pipeline.initial_linear(p, SEED)
part2 = train_all(W1, b1, pipeline.part_settings(p, 2, LEARNING_RATE))
show_progress(part2, ".2f")

# %% [markdown]
# ## Evaluation
# Accuracy on the training and test splits, and precision, recall and F1 per class
# (scikit-learn's `precision_recall_fscore_support`).

# %%
for name, runs in (("part 1", part1), ("part 2", part2)):
    for r in runs:
        print(
            f"{name} {r.name:12s} train acc {pipeline.accuracy(r, p.X_train, p.y_train):.2f}"
            f"  test acc {pipeline.accuracy(r, p.X_test, p.y_test):.2f}"
        )
for r in part2:
    print(
        r.name,
        {
            c: {k: round(float(v), 3) for k, v in m.items()}
            for c, m in pipeline.per_class_metrics(r, p).items()
        },
    )

# %% [markdown]
# ## Decision boundaries
# A linear model draws a straight boundary: where the two classes' logits are equal.

# %%
for number, runs in ((1, part1), (2, part2)):
    for r in runs:
        print(
            plots.plot_decision_boundaries(
                r, p, OUT / f"boundary_part{number}_{r.name.lower()}.png"
            )
        )
print(plots.plot_losses({"Part 1": part1, "Part 2": part2}, OUT / "losses.png"))

# %% [markdown]
# ## Inference
# New inputs go through the same standardisation, then the model.

# %%
x_new = p.scaler.transform(np.array([[13.0, 12.0]]))  # leukocyte count 13, blood pressure 12
for r in part2:
    probs = r.predict_proba(x_new)[0]
    print(f"{r.name}: the probability that this tumour is benign is {probs[0]:.0%}")

# %% [markdown]
# ## Weights for unstandardised inputs
# Since $x' = (x - \mu)/\sigma$, the logit $W x' + b$ (W stored $(C, D)$) equals
# $(W/\sigma) x + \big(b - (W/\sigma) \mu\big)$: the raw weights are $W/\sigma$
# (each feature's column divided by its $\sigma$) and the raw bias of class $c$ is
# $b_c - \sum_d (W_{cd}/\sigma_d)\,\mu_d$. The lesson summed over the classes too, subtracting
# the same number from every class's bias; its raw model then disagrees with the trained one.

# %%
for r in part2:
    W_raw, b_raw = pipeline.unstandardized(r, p)
    same = largest_difference(p.raw_test @ W_raw.T + b_raw, p.X_test @ r.W.T + r.b)
    print(
        f"{r.name}: W_raw {W_raw.round(4).tolist()}, b_raw {b_raw.round(4).tolist()}, "
        f"largest logit difference on raw test inputs: {same:.1e}"
    )

# %% [markdown]
# ## Seeing it from the other side
# `tinygrad_lr.gradcheck` compares the autograd gradient with central differences, element by
# element, in float64: the third, independent witness.

# %%
X_train = tg.tensor(p.X_train)
print(
    "gradcheck:",
    tg.gradcheck(
        lambda W, b: F.cross_entropy(F.linear(X_train, W, b), p.y_train, weight=p.class_weights),
        [W0, b0],
    ),
)
