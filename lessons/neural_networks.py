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
# 1. **by hand**: NumPy, with the backward pass derived on paper and written out in the loop;
# 2. **tinygrad_lr**: the same network, gradients found by autograd;
# 3. **PyTorch**: the reference, with the same lines of code as tinygrad_lr.
#
# First a linear model fails on the spirals; then a two-layer network with a ReLU between the
# layers learns them, once as the lesson's NumPy loop (gradient descent) and once as its
# PyTorch model (Adam). Each of the three is trained by both loops below: the NumPy one and the
# PyTorch-style one, called with tinygrad_lr and with PyTorch.
#
# Run it as `python lessons/neural_networks.py [path/to/spiral.csv]`; without a path (or the
# environment variable `SPIRAL_CSV`) it uses spirals made offline. At the end, the package's
# `run_lesson` trains the same parts again, and the script checks that its numbers are these.
#
# **Left out**: the lesson's dropout section. Its masks are drawn by PyTorch's generator, which
# tinygrad_lr reproduces, but float32 rounding makes the runs drift apart after about 80 epochs.

# %%
import os
import sys
from collections import namedtuple
from functools import partial

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_lr as tg
from tinygrad_lr.lesson import neural_networks as nnl
from tinygrad_lr.lesson import plots, reference, train

SEED = nnl.SEED  # 1234
HIDDEN_DIM = nnl.HIDDEN_DIM  # 100
DATA = (
    os.environ.get("SPIRAL_CSV")
    or next((a for a in sys.argv[1:] if a.endswith(".csv")), None)
    or "synthetic"
)
torch = train.torch_or_none()
LIBRARIES = {"tinygrad_lr": tg, **({"PyTorch": torch} if torch else {})}


def numpy_line(epoch, loss, accuracy):
    """The lesson's NumPy loop prints the accuracy as a fraction."""
    return f"Epoch: {epoch}, loss: {loss:.3f}, accuracy: {accuracy:.3f}"


def torch_line(epoch, loss, accuracy):
    """Its PyTorch loops print it as a percentage."""
    return f"Epoch: {epoch} | loss: {loss:.2f}, accuracy: {accuracy * 100:.1f}"


# %% [markdown]
# ## Data
# Shuffle, split 70/15/15 stratified by class, encode the labels c1, c2, c3 as 0, 1, 2 and
# standardise the inputs with the training split's mean and standard deviation. Every draw is
# NumPy's global generator's, seeded as the lesson seeds it.

# %%
df, source = nnl.load_data(DATA, SEED)
np.random.seed(SEED)
s = nnl.prepare(df)
NUM_CLASSES = len(s.classes)
print(source)
print(f"X_train: {s.X_train.shape}, X_val: {s.X_val.shape}, X_test: {s.X_test.shape}")
print(f"classes: {s.classes}, class weights: {s.class_weights}")
plots.class_scatter(
    s.X_train,
    s.encoder.decode(s.y_train),
    s.classes,
    [f"{feature} (standardised)" for feature in nnl.FEATURES],
    "Spirals (training split)",
)
plt.show()

# %% [markdown]
# ## The starting weights
# The lesson's PyTorch models start from the layers `nn.Linear` draws after
# `torch.manual_seed(1234)`: first the linear model's two, then the network's two. tinygrad_lr's
# generator is PyTorch's, so it draws the same numbers. They are drawn now, in that order,
# because building a model further down draws from the same generator. The lesson's NumPy
# network starts from `0.01 * np.random.randn(...)` and zero biases, drawn twice (a
# demonstration pair first). All are kept in `nn.Linear`'s layout: $W_1$ is $H \times D$,
# $W_2$ is $C \times H$.

# %%
tg.manual_seed(SEED)
linear_start, mlp_start = nnl.linear_layers(tg, 2, NUM_CLASSES)
nnl.numpy_weights(NUM_CLASSES)  # the lesson's demonstration draw, kept for the order of draws
numpy_start = nnl.numpy_weights(NUM_CLASSES)  # the weights its NumPy loop starts from
for name, start in (("linear", linear_start), ("NumPy", numpy_start), ("PyTorch", mlp_start)):
    print(f"{name:8s} " + ", ".join(f"{p.shape}" for p in start))

