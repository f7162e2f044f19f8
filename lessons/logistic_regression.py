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
# malignant), following Made With ML's *Logistic Regression* lesson one step at a time, and
# trained three ways from the same starting weights:
#
# 1. **by hand**: NumPy, with the gradients derived on paper;
# 2. **tinygrad_lr**: the same model, its gradients found by autograd, the chain rule applied
#    through primitive ops (matmul, add, exp, sum, log, ...);
# 3. **PyTorch**: the reference everyone trusts, with the same lines of code as tinygrad_lr.
#
# Every step is a short cell: change a number and run it again. As a script,
# `python lessons/logistic_regression.py [path/to/tumors.csv]` runs top to bottom without a
# display and writes its pictures to `LESSON_OUT` (default `lesson_output`). The data come from
# that path or from the `TUMORS_CSV` environment variable; with neither, from a synthetic set
# made offline, and the notebook says so.
#
# **Which published figures this reproduces.** The lesson's notebook as committed in
# GokuMohandas/Made-With-ML at `2ad655c4fe1b96ce3e00fa20531fbdeedeeee1ce`
# (`notebooks/07_Logistic_Regression.ipynb`) is reproduced exactly on the original CSV with
# seed 1234: the split, the class counts, the first forward pass, the losses (0.684, 0.446,
# 0.349, 0.297, 0.263 in the NumPy part; 0.96, 0.28, 0.15, 0.12, 0.10 in the PyTorch part),
# the test accuracies (0.97 and 0.98), the metrics, the inference and the unscaled weights. Each
# of those figures is printed beside the notebook's where it appears, and counted at the end.
# The lesson's web page shows figures from another run (a different split, for one), so its
# numbers and pictures differ from the notebook's and from these; they are not compared here.
#
# **What this version changes in the lesson**, each said again where it happens:
# - the lesson's download address no longer serves the file: we read a local copy (or
#   `data.load_tumors` downloads it from an address pinned to the commit that added it, with its
#   sha256 checked);
# - its scatter plot's legend has one entry, in the wrong colour;
# - its softmax overflows for large logits;
# - its bias for unstandardised inputs subtracts one number from every class.

# %% [markdown]
# ## The math
#
# $N$ examples with $D$ features each form $X \in \mathbb{R}^{N \times D}$; each belongs to one
# of $C$ classes, $y_i \in \{0, \dots, C-1\}$. The model is linear, one score (*logit*) per class:
#
# $$z = XW + b, \qquad W \in \mathbb{R}^{D \times C},\ b \in \mathbb{R}^{C}$$
#
# **Softmax** turns each row of scores into probabilities (positive, summing to 1):
#
# $$\hat{y}_{ic} = \frac{e^{z_{ic}}}{\sum_{j} e^{z_{ij}}}$$
#
# **Cross-entropy** is the mean of minus the log of the probability given to the true class:
# near 0 when the model is confident and right, large when it is confident and wrong.
#
# $$J = -\frac{1}{N}\sum_{i} \log \hat{y}_{i, y_i}$$
#
# **The gradient.** For one example, write $J_i = -z_{i,y_i} + \log \sum_j e^{z_{ij}}$. The
# derivative of the first term with respect to $z_{ic}$ is $-1$ when $c = y_i$ and 0 otherwise;
# the derivative of the second is $e^{z_{ic}} / \sum_j e^{z_{ij}} = \hat{y}_{ic}$. So, with
# $Y$ the one-hot matrix of the labels ($Y_{ic} = 1$ when $c = y_i$),
#
# $$\frac{\partial J}{\partial z} = \frac{\hat{y} - Y}{N}.$$
#
# Each logit $z_{ic} = \sum_d X_{id} W_{dc} + b_c$ depends on $W_{dc}$ through $X_{id}$ and on
# $b_c$ with slope 1; summing over the examples (the chain rule),
#
# $$\frac{\partial J}{\partial W} = \frac{X^\top(\hat{y} - Y)}{N} \in \mathbb{R}^{D \times C},
# \qquad \frac{\partial J}{\partial b} = \frac{1}{N}\sum_i (\hat{y} - Y)_i \in \mathbb{R}^{C}.$$
#
# **This project's layout.** PyTorch's `nn.Linear` stores the weight the other way round, one
# row per class: $W \in \mathbb{R}^{C \times D}$ and $z = XW^\top + b$. Every implementation
# here uses that layout, so the three can be compared number for number. Transposing the
# formula above gives the same gradient in that shape:
#
# $$\frac{\partial J}{\partial W} = \frac{(\hat{y} - Y)^\top X}{N} \in \mathbb{R}^{C \times D},
# \qquad \frac{\partial J}{\partial b} = \frac{1}{N}\sum_i (\hat{y} - Y)_i.$$
#
# Gradient descent then moves every weight a little against its gradient,
# $W \leftarrow W - \alpha\, \partial J / \partial W$, and repeats.

# %% [markdown]
# ## Set up

# %%
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tinygrad_lr as tg
from tinygrad_lr import visual
from tinygrad_lr.autograd.functional import hessian
from tinygrad_lr.compare import largest_difference
from tinygrad_lr.lesson import data, newton, reference, train

IN_NOTEBOOK = "ipykernel" in sys.modules
if IN_NOTEBOOK:
    from IPython.display import SVG, display
else:  # a plain script: pictures go to files only, no window is opened
    matplotlib.use("Agg")
    display = print

SEED = 1234
OUT = Path(os.environ.get("LESSON_OUT", "lesson_output"))
OUT.mkdir(parents=True, exist_ok=True)
np.random.seed(SEED)  # the lesson's shuffle, split and first weights all draw from this

torch = train.torch_or_none()
if torch is None:
    print(
        "PyTorch is not installed: the PyTorch runs below are skipped, and tinygrad_lr draws "
        "part 2's starting weights with its copy of PyTorch's generator (the same numbers). "
        "For the PyTorch column: pip install torch==2.13.0"
    )
else:
    print("PyTorch", torch.__version__)
LIBRARIES = {"tinygrad_lr": tg} | ({"PyTorch": torch} if torch is not None else {})


def show(fig, filename):
    """Draw `fig` below the cell (in a notebook) and write it to OUT/filename."""
    fig.tight_layout()
    fig.savefig(OUT / filename, dpi=100)
    plt.show()
    plt.close(fig)
    print(f"written to {OUT / filename}")


# %% [markdown]
# ## Data
# The task: tell from a leukocyte (white blood cell) count and a blood pressure whether a
# tumour is benign or malignant. The data set is synthetic and has no clinical meaning. The
# lesson read it from an address that no longer serves the file; we read a local copy.

