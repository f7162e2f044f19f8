"""A lesson written for PyTorch, run twice: once on PyTorch, once with tinygrad_lr in `torch`'s
place. Both runs must print the same text, line for line.

The script below uses what the Made With ML notebooks use, in their order of appearance:
seeding, tensors from NumPy, a module with `nn.Linear`, `F.relu`, `nn.Dropout` and `nn.init`,
its printout and `named_parameters`, `CrossEntropyLoss` with class weights, `Adam` with
`weight_decay`, a training loop that prints `f"{loss:.2f}"`, accuracy from `torch.eq(...)`,
`F.softmax` at inference, `.detach().numpy()`, `.data`, and torchsummary's table. The swap is
done as a learner would do it, before anything imports `torch`.
"""

import subprocess
import sys

import pytest

LESSON = """
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from torch.nn import init
from torch.optim import Adam

SEED = 1234
np.random.seed(SEED)
torch.manual_seed(SEED)

# three noisy blobs, made here
centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
y_np = np.repeat(np.arange(3), 40)
X_np = centres[y_np] + 0.9 * np.random.randn(120, 2)
X = torch.from_numpy(X_np).float()
y = torch.LongTensor(y_np)
print(X[:3])
print(y.shape, y.dtype == torch.int64, X.dtype == torch.float32)  # dtypes print as NumPy names

class MLP(nn.Module):
    def __init__(self, input_dim, hidden_dim, dropout_p, num_classes):
        super(MLP, self).__init__()
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.dropout = nn.Dropout(dropout_p)
        self.fc2 = nn.Linear(hidden_dim, num_classes)

    def init_weights(self):
        init.xavier_normal_(self.fc1.weight, gain=init.calculate_gain("relu"))

    def forward(self, x_in, apply_softmax=False):
        z = F.relu(self.fc1(x_in))
        z = self.dropout(z)
        y_pred = self.fc2(z)
        if apply_softmax:
            y_pred = F.softmax(y_pred, dim=1)
        return y_pred

model = MLP(input_dim=2, hidden_dim=8, dropout_p=0.1, num_classes=3)
model.init_weights()
print(model.named_parameters)
print(model.fc1.weight)
for name, param in model.named_parameters():
    print(name, tuple(param.shape), param.requires_grad)

counts = np.bincount(y_np)
class_weights = torch.Tensor(1.0 / counts * counts.max())
loss_fn = nn.CrossEntropyLoss(weight=class_weights)
optimizer = Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)

def accuracy_fn(y_pred, y_true):
    n_correct = torch.eq(y_pred, y_true).sum().item()
    return (n_correct / len(y_pred)) * 100

for epoch in range(30):
    y_pred = model(X)
    loss = loss_fn(y_pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 5 == 0:
        predictions = y_pred.max(dim=1)[1]
        print(f"Epoch: {epoch} | loss: {loss:.4f}, accuracy: {accuracy_fn(predictions, y):.1f}")

model.eval()
y_prob = model(torch.Tensor([[0.1, 1.9], [2.2, -0.8]]), apply_softmax=True)
prob, cls = y_prob.max(dim=1)
print(np.round(y_prob.detach().numpy(), 4))
print(f"class {cls[0].item()} with probability {prob.detach().numpy()[0] * 100.0:.0f}%")
print(np.round(model.fc2.bias.data.numpy(), 4))

from torchsummary import summary
summary(model, input_size=(2,))
print(torch.rand(2))
"""


def _run(swap: str) -> str:
    script = swap + LESSON
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.usefixtures("torch_bernoulli_uses_mersenne_twister")  # the lesson has dropout
def test_a_lesson_prints_the_same_with_tinygrad_lr_in_torchs_place(swap_torch):
    pytest.importorskip("torch")
    pytest.importorskip("torchsummary")
    theirs, ours = _run(""), _run(swap_torch)
    assert "Epoch: 25 | loss:" in theirs and "Total params: 51" in theirs
    for number, (our_line, their_line) in enumerate(
        zip(ours.splitlines(), theirs.splitlines(), strict=True), start=1
    ):
        assert our_line == their_line, f"line {number}"