# %% [markdown]
# ## The network, one step by hand
# With $N$ rows:
#
# $$Z_1 = XW_1^\top + b_1,\quad A_1 = \max(0, Z_1),\quad Z_2 = A_1W_2^\top + b_2,\quad
# \hat{y} = \mathrm{softmax}(Z_2),\quad J = -\frac{1}{N}\sum_i \log \hat{y}_{i,y_i}$$
#
# Backwards, one link of the chain at a time:
#
# - $\partial J/\partial Z_2 = (\hat{y} - Y)/N$ ($Y$ one-hot): softmax and cross-entropy together;
# - $\partial J/\partial W_2 = (\partial J/\partial Z_2)^\top A_1$,
#   $\partial J/\partial b_2 = \sum_i \partial J/\partial Z_{2,i}$;
# - $\partial J/\partial A_1 = (\partial J/\partial Z_2) W_2$;
# - $\partial J/\partial Z_1 = \partial J/\partial A_1 \cdot [Z_1 > 0]$: the ReLU passes the
#   gradient where it fired and stops it elsewhere (the lesson: `dhidden[a1 <= 0] = 0`);
# - $\partial J/\partial W_1 = (\partial J/\partial Z_1)^\top X$,
#   $\partial J/\partial b_1 = \sum_i \partial J/\partial Z_{1,i}$.
#
# With class weights $w$, row $i$ of $\partial J/\partial Z_2$ is scaled by $w_{y_i}$ and the
# division is by $\sum_i w_{y_i}$ instead of $N$ (`reference.dlogits`). The linear model is the
# same with $A_1 = Z_1$ and no mask.

# %%
W1, b1, W2, b2 = numpy_start
X, y = s.X_train, s.y_train
Z1 = X @ W1.T + b1
A1 = np.maximum(0, Z1)
Z2 = A1 @ W2.T + b2
y_hat = reference.softmax(Z2)
loss = -np.log(y_hat[np.arange(len(y)), y]).mean()
dZ2 = y_hat.copy()
dZ2[np.arange(len(y)), y] -= 1
dZ2 /= len(y)
dW2, db2 = dZ2.T @ A1, dZ2.sum(axis=0)
dA1 = dZ2 @ W2
dZ1 = dA1 * (Z1 > 0)
dW1, db1 = dZ1.T @ X, dZ1.sum(axis=0)
print(f"Z1: {Z1.shape}, A1: {A1.shape}, Z2: {Z2.shape}, loss: {loss:.3f}")
for name in LIBRARIES:
    make = nnl.Tinygrad if name == "tinygrad_lr" else nnl.Torch
    grads = make(numpy_start).gradients(X, y)
    for label, hand, auto in zip(("dW1", "db1", "dW2", "db2"), (dW1, db1, dW2, db2), grads):
        print(
            f"{name:12s} {label}: largest difference from by hand {np.abs(auto - hand).max():.1e}"
        )

# %% [markdown]
# ## Loop 1: by hand, in NumPy
# The step above, repeated: forward, softmax, loss, the backward link by link, and the update of
# each weight in place (`update` is gradient descent or Adam, written out in
# `tinygrad_lr/lesson/reference.py`). The accuracy of an epoch is that of the logits computed
# before its update, as in the lesson. `relu=False` gives the linear model.

# %%
Trained = namedtuple("Trained", "losses accuracies weights predict_proba")