# %%
SOURCE = os.environ.get("TUMORS_CSV") or next((a for a in sys.argv[1:] if a.endswith(".csv")), None)
if SOURCE is None:
    df = data.make_tumors(seed=SEED)
    LESSONS_DATA = False
    print(
        "No CSV given (neither TUMORS_CSV nor a path argument), so this runs on a synthetic data "
        f"set made offline, data.make_tumors(seed={SEED}): 1000 rows with the original's columns "
        "and class balance. Its figures are not the lesson's. For the lesson's published "
        "figures, give the lesson's tumors.csv: `python lessons/logistic_regression.py "
        "path/to/tumors.csv` or TUMORS_CSV=path/to/tumors.csv (data.load_tumors(data.LESSON_URL) "
        "downloads it)."
    )
else:
    df = data.load_tumors(SOURCE)
    LESSONS_DATA = SOURCE == data.LESSON_URL or (  # a download is checked by load_tumors
        Path(SOURCE).is_file()
        and hashlib.sha256(Path(SOURCE).read_bytes()).hexdigest() == data.LESSON_SHA256
    )
    print(f"{len(df)} rows from {Path(SOURCE).name}")
    if not LESSONS_DATA:
        print(
            "This file is not the lesson's tumors.csv (its sha256 differs), so the figures "
            "below are not compared with the lesson's."
        )
if SEED != 1234:
    LESSONS_DATA = False
    print("SEED is not the lesson's 1234: the figures below are not compared with the lesson's.")

# %% [markdown]
# Every figure the lesson's notebook printed is shown beside ours when the data are the
# lesson's file and the seed is 1234; then they must be equal, to the digits the notebook
# printed. On other data, the notebook's figure is shown for reference only.

# %%
compared = []  # (figure, equal?) for the summary at the end


def compare_with_lesson(figure, here, lesson):
    """Print a figure beside the one the lesson's notebook printed, and compare them when the
    data are the lesson's."""
    if not LESSONS_DATA:
        print(f"  [not compared] {figure}: {here} (the lesson's notebook: {lesson})")
        return
    compared.append((figure, here == lesson))
    verdict = "same as the lesson's notebook" if here == lesson else "DIFFERS"
    print(f"  [{verdict}] {figure}: {here}" + ("" if here == lesson else f" vs {lesson}"))


# %% [markdown]
# Shuffle the rows (drawing from NumPy's generator seeded above, as the lesson does) and look
# at the first few.

# %%
df = df.sample(frac=1).reset_index(drop=True)
display(df.head())
first = df.iloc[0]
compare_with_lesson(
    "first row after the shuffle",
    f"{first.leukocyte_count:.6f} {first.blood_pressure:.6f} {first.tumor_class}",
    "15.335860 14.637535 benign",
)

# %%
X = df[["leukocyte_count", "blood_pressure"]].to_numpy()
y = df["tumor_class"].to_numpy()
class_counts = df["tumor_class"].value_counts().sort_index()
print(class_counts.to_string())
print(f"malignant:benign = {class_counts['malignant'] / class_counts['benign']:.2f}")
compare_with_lesson(
    "class counts",
    f"benign {class_counts['benign']}, malignant {class_counts['malignant']}",
    "benign 389, malignant 611",
)

# %% [markdown]
# The lesson drew all the points in one `scatter` call and then named two legend entries; one
# call makes one legend entry, so its legend showed "malignant" in benign's colour. One call per
# class gives each class its own entry.

# %%
COLORS = {"benign": "tab:red", "malignant": "tab:blue"}
fig, ax = plt.subplots(figsize=(5.5, 4.5))
for name, color in COLORS.items():
    rows = y == name
    ax.scatter(
        X[rows, 0],
        X[rows, 1],
        c=color,
        s=20,
        edgecolors="k",
        linewidths=0.4,
        label=f"{name} ({rows.sum()})",
    )
ax.set(xlabel="leukocyte count", ylabel="blood pressure", title="The tumour data set")
ax.legend(loc="upper right")
show(fig, "dataset.png")

# %% [markdown]
# ## Split
# 70% of the rows to train on, 15% to validate (choose settings), 15% to test (measure once at
# the end). The split is **stratified** by class: each split keeps the data set's proportion of
# benign to malignant. With an unstratified random split, a small test set can by chance hold
# too few of the rarer class, and its accuracy then says little about that class. scikit-learn's
# `train_test_split` draws from NumPy's global generator here, as in the lesson.

# %%
TRAIN_SIZE = 0.7  # the remaining 30% is halved: 15% validation, 15% test


def train_val_test_split(X, y, train_size):
    """Split into train, validation and test sets, each with the class proportions of `y`."""
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, train_size=train_size, stratify=y)
    X_val, X_test, y_val, y_test = train_test_split(X_rest, y_rest, train_size=0.5, stratify=y_rest)
    return X_train, X_val, X_test, y_train, y_val, y_test


X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, TRAIN_SIZE)
print(f"X_train {X_train.shape}, X_val {X_val.shape}, X_test {X_test.shape}")
print(f"first training example: {X_train[0]} → {y_train[0]}")
compare_with_lesson(
    "first training example",
    f"{X_train[0, 0]:.8f} {X_train[0, 1]:.8f} {y_train[0]}",
    "14.95081332 14.86441305 malignant",
)

# %%
ratios = []
for split, labels in (("train", y_train), ("val", y_val), ("test", y_test)):
    counts = pd.Series(labels).value_counts()
    ratios.append(f"{counts['malignant'] / counts['benign']:.2f}")
    print(f"{split:5s} {counts.to_dict()}  malignant:benign = {ratios[-1]}")
compare_with_lesson("malignant:benign in train, val, test", " ".join(ratios), "1.57 1.54 1.59")

# %% [markdown]
# ## Label encoding
# The model needs class indices, not names. scikit-learn has a `LabelEncoder`; the lesson
# writes its own to show there is nothing hidden in it, and so does this project
# (`tinygrad_lr/lesson/data.py`): `fit` numbers the classes in sorted order, `encode` maps names
# to indices, `decode` maps them back, and `save`/`load` keep the mapping as JSON.

# %%
label_encoder = data.LabelEncoder().fit(y_train)
print(label_encoder, label_encoder.class_to_index)
compare_with_lesson(
    "class indices", str(label_encoder.class_to_index), "{'benign': 0, 'malignant': 1}"
)

# %%
print(f"y_train[0] before: {y_train[0]}")
y_train, y_val, y_test = (label_encoder.encode(v) for v in (y_train, y_val, y_test))
print(f"y_train[0] after: {y_train[0]}, decoded: {label_encoder.decode(y_train[:1])}")

# %%
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "label_encoder.json"
    label_encoder.save(path)
    print(path.read_text())
    reloaded = data.LabelEncoder.load(path)
