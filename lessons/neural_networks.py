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
# # Neural networks, three ways
#
# Three spiral arms, one class each, following Made With ML's *Neural Networks* lesson step by
# step, trained three ways from the same starting weights:
#
# 1. **by hand**: NumPy, with the backward pass derived on paper;
# 2. **tinygrad_lr**: the same network, gradients found by autograd;
# 3. **PyTorch**: the reference.
#
# First a linear model fails on the spirals; then a two-layer network with a ReLU between the
# layers learns them, once as the lesson's NumPy loop (gradient descent) and once as its
# PyTorch model (Adam). Run it as `python lessons/neural_networks.py`; it uses the offline
# spirals unless the environment variable `SPIRAL_CSV` names the lesson's CSV.
#
# **Left out**: the lesson's dropout section. Its masks are drawn by PyTorch's generator, which
# tinygrad_lr reproduces, but float32 rounding makes the runs drift apart after about 80 epochs.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_lr as tg
from tinygrad_lr.lesson import neural_networks as nnl
from tinygrad_lr.lesson import reference, train

SEED = nnl.SEED  # 1234
HIDDEN_DIM = nnl.HIDDEN_DIM  # 100
DATA = os.environ.get("SPIRAL_CSV") or "synthetic"
torch = train.torch_or_none()
LIBRARIES = {"tinygrad_lr": tg, **({"PyTorch": torch} if torch else {})}

# %% [markdown]
# ## Data
# Shuffle, split 70/15/15 stratified by class, encode the labels c1, c2, c3 as 0, 1, 2 and
# standardise the inputs with the training split's mean and standard deviation. Every draw is
# NumPy's global generator's, seeded as the lesson seeds it.

# %%
df, source = nnl.load_spiral(DATA, SEED)
np.random.seed(SEED)
s = nnl.prepare(df)
print(source)
print(f"X_train: {s.X_train.shape}, X_val: {s.X_val.shape}, X_test: {s.X_test.shape}")
print(f"classes: {s.classes}, class weights: {s.class_weight}")
plt.scatter(s.X_train[:, 0], s.X_train[:, 1], c=s.y_train, cmap=plt.cm.RdYlBu, s=15)
plt.title("Spirals (training split, standardised)")
plt.show()

# %% [markdown]
# ## A linear model
# Two `nn.Linear` layers with nothing between them are still one linear map: a straight
# boundary between each pair of classes, which no spiral allows. Class-weighted cross-entropy,
# Adam (lr 0.01), 10 epochs, float32.

# %%
tg.manual_seed(SEED)  # tinygrad_lr's generator is PyTorch's: the same numbers
# the linear model's layers, then (used further down) the network's: drawn now, in the lesson's
# order, because building a model below draws from the same generator
linear_start, mlp_start = nnl.linear_layers(tg, 2, 3)
linear_runs = {}
for make in nnl.implementations():
    model = make(
        linear_start,
        relu=False,
        class_weight=s.class_weight,
        optimizer="adam",
        lr=1e-2,
        dtype=np.float32,
    )
    linear_runs[make.name] = train.fit(model, s.X_train, s.y_train, 10)
for name, run in linear_runs.items():
    for epoch in range(10):
        print(
            f"{name:12s} Epoch: {epoch} | loss: {run.losses[epoch]:.2f}, "
            f"accuracy: {run.accuracies[epoch] * 100:.1f}"
        )

# %% [markdown]
# ## The network, one step by hand
# With $N$ rows, weights in `nn.Linear`'s layout ($W_1$ is $H \times D$, $W_2$ is $C \times H$):
#
# $$z_1 = XW_1^\top + b_1,\quad a_1 = \max(0, z_1),\quad z_2 = a_1W_2^\top + b_2,\quad
# \hat{y} = \mathrm{softmax}(z_2),\quad J = -\frac{1}{N}\sum_i \log \hat{y}_{i,y_i}$$
#
# Backwards, one link of the chain at a time:
#
# - $\partial J/\partial z_2 = (\hat{y} - Y)/N$ ($Y$ one-hot): softmax and cross-entropy together;
# - $\partial J/\partial W_2 = (\partial J/\partial z_2)^\top a_1$,
#   $\partial J/\partial b_2 = \sum_i \partial J/\partial z_{2,i}$;
# - $\partial J/\partial a_1 = (\partial J/\partial z_2) W_2$;
# - $\partial J/\partial z_1 = \partial J/\partial a_1 \cdot [z_1 > 0]$: the ReLU passes the
#   gradient where it fired and stops it elsewhere (the lesson: `dhidden[a1 <= 0] = 0`);
# - $\partial J/\partial W_1 = (\partial J/\partial z_1)^\top X$,
#   $\partial J/\partial b_1 = \sum_i \partial J/\partial z_{1,i}$.

