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
# # Linear regression, three ways
#
# A line fitted to 50 noisy points, following Made With ML's *Linear Regression* lesson step by
# step, and trained three ways from the same starting weights:
#
# 1. **by hand**: NumPy, with the gradients derived on paper;
# 2. **tinygrad_lr**: the same model, gradients found by autograd, the chain rule through
#    primitive ops (permute, matmul, add, sub, pow, sum, div);
# 3. **PyTorch**: the reference.
#
# The lesson has three parts: its NumPy model (gradient descent), its PyTorch model (Adam) and
# the same with L2 regularisation. Each is trained here three ways. Run it as
# `python lessons/linear_regression.py`, or open it as a notebook with jupytext.
#
# **Where this version departs from the lesson**, each said again where it happens:
# - the lesson's gradient `np.sum((y − ŷ) * X)` sums over the features too, right only for its
#   one feature; here it is $X^\top(y - \hat{y})$, one entry per feature;
# - its text writes the unscaled weight as a sum over the features (its code, for one feature,
#   is right);
# - its L2 formulas, and what PyTorch's `weight_decay` does instead;
# - three of its stored outputs (the inference, the PyTorch model's unscaled line, the L2
#   model's losses) come from an earlier run; the cells as they stand print other numbers,
#   and this script prints those.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinygrad_lr as tg
from tinygrad_lr.compare import largest_difference
from tinygrad_lr.lesson import data, plots, reference, train
from tinygrad_lr.lesson import linear_regression as linreg

SEED = linreg.SEED  # 1234
NUM_SAMPLES = linreg.NUM_SAMPLES  # 50
LEARNING_RATE = linreg.LEARNING_RATE  # 0.1
NUM_EPOCHS = linreg.NUM_EPOCHS  # 100
L2_LAMBDA = linreg.L2_LAMBDA  # 0.01
torch = train.torch_or_none()
LIBRARIES = {"tinygrad_lr": tg, **({"PyTorch": torch} if torch else {})}
print("PyTorch:", torch.__version__ if torch else "not installed (its column is skipped)")

# %% [markdown]
# ## Data
# `X` is 0, 1, …, 49 and `y = 3.5X + noise`, the noise drawn from $U(-10, 20)$ by NumPy's
# global generator, seeded as the lesson seeds it. The model should find a slope near 3.5 (and
# an intercept near 5, the noise's mean).

# %%
np.random.seed(SEED)
X, y = data.generate_data(NUM_SAMPLES)
print(np.hstack([X, y])[:5])
plots.regression_data(X, y)
plt.show()

# %% [markdown]
# ## Part 1, the lesson's NumPy model
# ### Split and standardise
# Shuffle X and y together (one order for both), then split by index: 70% for training, 15%
# for validation, 15% for testing. Standardise, $z = (x - \mu)/\sigma$, with the training
# split's mean and standard deviation, both X and y: the other splits are data the model must
# not have seen, so their statistics are not used.

# %%
X_shuffled, y_shuffled = data.shuffled(X, y)
s1 = linreg.split_by_index(X_shuffled, y_shuffled)
print(f"X_train: {s1.X_train.shape}, y_train: {s1.y_train.shape}")
print(f"X_val: {s1.X_val.shape}, y_val: {s1.y_val.shape}")
print(f"X_test: {s1.X_test.shape}, y_test: {s1.y_test.shape}")
print(f"test split, X mean: {s1.X_test.mean():.1f}, std: {s1.X_test.std():.1f}")
print(f"test split, y mean: {s1.y_test.mean():.1f}, std: {s1.y_test.std():.1f}")