print(
    "reloaded:",
    reloaded.class_to_index,
    "same:",
    reloaded.class_to_index == label_encoder.class_to_index,
)

# %% [markdown]
# ## Class weights
# Malignant tumours outnumber benign ones about 3 to 2. Weighting each example's loss by
# $1/n_c$, the inverse of its class's count in the training split, makes both classes count
# equally in total. Part 2 (the lesson's PyTorch model) uses these weights.

# %%
counts = np.bincount(y_train)
class_weights = 1.0 / counts
print(f"counts {counts}, weights {class_weights}")
compare_with_lesson("training class counts", str(counts), "[272 428]")

# %% [markdown]
# ## Standardisation
# Leukocyte counts and blood pressures have different sizes and spreads. Gradient descent takes
# one step size for all weights, so a feature with large values would dominate the early steps
# and a small one would learn slowly. Standardising each feature, $x' = (x - \mu)/\sigma$,
# gives both mean 0 and standard deviation 1. $\mu$ and $\sigma$ come from the **training**
# split only: the validation and test splits stand for data the model has never seen, so
# nothing may be learned from them. Only the inputs are standardised; the outputs are classes.

# %%
X_scaler = StandardScaler().fit(X_train)
X_train_raw, X_test_raw = X_train, X_test  # kept for the unscaled weights at the end
X_train, X_val, X_test = (X_scaler.transform(v) for v in (X_train, X_val, X_test))
print(f"μ = {X_scaler.mean_}, σ = {X_scaler.scale_}")

# %%
for split, values in (("train", X_train), ("test", X_test)):
    for d, feature in enumerate(data.FEATURES):
        column = values[:, d]
        print(f"{split:5s} {feature:16s} mean {column.mean():+.3f}, std {column.std():.3f}")
train_is_standard = np.allclose(X_train.mean(axis=0), 0) and np.allclose(X_train.std(axis=0), 1)
print("training split: mean 0 and std 1 to rounding:", train_is_standard)
compare_with_lesson(
    "test split's mean and std per feature",
    " ".join(f"{X_test[:, d].mean():.1f} {X_test[:, d].std():.1f}" for d in range(2)),
    "-0.1 1.0 -0.1 1.0",
)

# %% [markdown]
# # Part 1: the lesson's NumPy model, by hand
#
# ## Initialisation
# Small random weights, zero biases. The lesson draws $W$ as $(D, C)$; drawing the same shape
# keeps its random numbers, and we then store the transpose, $(C, D)$, the layout used
# everywhere here.

# %%
INPUT_DIM = X_train.shape[1]  # D = 2 features
NUM_CLASSES = len(label_encoder)  # C = 2 classes
W = (0.01 * np.random.randn(INPUT_DIM, NUM_CLASSES)).T.copy()
b = np.zeros(NUM_CLASSES)
print(f"W {W.shape} (one row per class), b {b.shape}")

# %% [markdown]
# ## The model
# The logits $z = XW^\top + b$: shapes $(N, D) \cdot (D, C) + (C,) = (N, C)$.

# %%
logits = X_train @ W.T + b
print(f"logits {logits.shape}, first row {logits[0]}")
compare_with_lesson(
    "first row's logits", f"{logits[0, 0]:.7f} {logits[0, 1]:.8f}", "-0.0069945 0.00647147"
)

# %% [markdown]
# Softmax. The lesson computed $e^{z}$ directly, which overflows to `inf` (and the ratio to
# `nan`) once a logit passes about 710. Subtracting each row's largest logit first changes
# nothing in the fraction (the factor $e^{-\max}$ cancels) and keeps every exponent at most 0.


# %%
def softmax(logits):
    """Row-wise softmax, computed stably."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


y_hat = softmax(logits)
print(
    f"y_hat {y_hat.shape}, first row {y_hat[0]}, rows sum to 1: {np.allclose(y_hat.sum(axis=1), 1)}"
)
compare_with_lesson(
    "first row's probabilities", f"{y_hat[0, 0]:.8f} {y_hat[0, 1]:.8f}", "0.49663356 0.50336644"
)
big = np.array([[1000.0, -1000.0]])
with np.errstate(over="ignore", invalid="ignore"):
    print(
        "the lesson's softmax of [1000, -1000]:",
        np.exp(big) / np.exp(big).sum(axis=1, keepdims=True),
    )
print("the stable softmax of [1000, -1000]:  ", softmax(big))

# %% [markdown]
# ## The loss
# Cross-entropy: the mean of $-\log \hat{y}_{i, y_i}$. Part 2 weights each example by its
# class's weight $w_{y_i}$ and divides by the sum of those weights (PyTorch's weighted mean); with
# no weights given, every $w$ is 1 and this is the plain mean.


# %%
def cross_entropy(y_hat, y, class_weight=None):
    """J = −Σᵢ w[yᵢ] log ŷ[i, yᵢ] / Σᵢ w[yᵢ]; with no class weights, the mean of −log ŷ[i, yᵢ]."""
    w = np.ones(len(y), y_hat.dtype) if class_weight is None else class_weight[y]
    return float(-(w * np.log(y_hat[np.arange(len(y)), y])).sum() / w.sum())


loss = cross_entropy(y_hat, y_train)
print(f"loss {loss:.4f} (log 2 = {np.log(2):.4f}: with tiny weights, every guess is 50/50)")
compare_with_lesson("first loss", f"{loss:.2f}", "0.70")

# %% [markdown]
# ## The gradients
# From the derivation above, in the $(C, D)$ layout: $\partial J/\partial z = (\hat{y} - Y)/N$,
# then $\partial J/\partial W = (\partial J/\partial z)^\top X$ and $\partial J/\partial b$ the
# column sums of $\partial J/\partial z$. With class weights, row $i$ of $\partial J/\partial z$
# is scaled by $w_{y_i}$ and the division is by $\sum_i w_{y_i}$ instead of $N$. The lesson
# subtracted the 1s from $\hat{y}$ in place, which quietly changed `y_hat`; this works on a copy.


# %%
def gradients(X, y_hat, y, class_weight=None):
    """dJ/dW (C, D) and dJ/db (C,) of the cross-entropy, derived by hand."""
    w = np.ones(len(y), y_hat.dtype) if class_weight is None else class_weight[y]
    dlogits = y_hat.copy()
    dlogits[np.arange(len(y)), y] -= 1  # ŷ − Y
    dlogits *= (w / w.sum())[:, None]  # divided by N (or by Σ w, weighted)
    return dlogits.T @ X, dlogits.sum(axis=0)


dW, db = gradients(X_train, y_hat, y_train)
print(f"dW (C, D):\n{dW}\ndb: {db}")
print("the lesson's layout, Xᵀ(ŷ − Y)/N, (D, C), is its transpose:\n", dW.T)
print(
    "largest difference from the project's reference (tinygrad_lr/lesson/reference.py):",
    largest_difference(dW, reference.gradients(X_train, y_hat, y_train)[0]),
)

# %% [markdown]
# ## The update
# One step of gradient descent with learning rate $\alpha = 0.1$: every weight moves against
# its gradient. The logits of the true class go up, the others down.

# %%
LEARNING_RATE = 0.1


def sgd_update(param, grad, state, lr=LEARNING_RATE):
    """param ← param − lr · grad, in place (`state` is unused: Adam, in part 2, keeps some)."""
    param -= lr * grad


sgd_update(W, dW, {})
sgd_update(b, db, {})
loss_after = cross_entropy(softmax(X_train @ W.T + b), y_train)
print(f"loss before {loss:.4f}, after one step {loss_after:.4f}")

# %% [markdown]
# ## Accuracy
# The loss is what training minimises; accuracy is what a person reads. The lesson defines
# `accuracy_fn` in its PyTorch part; we need it for all three training loops, so it comes
# here. It works on NumPy arrays, tinygrad_lr tensors and PyTorch tensors alike.


# %%
def accuracy_fn(y_pred, y_true):
    """The percentage of predicted classes equal to the true ones."""
    n_correct = (y_pred == y_true).sum().item()
    return n_correct / len(y_pred) * 100


print(f"NumPy: {accuracy_fn(np.array([0, 0, 1]), np.array([1, 1, 1])):.1f}")
for name, lib in LIBRARIES.items():
    print(f"{name}: {accuracy_fn(lib.tensor([0, 0, 1]), lib.tensor([1, 1, 1])):.1f}")

# %% [markdown]
# ## Training, by hand
# The model, the loss, the gradients and the update, repeated for 50 epochs over the whole
# training split. The lesson draws fresh weights before training; drawing them again keeps its
# random numbers. The accuracy of each epoch is measured on the logits computed before that
# epoch's update, as in the lesson.

# %%
NUM_EPOCHS = 50
W0 = (0.01 * np.random.randn(INPUT_DIM, NUM_CLASSES)).T.copy()
b0 = np.zeros(NUM_CLASSES)


def train_by_hand(W, b, X, y, epochs, update, class_weight=None):
    """The training loop with hand-derived gradients; returns the trained weights (copies) and
    each epoch's loss and training accuracy."""
    W, b, W_state, b_state = W.copy(), b.copy(), {}, {}
    losses, accuracies = [], []
    for _epoch in range(epochs):
        logits = X @ W.T + b  # the model
        y_hat = softmax(logits)
        loss = cross_entropy(y_hat, y, class_weight)  # the loss
        dW, db = gradients(X, y_hat, y, class_weight)  # the gradients, by hand
        update(W, dW, W_state)  # the update
        update(b, db, b_state)
        losses.append(loss)
        accuracies.append(accuracy_fn(logits.argmax(axis=1), y))
    return W, b, losses, accuracies