def train_by_hand(params, X, y, epochs, every, update, relu=True, class_weight=None, line=None):
    """The lesson's NumPy loop on the full batch (X, y), from copies of `params`
    (W1, b1, W2, b2); prints every `every` epochs."""
    params = [p.copy() for p in params]
    W1, b1, W2, b2 = params  # updated in place below
    states = [{} for _ in params]  # Adam's running means, one dict per weight
    losses, accuracies = [], []
    for epoch in range(epochs):
        # forward
        Z1 = X @ W1.T + b1
        A1 = np.maximum(0, Z1) if relu else Z1
        Z2 = A1 @ W2.T + b2  # the logits
        y_hat = reference.softmax(Z2)
        loss = reference.loss(y_hat, y, class_weight)
        # backward, one link of the chain at a time
        dZ2 = reference.dlogits(y_hat, y, class_weight)  # w[y] (ŷ − Y) / Σ w[y]
        dW2 = dZ2.T @ A1
        db2 = dZ2.sum(axis=0)
        dA1 = dZ2 @ W2
        dZ1 = dA1 * (Z1 > 0) if relu else dA1  # the ReLU's mask: no gradient where it was off
        dW1 = dZ1.T @ X
        db1 = dZ1.sum(axis=0)
        # update
        for param, grad, state in zip(params, (dW1, db1, dW2, db2), states):
            update(param, grad, state)
        accuracy = float((Z2.argmax(axis=1) == y).mean())
        losses.append(loss)
        accuracies.append(accuracy)
        if epoch % every == 0:
            print((line or numpy_line)(epoch, loss, accuracy))

    def predict_proba(X_new):
        return reference.softmax(nnl.forward(X_new.astype(X.dtype), params, relu)[1])

    return Trained(losses, accuracies, params, predict_proba)


# %% [markdown]
# ## Loop 2: as PyTorch code writes it
# Forward, loss, forget the last gradients, backward, step: the same lines for tinygrad_lr and
# for PyTorch, because tinygrad_lr follows PyTorch's names. `lib` is the library; it only turns
# the NumPy arrays into its tensors. The model is built once for both libraries too:
# `nn.Linear`, `nn.ReLU`, `nn.Linear` in an `nn.Sequential`, loaded with the starting weights.


# %%
def build_model(lib, params, relu=True, dtype=np.float32):
    """The lesson's network (without the ReLU: its linear model), built with `lib` in `dtype`
    and loaded with `params` (W1, b1, W2, b2)."""
    dt = getattr(lib, np.dtype(dtype).name)
    model = lib.nn.Sequential(
        lib.nn.Linear(2, HIDDEN_DIM, dtype=dt),
        *([lib.nn.ReLU()] if relu else []),
        lib.nn.Linear(HIDDEN_DIM, NUM_CLASSES, dtype=dt),
    )
    with lib.no_grad():
        for param, value in zip(model.parameters(), params):
            param.copy_(lib.from_numpy(np.asarray(value, dtype)))
    return model


def train(lib, model, loss_fn, optimizer, X, y, epochs, every, line=torch_line):
    """Train `model` on the full batch (X, y); prints every `every` epochs."""
    X_t, y_t = lib.from_numpy(X), lib.from_numpy(y)
    losses, accuracies = [], []
    for epoch in range(epochs):
        y_pred = model(X_t)  # forward: the logits
        loss = loss_fn(y_pred, y_t)  # the loss, recorded as a graph of ops
        optimizer.zero_grad()  # clear the gradients of the last step
        loss.backward()  # the chain rule through that graph fills each .grad
        optimizer.step()  # the update: gradient descent or Adam
        accuracy = (y_pred.argmax(dim=1) == y_t).sum().item() / len(y)
        losses.append(loss.item())
        accuracies.append(accuracy)
        if epoch % every == 0:
            print(line(epoch, losses[-1], accuracy))

    def predict_proba(X_new):
        with lib.no_grad():
            return lib.softmax(model(lib.tensor(X_new, dtype=X_t.dtype)), dim=1).numpy()

    weights = [p.detach().numpy().copy() for p in model.parameters()]
    return Trained(losses, accuracies, weights, predict_proba)


# %% [markdown]
# ## A linear model
# Two `nn.Linear` layers with nothing between them are still one linear map: a straight
# boundary between each pair of classes, which no spiral allows. Class-weighted cross-entropy,
# Adam (lr 0.01), 10 epochs, float32.