# %% [markdown]
# ### The model, by hand
# With $N$ rows, one feature and one output:
#
# $$\hat{y} = XW^\top + b, \qquad J = \frac{1}{N}\sum_i (y_i - \hat{y}_i)^2$$
#
# Differentiating, $\partial J/\partial \hat{y}_i = -\frac{2}{N}(y_i - \hat{y}_i)$, and by the
# chain rule
#
# $$\frac{\partial J}{\partial W} = -\frac{2}{N}(y - \hat{y})^\top X, \qquad
# \frac{\partial J}{\partial b} = -\frac{2}{N}\sum_i (y_i - \hat{y}_i).$$
#
# The lesson writes $W$ as $(D, 1)$; here it has PyTorch's `nn.Linear` layout, its transpose
# $(1, D)$, so all three implementations share one. The lesson's code computes the weight's
# gradient as `np.sum((y − ŷ) * X)`, summing over the rows *and* the features: with one feature
# the same number, but with several every weight would get the same gradient.
# `linreg.gradients` keeps one entry per feature.
#
# The lesson first shows one forward pass, loss and update with freshly drawn weights, then
# draws them again for training; both draws are kept, so the random numbers come out in the
# lesson's order.

# %%
W, b = linreg.init_numpy_weights()  # 0.01 · randn(1, 1), b = 0
y_pred = linreg.forward(s1.X_train, W, b)
print(f"y_pred: {y_pred.shape}")
print(f"loss: {linreg.mse(y_pred, s1.y_train):.2f}")
dW, db = linreg.gradients(s1.X_train, y_pred, s1.y_train)
W -= LEARNING_RATE * dW
b -= LEARNING_RATE * db
print("after one step of gradient descent: W", W.ravel(), "b", b)

# %% [markdown]
# ### The same gradient four ways
# At the weights the training starts from: the formulas above; tinygrad_lr's autograd, which
# never sees them (`nn.Linear` is a matmul with $W^\top$ and an add, `MSELoss` a subtraction, a
# square and a mean, and `backward()` applies each op's rule from `tinygrad_lr/ops.py`);
# PyTorch; and central differences, $(J(w + h) - J(w - h))/2h$, which need no calculus at all.

# %%
W0, b0 = linreg.init_numpy_weights()  # the training run starts here


def autograd_gradients(lib, W_start, b_start, split):
    model = lib.nn.Linear(1, 1, dtype=lib.float64)
    model.load_state_dict({"weight": lib.tensor(W_start), "bias": lib.tensor(b_start)})
    loss = lib.nn.MSELoss()(model(lib.tensor(split.X_train)), lib.tensor(split.y_train))
    loss.backward()
    return model.weight.grad.numpy().copy(), model.bias.grad.numpy().copy()


def central_differences(W_at, b_at, split, h=1e-6):
    def loss_at(W_, b_):
        return linreg.mse(linreg.forward(split.X_train, W_, b_), split.y_train)

    grads = []
    for param in (W_at, b_at):
        grad = np.zeros_like(param)
        for i in np.ndindex(param.shape):
            up, down = param.copy(), param.copy()
            up[i] += h
            down[i] -= h
            args_up = (up, b_at) if param is W_at else (W_at, up)
            args_down = (down, b_at) if param is W_at else (W_at, down)
            grad[i] = (loss_at(*args_up) - loss_at(*args_down)) / (2 * h)
        grads.append(grad)
    return grads


by_hand = linreg.gradients(s1.X_train, linreg.forward(s1.X_train, W0, b0), s1.y_train)
sources = {
    "by hand": by_hand,
    **{name: autograd_gradients(lib, W0, b0, s1) for name, lib in LIBRARIES.items()},
    "central differences": central_differences(W0, b0, s1),
}
for name, (gW, gb) in sources.items():
    print(
        f"{name:20s} dJ/dW {gW.ravel()[0]: .12f}  dJ/db {gb[0]: .12f}  "
        f"largest difference from by hand: "
        f"{max(largest_difference(gW, by_hand[0]), largest_difference(gb, by_hand[1])):.1e}"
    )

# %% [markdown]
# ### Training
# Full-batch gradient descent, $W \leftarrow W - \alpha\,\partial J/\partial W$, 100 epochs,
# float64. First by hand, as the lesson writes the loop:

# %%
W, b = W0.copy(), b0.copy()
for epoch_num in range(NUM_EPOCHS):
    y_pred = linreg.forward(s1.X_train, W, b)
    loss = linreg.mse(y_pred, s1.y_train)
    if epoch_num % 10 == 0:
        print(f"NumPy        Epoch: {epoch_num}, loss: {loss:.3f}")
    dW, db = linreg.gradients(s1.X_train, y_pred, s1.y_train)
    W -= LEARNING_RATE * dW
    b -= LEARNING_RATE * db