# %%
nnl.numpy_weights(3)  # the lesson's demonstration draw, kept for the order of draws
W1, b1, W2, b2 = nnl.numpy_weights(3)  # the weights its training loop starts from
X, y = s.X_train, s.y_train
z1 = X @ W1.T + b1
a1 = np.maximum(0, z1)
logits = a1 @ W2.T + b2
y_hat = reference.softmax(logits)
loss = -np.log(y_hat[np.arange(len(y)), y]).mean()
dlogits = y_hat.copy()
dlogits[np.arange(len(y)), y] -= 1
dlogits /= len(y)
dW2, db2 = dlogits.T @ a1, dlogits.sum(axis=0)
da1 = dlogits @ W2
dz1 = da1 * (z1 > 0)
dW1, db1 = dz1.T @ X, dz1.sum(axis=0)
print(f"z1: {z1.shape}, a1: {a1.shape}, logits: {logits.shape}, loss: {loss:.3f}")
start = tuple(p.copy() for p in (W1, b1, W2, b2))
for name in LIBRARIES:
    make = nnl.Tinygrad if name == "tinygrad_lr" else nnl.Torch
    grads = make(start).gradients(X, y)
    for label, hand, auto in zip(("dW1", "db1", "dW2", "db2"), (dW1, db1, dW2, db2), grads):
        print(
            f"{name:12s} {label}: largest difference from by hand {np.abs(auto - hand).max():.1e}"
        )

# %% [markdown]
# ## Training the network: the lesson's NumPy loop
# Gradient descent with learning rate 1, 1000 epochs, in float64, from the weights above.

# %%
numpy_runs = {}
for make in nnl.implementations():
    numpy_runs[make.name] = train.fit(make(start, lr=1.0), s.X_train, s.y_train, 1000)
for name, run in numpy_runs.items():
    for epoch in range(0, 1000, 100):
        print(
            f"{name:12s} Epoch: {epoch}, loss: {run.losses[epoch]:.3f}, "
            f"accuracy: {run.accuracies[epoch]:.3f}"
        )
    test_accuracy = (run.predict_proba(s.X_test).argmax(axis=1) == s.y_test).mean()
    print(f"{name:12s} test accuracy: {test_accuracy:.3f}")
nnl.plot_decision_boundary(numpy_runs["NumPy"], s, "NumPy network: ")
plt.show()

# %% [markdown]
# ## Training the network: the lesson's PyTorch model
# `fc1`, ReLU, `fc2`, drawn after the linear model's layers (above); class-weighted cross-entropy,
# Adam (lr 0.01), 100 epochs, float32. Then the lesson's inference at $X_1 = X_2 = 0.1$.

# %%
mlp_runs = {}
for make in nnl.implementations():
    model = make(
        mlp_start, class_weight=s.class_weight, optimizer="adam", lr=1e-2, dtype=np.float32
    )
    mlp_runs[make.name] = train.fit(model, s.X_train, s.y_train, 100)
for name, run in mlp_runs.items():
    for epoch in range(0, 100, 10):
        print(
            f"{name:12s} Epoch: {epoch} | loss: {run.losses[epoch]:.2f}, "
            f"accuracy: {run.accuracies[epoch] * 100:.1f}"
        )
    print(f"{name:12s} {nnl.inference(run, s)}")
nnl.plot_decision_boundary(mlp_runs["tinygrad_lr"], s, "tinygrad_lr network: ")
plt.show()

# %% [markdown]
# ## The same, from the package
# `nnl.run_lesson` repeats every draw above in the same order; `tinygrad-lr lesson
# neural-networks` prints its report. Its losses equal the loops' above.

# %%
lesson = nnl.run_lesson(DATA, SEED)
for part, loops in zip(lesson.parts, (linear_runs, numpy_runs, mlp_runs)):
    worst = max(max(abs(a - b) for a, b in zip(r.losses, loops[r.name].losses)) for r in part.runs)
    print(f"Part {part.number}: largest loss difference from the loops above: {worst:.1e}")