def show_progress(name, losses, accuracies, loss_format):
    for epoch in range(0, len(losses), 10):
        loss, accuracy = losses[epoch], accuracies[epoch]
        print(f"{name}, epoch {epoch:2d}: loss {loss:{loss_format}}, accuracy {accuracy:.1f}%")


W_numpy, b_numpy, *history_numpy_1 = train_by_hand(W0, b0, X_train, y_train, NUM_EPOCHS, sgd_update)
show_progress("NumPy", *history_numpy_1, ".3f")

# %% [markdown]
# ## Evaluation, by hand
# Accuracy on the training split and on the test split, which training never saw.


# %%
def numpy_model(W, b, dtype=np.float64):
    """The by-hand model as a function: standardised inputs → class probabilities."""
    return lambda X: softmax(X.astype(dtype) @ W.T + b)


def train_and_test_accuracy(name, predict_proba):
    accuracies = [
        accuracy_fn(predict_proba(X).argmax(axis=1), y) / 100
        for X, y in ((X_train, y_train), (X_test, y_test))
    ]
    print(f"{name:12s} train acc {accuracies[0]:.2f}, test acc {accuracies[1]:.2f}")
    return f"{accuracies[0]:.2f} {accuracies[1]:.2f}"


part1 = {"NumPy": numpy_model(W_numpy, b_numpy)}
compare_with_lesson(
    "part 1, NumPy: train and test accuracy",
    train_and_test_accuracy("NumPy", part1["NumPy"]),
    "0.97 0.97",
)

# %% [markdown]
# A linear model separates the classes with a straight line: where the two classes' logits
# are equal, $P(\text{benign}) = P(\text{malignant}) = 0.5$. Each picture shades the region
# where the model predicts each class and draws the training and test points in their true
# class's colour.