part1 = {"NumPy": (W, b)}

# %% [markdown]
# Then the loop as PyTorch code writes it: forward, loss, `zero_grad()`, `backward()`,
# `step()`. tinygrad_lr follows PyTorch's names, so the very same lines run on both libraries:
# `lib` is `tinygrad_lr` or `torch`.


# %%
def train_autograd(lib, model, split, optimizer, every, line, dtype):
    loss_fn = lib.nn.MSELoss()
    X_train = lib.tensor(split.X_train.astype(dtype))
    y_train = lib.tensor(split.y_train.astype(dtype))
    for epoch in range(NUM_EPOCHS):
        y_pred = model(X_train)
        loss = loss_fn(y_pred, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % every == 0:
            print(line.format(epoch=epoch, loss=loss.item()))
    return model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy()


for name, lib in LIBRARIES.items():
    model = lib.nn.Linear(1, 1, dtype=lib.float64)
    model.load_state_dict({"weight": lib.tensor(W0), "bias": lib.tensor(b0)})
    optimizer = lib.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    part1[name] = train_autograd(
        lib,
        model,
        s1,
        optimizer,
        10,
        f"{name:12s} Epoch: {{epoch}}, loss: {{loss:.3f}}",
        np.float64,
    )


def compare(weights):
    (W_ref, b_ref), *others = weights.values()
    worst = max(
        max(largest_difference(W_, W_ref), largest_difference(b_, b_ref)) for W_, b_ in others
    )
    print(f"Largest difference between the implementations' final weights: {worst:.1e}")


compare(part1)

# %% [markdown]
# ### Evaluation
# Mean squared error on the (standardised) train and test splits, and the line drawn over
# them.

# %%
for name, (W_, b_) in part1.items():
    train_mse = linreg.mse(linreg.forward(s1.X_train, W_, b_), s1.y_train)
    test_mse = linreg.mse(linreg.forward(s1.X_test, W_, b_), s1.y_test)
    print(f"{name:12s} train_MSE: {train_mse:.2f}, test_MSE: {test_mse:.2f}")
W, b = part1["tinygrad_lr"]
plots.regression_fit(lambda X_: linreg.forward(X_, W, b), s1, "Part 1, tinygrad_lr: ")
plt.show()

# %% [markdown]
# ### Back to the original units
# The weights were fitted to standardised X and y. Writing out
# $(\hat{y} - \mu_y)/\sigma_y = W (x - \mu_x)/\sigma_x + b$ and solving for $\hat{y}$:
#
# $$\hat{y} = \underbrace{W\frac{\sigma_y}{\sigma_x}}_{W_\text{raw}}\,x
# + \underbrace{b\,\sigma_y + \mu_y - W_\text{raw}\,\mu_x}_{b_\text{raw}}$$
#
# With several features each has its own $W_{\text{raw},j} = W_j\sigma_y/\sigma_j$, and
# $b_\text{raw}$ subtracts $\sum_j W_{\text{raw},j}\mu_j$. The lesson's text writes
# $W_\text{unscaled} = \sum_j W_j\sigma_y/\sigma_j$, one number for all the features, which is
# only right when there is one; its code, `W * (y_std/X_std)`, is right. (Its `np.sum` in the
# bias would also merge several outputs' terms; with one output it does not matter.)

# %%
for name, (W_, b_) in part1.items():
    W_raw, b_raw = linreg.unscale(W_, b_, s1.x_mean, s1.x_std, s1.y_mean, s1.y_std)
    lesson_W, lesson_b = linreg.lesson_unscale(W_, b_, s1.x_mean, s1.x_std, s1.y_mean, s1.y_std)
    print(
        f"{name:12s} [model] {linreg.line_text(W_raw, b_raw)}   (W_raw {W_raw[0, 0]:.4f}, "
        f"b_raw {b_raw[0]:.4f}; the lesson's code: {lesson_W[0, 0]:.4f}, {lesson_b[0]:.4f})"
    )
print("[actual] y = 3.5X + noise")

# %% [markdown]
# ## Part 2, the lesson's PyTorch model
# ### Split and standardise with scikit-learn
# This time `train_test_split` twice (70/30, then the 30 halved), which draws from NumPy's
# global generator, and `StandardScaler` fitted on the training split.

# %%
s2 = linreg.split_with_scikit_learn(X_shuffled, y_shuffled)
print(s2.sizes)
print(f"test split, X mean: {s2.X_test.mean():.1f}, std: {s2.X_test.std():.1f}")
print(f"test split, y mean: {s2.y_test.mean():.1f}, std: {s2.y_test.std():.1f}")

# %% [markdown]
# ### The starting weights, drawn by both libraries
# After `manual_seed`, tinygrad_lr draws PyTorch's exact numbers: the lesson's demonstration
# input `randn(3, 1)`, its demonstration layer, then the model's `nn.Linear(1, 1)` (the lesson
# wraps it in a `LinearRegression` module as `fc1`; the layer is all there is to it).

# %%
part2_models = {}
for name, lib in LIBRARIES.items():
    lib.manual_seed(SEED)
    x = lib.randn(3, 1)
    m = lib.nn.Linear(1, 1)
    print(f"{name}: x {x.numpy().ravel()}")
    print(f"{name}: weights {m.weight[0][0]:.2f}, bias {m.bias[0]:.2f}")
    print(f"{name}: z = m(x) {m(x).detach().numpy().ravel()}")
    part2_models[name] = lib.nn.Linear(1, 1)
W1 = part2_models["tinygrad_lr"].weight.detach().numpy().copy()
b1 = part2_models["tinygrad_lr"].bias.detach().numpy().copy()
print("part 2 starts from W", W1.ravel(), "b", b1)

# %% [markdown]
# ### Training with Adam
# Adam keeps running means of each gradient and of its square, $m$ and $v$, and steps by
# $\alpha\,\hat{m}/(\sqrt{\hat{v}} + \epsilon)$ ($\hat{m}$, $\hat{v}$ corrected for starting at
# zero). By hand with the same gradients as before and the textbook Adam
# (`reference.adam_update`), then the PyTorch loop on both libraries, all in float32 as the
# lesson's `torch.Tensor` makes its data. `weight_decay` is part 3's.


# %%
def train_by_hand_adam(W_start, b_start, split, weight_decay=0.0):
    W, b = W_start.astype(np.float32), b_start.astype(np.float32)
    X_train, y_train = split.X_train.astype(np.float32), split.y_train.astype(np.float32)
    states = ({}, {})
    for epoch in range(NUM_EPOCHS):
        y_pred = linreg.forward(X_train, W, b)
        loss = linreg.mse(y_pred, y_train)
        for param, grad, state in zip((W, b), linreg.gradients(X_train, y_pred, y_train), states):
            reference.adam_update(param, grad + weight_decay * param, state, LEARNING_RATE)
        if epoch % 20 == 0:
            print(f"NumPy        Epoch: {epoch} | loss: {loss:.2f}")
    return W, b


part2 = {"NumPy": train_by_hand_adam(W1, b1, s2)}
for name, lib in LIBRARIES.items():
    model = part2_models[name]
    optimizer = lib.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    part2[name] = train_autograd(
        lib,
        model,
        s2,
        optimizer,
        20,
        f"{name:12s} Epoch: {{epoch}} | loss: {{loss:.2f}}",
        np.float32,
    )
compare(part2)

# %% [markdown]
# ### Evaluation, inference and the line in the original units
# A new input is standardised with the training split's statistics, goes through the model,
# and the prediction is taken back to y's units: $\hat{y}\,\sigma_y + \mu_y$. The lesson's stored
# outputs here (42.11, 59.17, 93.30 and `y_hat = 3.4X + 8.0`) are from an earlier run; its cells,
# run in order, print the numbers below.

# %%
X_infer = np.array([[10.0], [15.0], [25.0]], dtype=np.float32)
for name, (W_, b_) in part2.items():
    train_mse = linreg.mse(linreg.forward(s2.X_train.astype(np.float32), W_, b_), s2.y_train)
    test_mse = linreg.mse(linreg.forward(s2.X_test.astype(np.float32), W_, b_), s2.y_test)
    predicted = (
        linreg.forward(((X_infer - s2.x_mean) / s2.x_std).astype(np.float32), W_, b_) * s2.y_std
        + s2.y_mean
    )
    W_raw, b_raw = linreg.unscale(
        W_.astype(np.float64), b_.astype(np.float64), s2.x_mean, s2.x_std, s2.y_mean, s2.y_std
    )
    print(f"{name:12s} train_error: {train_mse:.2f}, test_error: {test_mse:.2f}")
    for x_, p_ in zip(X_infer[:, 0], predicted[:, 0]):
        print(f"{name:12s} {y[int(x_), 0]:.2f} (actual) → {p_:.2f} (predicted)")
    print(f"{name:12s} [model] {linreg.line_text(W_raw, b_raw)}")
W, b = part2["tinygrad_lr"]
plots.regression_fit(
    lambda X_: linreg.forward(X_.astype(np.float32), W, b), s2, "Part 2, tinygrad_lr: "
)
plt.show()

# %% [markdown]
# ## Part 3, L2 regularisation
# An L2 penalty adds $\frac{\lambda}{2}\lVert W\rVert^2$ to the loss, so its gradient gains
# $\lambda W$. The lesson writes $J = \frac{1}{2}\sum_i (X_iW - y_i)^2 + \frac{\lambda}{2}W^\top W$
# and $\partial J/\partial W = X(\hat{y} - y) + \lambda W$, which needs $X^\top$ to have $W$'s
# shape. What its code does is PyTorch's `weight_decay=λ`: $\lambda p$ is added to the gradient of
# the *mean* squared error, for the bias as well as $W$, and then Adam rescales the sum, so this
# is not gradient descent on a penalised loss. The hand-derived loop does exactly that. The
# model is the next `nn.Linear(1, 1)` each library draws.

# %%
part3_models = {name: lib.nn.Linear(1, 1) for name, lib in LIBRARIES.items()}
W2 = part3_models["tinygrad_lr"].weight.detach().numpy().copy()
b2 = part3_models["tinygrad_lr"].bias.detach().numpy().copy()
part3 = {"NumPy": train_by_hand_adam(W2, b2, s2, weight_decay=L2_LAMBDA)}
for name, lib in LIBRARIES.items():
    model = part3_models[name]
    optimizer = lib.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=L2_LAMBDA)
    part3[name] = train_autograd(
        lib,
        model,
        s2,
        optimizer,
        20,
        f"{name:12s} Epoch: {{epoch}} | loss: {{loss:.2f}}",
        np.float32,
    )