# %%
X32, weight32 = s.X_train.astype(np.float32), s.class_weights.astype(np.float32)
print("NumPy:")
linear_runs = {
    "NumPy": train_by_hand(
        [p.astype(np.float32) for p in linear_start],
        X32,
        s.y_train,
        10,
        1,
        partial(reference.adam_update, lr=1e-2),
        relu=False,
        class_weight=weight32,
        line=torch_line,
    )
}
for name, lib in LIBRARIES.items():
    print(f"{name}:")
    model = build_model(lib, linear_start, relu=False)
    loss_fn = lib.nn.CrossEntropyLoss(weight=lib.from_numpy(weight32))
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-2)
    linear_runs[name] = train(lib, model, loss_fn, optimizer, X32, s.y_train, 10, 1)

# %% [markdown]
# ## The lesson's NumPy network
# Gradient descent with learning rate 1, 1000 epochs, in float64, no class weights, from the
# NumPy weights drawn above. tinygrad_lr and PyTorch run the same with `optim.SGD`.

# %%
print("NumPy:")
numpy_runs = {
    "NumPy": train_by_hand(
        numpy_start, s.X_train, s.y_train, 1000, 100, partial(reference.sgd_update, lr=1.0)
    )
}
for name, lib in LIBRARIES.items():
    print(f"{name}:")
    model = build_model(lib, numpy_start, dtype=np.float64)
    loss_fn = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=1.0)
    numpy_runs[name] = train(
        lib, model, loss_fn, optimizer, s.X_train, s.y_train, 1000, 100, line=numpy_line
    )
for name, run in numpy_runs.items():
    test_accuracy = (run.predict_proba(s.X_test).argmax(axis=1) == s.y_test).mean()
    print(f"{name:12s} test accuracy: {test_accuracy:.3f}")
plots.decision_boundary(numpy_runs["NumPy"].predict_proba, s, "NumPy network: ", nnl.FEATURES)
plt.show()

# %% [markdown]
# ## The lesson's PyTorch network
# `fc1`, ReLU, `fc2` from the network's layers drawn above; class-weighted cross-entropy, Adam
# (lr 0.01), 100 epochs, float32. Then the lesson's inference at $X_1 = X_2 = 0.1$.

# %%
print("NumPy:")
mlp_runs = {
    "NumPy": train_by_hand(
        [p.astype(np.float32) for p in mlp_start],
        X32,
        s.y_train,
        100,
        10,
        partial(reference.adam_update, lr=1e-2),
        class_weight=weight32,
        line=torch_line,
    )
}
for name, lib in LIBRARIES.items():
    print(f"{name}:")
    model = build_model(lib, mlp_start)
    loss_fn = lib.nn.CrossEntropyLoss(weight=lib.from_numpy(weight32))
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-2)
    mlp_runs[name] = train(lib, model, loss_fn, optimizer, X32, s.y_train, 100, 10)

X_infer = s.scaler.transform(np.array([nnl.INFERENCE_X])).astype(np.float32)
for name, run in mlp_runs.items():
    probs = run.predict_proba(X_infer)[0]
    print(
        f"{name:12s} The probability that you have {s.classes[probs.argmax()]} "
        f"is {probs.max() * 100:.0f}%"
    )
plots.decision_boundary(
    mlp_runs["tinygrad_lr"].predict_proba, s, "tinygrad_lr network: ", nnl.FEATURES
)
plt.show()

# %% [markdown]
# ## The same, from the package
# `nnl.run_lesson` repeats every draw above in the same order and trains each part with the
# package's implementations; `tinygrad-lr lesson neural-networks` prints its report. Its losses,
# accuracies and trained weights must equal the loops' above, exactly.

# %%
lesson = nnl.run_lesson(DATA, SEED)
for part, loops in zip(lesson.parts, (linear_runs, numpy_runs, mlp_runs)):
    assert [r.name for r in part.runs] == list(loops), part.number
    worst = max(max(abs(a - b) for a, b in zip(r.losses, loops[r.name].losses)) for r in part.runs)
    for r in part.runs:
        mine = loops[r.name]
        assert r.losses == mine.losses and r.accuracies == mine.accuracies, (part.number, r.name)
        for theirs, ours in zip(r.model.weights(), mine.weights):
            assert np.array_equal(theirs, ours), (part.number, r.name)
    print(f"Part {part.number}: largest loss difference from the loops above: {worst:.1e}")