# %%
def plot_decision_boundary(predict_proba, title, filename):
    """The model's predicted class over the (standardised) feature plane, with the train and
    test points coloured by their true class."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), sharex=True, sharey=True)
    X_all = np.concatenate([X_train, X_test])
    lo, hi = X_all.min(axis=0) - 0.1, X_all.max(axis=0) + 0.1
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 201), np.linspace(lo[1], hi[1], 201))
    probs = predict_proba(np.c_[xx.ravel(), yy.ravel()])
    predicted = probs.argmax(axis=1).reshape(xx.shape)
    region_colors = [COLORS[c] for c in label_encoder.classes]
    for ax, (split, X, y) in zip(axes, (("train", X_train, y_train), ("test", X_test, y_test))):
        ax.contourf(xx, yy, predicted, levels=[-0.5, 0.5, 1.5], colors=region_colors, alpha=0.2)
        ax.contour(xx, yy, probs[:, 1].reshape(xx.shape), levels=[0.5], colors="k")
        for index, name in enumerate(label_encoder.classes):
            rows = y == index
            ax.scatter(
                X[rows, 0],
                X[rows, 1],
                c=COLORS[name],
                s=16,
                edgecolors="k",
                linewidths=0.3,
                label=f"{name} ({rows.sum()})",
            )
        ax.plot([], [], "k-", label="decision boundary")
        ax.set(
            title=f"{split} split",
            xlabel="leukocyte count (standardised)",
            xlim=(lo[0], hi[0]),
            ylim=(lo[1], hi[1]),
        )
        ax.legend(loc="lower left", fontsize=8)
    axes[0].set_ylabel("blood pressure (standardised)")
    fig.suptitle(title)
    show(fig, filename)


plot_decision_boundary(
    part1["NumPy"], "Part 1 (gradient descent), NumPy by hand", "boundary_part1_numpy.png"
)

# %% [markdown]
# # Part 1 again, by autograd: tinygrad_lr and PyTorch
#
# The lesson's PyTorch model is a module holding one `nn.Linear` layer. tinygrad_lr follows
# PyTorch's names, so the class is written once and built with either library, `lib`. Its
# layer's `weight` is $(C, D)$ and its `bias` $(C,)$: the layout the NumPy part used.


# %%
def build_model(lib, input_dim, num_classes, dtype=None):
    """The lesson's model, built with `lib` (tinygrad_lr or torch)."""

    class LogisticRegression(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(input_dim, num_classes, dtype=dtype)

        def forward(self, x_in, apply_softmax=False):
            y_pred = self.fc1(x_in)
            if apply_softmax:
                y_pred = lib.softmax(y_pred, dim=1)
            return y_pred

    return LogisticRegression()


def part1_model(lib):
    """The lesson's model in float64, starting from the NumPy part's first weights."""
    model = build_model(lib, INPUT_DIM, NUM_CLASSES, dtype=lib.float64)
    model.load_state_dict({"fc1.weight": lib.from_numpy(W0), "fc1.bias": lib.from_numpy(b0)})
    return model


model = part1_model(tg)
print(model)

# %% [markdown]
# ## The same gradient, by autograd
# tinygrad_lr never sees the formulas above. `nn.Linear` is a matmul with $W^\top$ and an add;
# `CrossEntropyLoss` is a log-softmax (a subtraction of the detached row maximum, an `exp`, a
# `sum`, a `log`) followed by picking each row's true class, a negation and a mean. `backward()`
# applies the chain rule through each of those primitive ops, whose derivative rules sit beside
# their forward passes in `tinygrad_lr/ops.py`. At the training run's first weights (`W0`,
# `b0`), it lands on the hand-derived gradient.

# %%
loss = tg.nn.CrossEntropyLoss()(model(tg.tensor(X_train, name="X")), tg.from_numpy(y_train))
with visual.trace() as steps:
    loss.backward(retain_graph=True)  # keep the graph: we draw it below
W_grad_hand, b_grad_hand = gradients(X_train, softmax(X_train @ W0.T + b0), y_train)
print("autograd dW:\n", model.fc1.weight.grad.numpy())
print(
    "largest difference from the hand-derived dW:",
    largest_difference(model.fc1.weight.grad.numpy(), W_grad_hand),
)
print(
    "largest difference from the hand-derived db:",
    largest_difference(model.fc1.bias.grad.numpy(), b_grad_hand),
)

# %% [markdown]
# ### Watching backpropagation
# The trace lists each backward step: the op, the rule it applies, the gradient arriving and
# the gradients it sends on. From the top: the mean starts with $1/N$; picking the true class
# sends $-1/N$ to each row's true logit; the log-softmax ops turn that into
# $(\hat{y} - Y)/N$; the add hands that to the bias (summed over the rows), and `MatMul`'s rule
# $dY = X^\top G$ gives the weight exactly the lesson's $X^\top(\hat{y} - Y)/N$, which the
# `Permute` turns into the $(C, D)$ layout.

# %%
print(steps)

# %% [markdown]
# The same graph, drawn: the parameters are filled boxes, the input dashed, each op an
# ellipse, with the values and gradients after the backward pass. Graphviz's `dot` program
# draws it; without it, the graph is written as DOT text and the cell says so.

# %%
svg_path = OUT / "graph.svg"
visual.draw_graph(loss, svg_path)
if shutil.which("dot") is None:
    print("Graphviz's `dot` is not installed, so the graph is not drawn: apt-get install graphviz")
elif IN_NOTEBOOK:
    display(SVG(filename=str(svg_path)))
else:
    print(f"written to {svg_path}")

# %% [markdown]
# A third witness: `tinygrad_lr.gradcheck` compares the autograd gradient with central
# differences, $(J(w + \epsilon) - J(w - \epsilon)) / 2\epsilon$ for every weight, in float64,
# here with part 2's class weights.

# %%
X_train_tg = tg.tensor(X_train)
print(
    "gradcheck:",
    tg.gradcheck(
        lambda W, b: tg.nn.functional.cross_entropy(
            tg.nn.functional.linear(X_train_tg, W, b),
            tg.from_numpy(y_train),
            weight=tg.from_numpy(class_weights),
        ),
        [W0, b0],
    ),
)

# %% [markdown]
# ## The training loop, as PyTorch code writes it
# Forward, loss, forget the last gradients, backward, step: the same lines for tinygrad_lr and
# for PyTorch. `lib` only converts the NumPy arrays into the library's tensors.


# %%
def train(lib, model, loss_fn, optimizer, X, y, epochs):
    """Train `model` on the full batch (X, y) for `epochs` steps; each epoch's loss and
    training accuracy (of the logits before that epoch's update)."""
    X, y = lib.from_numpy(X), lib.from_numpy(y)
    losses, accuracies = [], []
    for _epoch in range(epochs):
        y_pred = model(X)  # forward: the logits
        loss = loss_fn(y_pred, y)  # the loss, recorded as a graph of ops
        optimizer.zero_grad()  # clear the gradients of the last step
        loss.backward()  # the chain rule through that graph fills each .grad
        optimizer.step()  # the update: here W ← W − lr · W.grad
        losses.append(loss.item())
        accuracies.append(accuracy_fn(y_pred.argmax(dim=1), y))
    return losses, accuracies


def library_model(lib, model, dtype):
    """A library's trained model as a function: standardised inputs → class probabilities."""

    def predict_proba(X):
        with lib.no_grad():
            return model(lib.tensor(X, dtype=dtype), apply_softmax=True).numpy()

    return predict_proba


def weights_of(model):
    return model.fc1.weight.detach().numpy().copy(), model.fc1.bias.detach().numpy().copy()


# %% [markdown]
# Part 1's settings: unweighted cross-entropy, plain gradient descent (`optim.SGD`) with the
# same learning rate, float64, from the NumPy part's first weights. One call per library.

# %%
history_1 = {"NumPy": history_numpy_1}
weights_1 = {"NumPy": (W_numpy, b_numpy)}
for name, lib in LIBRARIES.items():
    model = part1_model(lib)
    loss_fn = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    history_1[name] = train(lib, model, loss_fn, optimizer, X_train, y_train, NUM_EPOCHS)
    show_progress(name, *history_1[name], ".3f")
    part1[name] = library_model(lib, model, lib.float64)
    weights_1[name] = weights_of(model)

# %% [markdown]
# ### The three side by side
# The loss and accuracy every 10 epochs, and the largest difference between any two
# implementations' trained weights: in float64, rounding only.


# %%
def side_by_side(history, weights, loss_format):
    for epoch in range(0, NUM_EPOCHS, 10):
        print(
            f"Epoch: {epoch:2d} | "
            + " | ".join(
                f"{name}: loss {losses[epoch]:{loss_format}}, acc {accuracies[epoch]:.1f}"
                for name, (losses, accuracies) in history.items()
            )
        )
    names = list(weights)
    gap = max(
        largest_difference(weights[a][k], weights[c][k])
        for i, a in enumerate(names)
        for c in names[i + 1 :]
        for k in (0, 1)
    )
    print(f"Largest difference between the implementations' final weights: {gap:.2e}")


side_by_side(history_1, weights_1, ".3f")
for name, (losses, accuracies) in history_1.items():
    compare_with_lesson(
        f"part 1, {name}: loss at epochs 0, 10, ..., 40",
        " ".join(f"{v:.3f}" for v in losses[::10]),
        "0.684 0.446 0.349 0.297 0.263",
    )
    compare_with_lesson(
        f"part 1, {name}: accuracy (%) at epochs 0, 10, ..., 40",
        " ".join(f"{v:.1f}" for v in accuracies[::10]),
        "89.7 97.0 97.3 97.3 97.3",
    )

# %%
for name in LIBRARIES:
    compare_with_lesson(
        f"part 1, {name}: train and test accuracy",
        train_and_test_accuracy(name, part1[name]),
        "0.97 0.97",
    )
    plot_decision_boundary(
        part1[name],
        f"Part 1 (gradient descent), {name} autograd",
        f"boundary_part1_{name.lower()}.png",
    )

# %% [markdown]
# # Part 2: the lesson's PyTorch model
#
# The lesson's second model is the same classifier with two changes: each example's loss is
# weighted by its class's weight, and the optimiser is Adam. It is trained in float32 from the
# weights PyTorch's `nn.Linear` draws after `torch.manual_seed(SEED)`. tinygrad_lr's random
# generator is PyTorch's, bit for bit, so `tg.manual_seed(SEED)` draws the same weights.

# %%
models_2, start_2 = {}, {}
for name, lib in LIBRARIES.items():
    lib.manual_seed(SEED)
    models_2[name] = build_model(lib, INPUT_DIM, NUM_CLASSES)
    start_2[name] = weights_of(models_2[name])
    print(f"{name}: weight {start_2[name][0].tolist()}, bias {start_2[name][1].tolist()}")
if torch is not None:
    print(
        "same starting weights:",
        all(np.array_equal(a, c) for a, c in zip(start_2["tinygrad_lr"], start_2["PyTorch"])),
    )

# %% [markdown]
# ## The loss
# First the lesson's demonstration: cross-entropy of three random rows of logits against three
# random labels. Then the loss used for training, weighted by class:
#
# $$J = -\frac{\sum_i w_{y_i} \log \hat{y}_{i, y_i}}{\sum_i w_{y_i}}, \qquad
# \frac{\partial J}{\partial z_i} = \frac{w_{y_i}\,(\hat{y}_i - Y_i)}{\sum_k w_{y_k}}$$
#
# PyTorch divides by the sum of the weights of the examples' classes, not by $N$.

# %%
for name, lib in LIBRARIES.items():
    y_pred = lib.randn(3, NUM_CLASSES, requires_grad=False)
    y_true = lib.empty(3, dtype=lib.long).random_(NUM_CLASSES)
    demo_loss = lib.nn.CrossEntropyLoss()(y_pred, y_true)
    print(f"{name}: labels {y_true.tolist()}, loss {demo_loss.item():.4f}")
    compare_with_lesson(f"{name}: the loss of random logits", f"{demo_loss.item():.4f}", "1.2779")

# %% [markdown]
# ## The optimiser
# Adam keeps, for each weight, a running mean of its gradients ($m$) and of their squares
# ($v$), and steps by $\alpha\, \hat{m} / (\sqrt{\hat{v}} + \epsilon)$, where the hats undo
# the bias of starting the means at 0. Every weight's step is then about $\alpha$ in size,
# whatever the scale of its gradient.

# %%
history_2, weights_2, part2 = {}, {}, {}
for name, lib in LIBRARIES.items():
    model = models_2[name]
    loss_fn = lib.nn.CrossEntropyLoss(weight=lib.tensor(class_weights, dtype=lib.float32))
    optimizer = lib.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    X, y = X_train.astype(np.float32), y_train
    history_2[name] = train(lib, model, loss_fn, optimizer, X, y, NUM_EPOCHS)
    show_progress(name, *history_2[name], ".2f")
    part2[name] = library_model(lib, model, lib.float32)
    weights_2[name] = weights_of(model)

# %% [markdown]
# ### By hand
# The NumPy loop from part 1, unchanged: its loss and gradients already take class weights.
# Only the update differs: Adam, written out in its textbook form in
# `tinygrad_lr/lesson/reference.py` (`adam_update`). Same starting weights, float32.

# %%
W1, b1 = start_2["tinygrad_lr"]


def adam_update(param, grad, state):
    reference.adam_update(param, grad, state, lr=LEARNING_RATE)


W_numpy_2, b_numpy_2, *history_numpy_2 = train_by_hand(
    W1,
    b1,
    X_train.astype(np.float32),
    y_train,
    NUM_EPOCHS,
    adam_update,
    class_weight=class_weights.astype(np.float32),
)
show_progress("NumPy", *history_numpy_2, ".2f")
history_2 = {"NumPy": history_numpy_2} | history_2
weights_2 = {"NumPy": (W_numpy_2, b_numpy_2)} | weights_2
part2 = {"NumPy": numpy_model(W_numpy_2, b_numpy_2, np.float32)} | part2

# %%
side_by_side(history_2, weights_2, ".2f")
for name, (losses, accuracies) in history_2.items():
    compare_with_lesson(
        f"part 2, {name}: loss at epochs 0, 10, ..., 40",
        " ".join(f"{v:.2f}" for v in losses[::10]),
        "0.96 0.28 0.15 0.12 0.10",
    )
    compare_with_lesson(
        f"part 2, {name}: accuracy (%) at epochs 0, 10, ..., 40",
        " ".join(f"{v:.1f}" for v in accuracies[::10]),
        "60.7 87.0 95.6 97.7 98.3",
    )

# %% [markdown]
# ## Evaluation
# The probabilities for the first test example, and the accuracy on both splits.

# %%
for name, predict_proba in part2.items():
    probs = predict_proba(X_test[:1])[0]
    print(f"{name}: first test example P = {probs}, class {probs.argmax()}")
    compare_with_lesson(
        f"part 2, {name}: first test example's probabilities",
        f"{probs[0]:.4f} {probs[1]:.4f}",
        "0.0449 0.9551",
    )
for name, predict_proba in part2.items():
    compare_with_lesson(
        f"part 2, {name}: train and test accuracy",
        train_and_test_accuracy(name, predict_proba),
        "0.98 0.98",
    )

# %% [markdown]
# ### Precision, recall and F1
# Accuracy hides how each class fares, which matters most when the classes are unbalanced.
# Counting, for one class taken as "positive", the true positives (TP: predicted it, and it
# was), false positives (FP: predicted it, and it was not) and false negatives (FN: it was, and
# the prediction was the other class):
#
# - **precision** $= \dfrac{TP}{TP + FP}$: of the examples predicted to be this class, the
#   share that are;
# - **recall** $= \dfrac{TP}{TP + FN}$: of the examples of this class, the share found;
# - **F1** $= 2\,\dfrac{\text{precision} \cdot \text{recall}}{\text{precision} + \text{recall}}$:
#   their harmonic mean, high only when both are.


# %%
def precision_recall_f1(y_true, y_pred, positive):
    """Precision, recall and F1 of class `positive`, counted by hand (0 where undefined)."""
    tp = np.sum((y_pred == positive) & (y_true == positive))
    fp = np.sum((y_pred == positive) & (y_true != positive))
    fn = np.sum((y_pred != positive) & (y_true == positive))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


published = {"benign": "0.9825 0.9655 0.9739 58", "malignant": "0.9785 0.9891 0.9838 92"}
for name, predict_proba in part2.items():
    y_pred = predict_proba(X_test).argmax(axis=1)
    by_sklearn = precision_recall_fscore_support(y_test, y_pred, average=None)
    for index, class_name in enumerate(label_encoder.classes):
        by_hand = precision_recall_f1(y_test, y_pred, index)
        agree = np.allclose(by_hand, [m[index] for m in by_sklearn[:3]])
        support = int((y_test == index).sum())
        print(
            f"{name:12s} {class_name:9s} precision {by_hand[0]:.3f}, recall {by_hand[1]:.3f}, "
            f"f1 {by_hand[2]:.3f}, support {support} (scikit-learn agrees: {agree})"
        )
        compare_with_lesson(
            f"part 2, {name}: {class_name} precision, recall, F1, support",
            " ".join(f"{v:.4f}" for v in by_hand) + f" {support}",
            published[class_name],
        )

# %% [markdown]
# The lesson also prints "overall" figures, computed with `average="weighted"` (each class's
# figure weighted by its number of test examples). The numbers its notebook shows, 0.9805,
# 0.9773 and 0.9788, are instead the plain means over the two classes (`average="macro"`): a
# weighted recall always equals the accuracy, which is 0.98 there. Both:

# %%
for name, predict_proba in part2.items():
    y_pred = predict_proba(X_test).argmax(axis=1)
    overall = {
        average: precision_recall_fscore_support(y_test, y_pred, average=average)[:3]
        for average in ("macro", "weighted")
    }
    for average, (precision, recall, f1) in overall.items():
        print(
            f"{name:12s} {average:8s} precision {precision:.4f}, recall {recall:.4f}, f1 {f1:.4f}"
        )
    compare_with_lesson(
        f"part 2, {name}: macro precision, recall, F1",
        " ".join(f"{v:.4f}" for v in overall["macro"]),
        "0.9805 0.9773 0.9788",
    )

# %% [markdown]
# ### Decision boundaries and loss curves

# %%
for name, predict_proba in part2.items():
    how = "by hand" if name == "NumPy" else "autograd"
    plot_decision_boundary(
        predict_proba,
        f"Part 2 (class-weighted loss, Adam), {name} {how}",
        f"boundary_part2_{name.lower()}.png",
    )

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, title, history in (
    (axes[0], "Part 1: cross-entropy, gradient descent, float64", history_1),
    (axes[1], "Part 2: weighted cross-entropy, Adam, float32", history_2),
):
    for (name, (losses, _)), style in zip(history.items(), ("-", "--", ":")):
        ax.plot(losses, style, linewidth=2.5, label=name)
    ax.set(title=title, xlabel="epoch", ylabel="training loss")
    ax.legend(title="the three lines overlap")
show(fig, "losses.png")

# %% [markdown]
# ## Inference
# A new example goes through the same standardisation (with the training split's $\mu$ and
# $\sigma$), then the model.

# %%
X_infer = pd.DataFrame([{"leukocyte_count": 13, "blood_pressure": 12}])
display(X_infer)
X_infer = X_scaler.transform(X_infer[list(data.FEATURES)].to_numpy())
print("standardised:", X_infer)
compare_with_lesson(
    "the example, standardised",
    f"{X_infer[0, 0]:.8f} {X_infer[0, 1]:.8f}",
    "-0.68505296 -3.11487099",
)
for name, predict_proba in part2.items():
    probs = predict_proba(X_infer)[0]
    label = label_encoder.decode([probs.argmax()])[0]
    print(f"{name}: the probability that this tumour is {label} is {probs.max():.0%}")
    compare_with_lesson(f"{name}: inference", f"{label} {probs.max():.0%}", "benign 93%")

# %% [markdown]
# ## Weights for unstandardised inputs
# Only the inputs were standardised, $x'_d = (x_d - \mu_d)/\sigma_d$. Substituting into the
# logit of class $c$ (weights stored $(C, D)$):
#
# $$z_c = b_c + \sum_d W_{cd}\,\frac{x_d - \mu_d}{\sigma_d}
#       = \underbrace{\Big(b_c - \sum_d \frac{W_{cd}}{\sigma_d}\,\mu_d\Big)}_{b^{raw}_c}
#       + \sum_d \underbrace{\frac{W_{cd}}{\sigma_d}}_{W^{raw}_{cd}}\, x_d$$
#
# so each raw weight is the weight divided by its feature's $\sigma$, and each class has its
# own raw bias. The lesson sums over the classes too, $b_c - \sum_{c', d} W^{raw}_{c'd}\mu_d$:
# one number subtracted from every class's bias. Its raw model then gives other logits than the
# trained one, and other predictions: the cell counts how many test examples change class.

# %%
for name, (W_trained, b_trained) in weights_2.items():
    W_raw = W_trained / X_scaler.scale_
    b_raw = b_trained - W_raw @ X_scaler.mean_  # one value per class
    b_lesson = b_trained - np.sum(W_raw * X_scaler.mean_)  # the lesson's: one number for all
    trained = X_test @ W_trained.T + b_trained
    print(f"{name}: W_raw {W_raw.round(4).tolist()}, b_raw {b_raw.round(4).tolist()}")
    raw, raw_lesson = X_test_raw @ W_raw.T + b_raw, X_test_raw @ W_raw.T + b_lesson
    changed = (raw_lesson.argmax(axis=1) != trained.argmax(axis=1)).sum()
    print(
        "  on the raw test inputs, the logits differ from the trained model's by at most "
        f"{largest_difference(raw, trained):.1e}; with the lesson's bias, by up to "
        f"{largest_difference(raw_lesson, trained):.2f}, and {changed} of {len(y_test)} "
        "predictions change"
    )
    compare_with_lesson(
        f"{name}: W_raw",
        " ".join(f"{v:.4f}" for v in W_raw.ravel()),
        "0.6130 -1.1855 -0.9537 0.8843",
    )
    compare_with_lesson(
        f"{name}: the lesson's (wrong) raw bias",
        " ".join(f"{v:.3f}" for v in b_lesson),
        "8.929 10.234",
    )

# %% [markdown]
# ## Part 3: Newton's method, the optimum by the Hessian
# Fifty epochs stop somewhere; the three implementations agreeing says they took the same
# steps, not that they reached the answer. The loss is convex, so Newton's method,
# $\theta \leftarrow \theta - H^{-1}\nabla L(\theta)$, reaches its minimum in a handful of
# steps, and the Hessian $H$ comes from autograd: the gradient taken with
# `create_graph=True` (the backward pass recorded as ops), then differentiated again.
#
# The parameters are $\theta = [W \mid b]$, one row per class, flattened: the bias is a weight
# on a constant feature, $\tilde{x} = (x, 1)$. With $p_n = \mathrm{softmax}(z_n)$ and class
# weights $w$ (all 1 for part 1's loss),
#
# $$H = \frac{\sum_n w_{y_n}\,(\mathrm{diag}(p_n) - p_n p_n^T) \otimes \tilde{x}_n\tilde{x}_n^T}
#            {\sum_n w_{y_n}}$$
#
# For two classes the blocks are $\pm X^T \mathrm{diag}(p(1-p)) X$: logistic regression's
# Hessian. Adding the same row to every class changes no probability, so $H$ is singular along
# those directions (its zero eigenvalues below) and the gradient has no component along them.
# The step uses the pseudo-inverse $H^+$: the shortest step solving the Newton equation, which
# never moves along the flat directions. (Fixing one class's row at zero, as scikit-learn does
# for two classes, is the other way out; the probabilities are the same.)


# %%
def loss_of(theta, class_weight=None):
    """The lesson's loss on the training split as a function of θ alone, float64."""
    Wb = theta.reshape(NUM_CLASSES, -1)
    logits = tg.tensor(X_train) @ Wb[:, :-1].T + Wb[:, -1]
    weight = None if class_weight is None else tg.tensor(class_weight)
    return tg.nn.functional.cross_entropy(logits, tg.tensor(y_train), weight=weight)


theta_1 = newton.pack(W0, b0)  # part 1's start
H = hessian(loss_of, tg.tensor(theta_1)).numpy()
print("H at part 1's start, by autograd:\n", H.round(5))
print("eigenvalues:", np.linalg.eigvalsh(H).round(8), "(three are zero: the flat directions)")
closed = newton.closed_form_hessian(theta_1, X_train, y_train, None)
print(f"largest difference from the closed form: {largest_difference(H, closed):.1e}")
if torch is not None:
    theirs = newton.torch_hessian(theta_1, X_train, y_train, None)
    print(f"... from torch.autograd.functional.hessian: {largest_difference(H, theirs):.1e}")

# %% [markdown]
# The loop, for each part's loss from that part's start: the gradient by one backward pass,
# the Hessian by backward passes through a recorded one, then the step. Watch the gradient's
# norm: once close, it roughly squares at every step (quadratic convergence).


# %%
def newton_steps(theta, class_weight=None, max_steps=30):
    for step in range(max_steps):
        t = tg.tensor(theta, requires_grad=True)
        loss = loss_of(t, class_weight)
        (gradient,) = tg.autograd.grad(loss, t)
        norm = np.linalg.norm(gradient.numpy())
        print(f"step {step:2d}  loss {loss.item():.10f}  |gradient| {norm:.1e}")
        if norm < newton.GRADIENT_TOLERANCE:
            break
        H = hessian(lambda t: loss_of(t, class_weight), tg.tensor(theta)).numpy()
        theta = (
            theta - np.linalg.pinv(H, rcond=newton.PINV_RCOND, hermitian=True) @ gradient.numpy()
        )
    return theta


print("Part 1's loss (unweighted), from part 1's start:")
theta_star_1 = newton_steps(theta_1)
print("Part 2's loss (class-weighted), from part 2's start:")
theta_2 = newton.pack(*(a.astype(np.float64) for a in start_2["tinygrad_lr"]))
theta_star_2 = newton_steps(theta_2, class_weights)

# %% [markdown]
# Two checks: scikit-learn's `LogisticRegression` without a penalty, fitted by its own Newton
# solver with the same class weights, finds the same probabilities; and how far the lesson's
# 50 epochs stopped from the optimum.

# %%
for part, theta_star, class_weight, stopped in (
    (1, theta_star_1, None, weights_1["NumPy"]),
    (2, theta_star_2, class_weights, weights_2["NumPy"]),
):
    ours = newton.probabilities(theta_star, X_train, NUM_CLASSES)
    sklearn = newton.sklearn_probabilities(X_train, y_train, class_weight)
    optimum = reference.loss(ours, y_train, class_weight)
    there = newton.probabilities(newton.pack(*stopped).astype(np.float64), X_train, NUM_CLASSES)
    print(
        f"part {part}: optimum loss {optimum:.10f}; scikit-learn's probabilities within "
        f"{largest_difference(ours, sklearn):.1e}, its loss within "
        f"{abs(optimum - reference.loss(sklearn, y_train, class_weight)):.1e}; "
        f"the lesson's epochs stopped at loss "
        f"{reference.loss(there, y_train, class_weight):.4f}, probabilities up to "
        f"{largest_difference(there, ours):.2f} from the optimum's"
    )

# %% [markdown]
# ## Summary

# %%
if LESSONS_DATA:
    differ = [figure for figure, same in compared if not same]
    print(
        f"Figures of the lesson's notebook reproduced: {len(compared) - len(differ)} of "
        f"{len(compared)}" + (f"; these differ: {', '.join(differ)}" if differ else "")
    )
else:
    print(
        "No figure was compared with the lesson's notebook: these data are not the lesson's "
        f"tumors.csv with seed 1234. {len(LIBRARIES) + 1} implementations were trained on them."
    )
if torch is None:
    print("PyTorch was not installed: its runs were skipped (pip install torch==2.13.0).")

# %% [markdown]
# ## Exercises
# Write the backward rules yourself: `lessons/exercises/backward_rules.py` holds the lesson's
# ops (mul, exp, log, sum, matmul, log-softmax, the cross-entropy) and its hand-derived
# gradient $dW = X^T(\hat{y} - y)/N$, $db$ as stubs, each a `tinygrad_lr.autograd.Function`
# with its forward written. `tinygrad-lr exercises` grades them against PyTorch and central
# differences, op by op; the solutions are in `lessons/exercises/solutions/`.