compare(part3)
for name, (W_, b_) in part3.items():
    train_mse = linreg.mse(linreg.forward(s2.X_train.astype(np.float32), W_, b_), s2.y_train)
    test_mse = linreg.mse(linreg.forward(s2.X_test.astype(np.float32), W_, b_), s2.y_test)
    print(f"{name:12s} train_error: {train_mse:.2f}, test_error: {test_mse:.2f}")

# %% [markdown]
# ## The same, from the package
# `tinygrad_lr.lesson.linear_regression` holds the three implementations this lesson uses
# (`HandDerived`, `Tinygrad`, `Torch`, each step written once) and `run_lesson`, which repeats
# every draw above in the same order; `tinygrad-lr lesson linear-regression` prints its report.
# Its weights equal the loops' above, and it says which of the notebook's stored outputs this
# run reproduces.

# %%
lesson = linreg.run_lesson()
for part, loops in zip(lesson.parts, (part1, part2, part3)):
    worst = max(
        max(
            largest_difference(run.W, loops[run.name][0]),
            largest_difference(run.b, loops[run.name][1]),
        )
        for run in part.runs
    )
    print(f"Part {part.number}: largest difference from the loops above: {worst:.1e}")
plots.loss_curves(
    {f"Part {part.number}": part.runs for part in lesson.parts}, ylabel="training MSE", log=True
)
plt.show()
print(linreg.published(lesson))
