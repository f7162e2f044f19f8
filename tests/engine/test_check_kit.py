"""The check_op kit: right backward rules pass across shapes and dtypes; subtly wrong ones are
caught, and the failure names the input, the shape case, the dtype, the three values and the
op where the gradient first went wrong, with a reproducer that fails the same way."""

import sys

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import ops
from tinygrad_lr.autograd import Function
from tinygrad_lr.testing import assert_op_kit, check_op, check_op_kit


# --- ops of our own, right ---------------------------------------------------------------------
class MyMul(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, grad * x


class MyMatMul(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x @ y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad @ y.T, x.T @ grad


class MyLogSoftmax(Function):
    @staticmethod
    def forward(ctx, x):
        shifted = x - x.amax(dim=-1, keepdim=True)
        z = shifted - shifted.exp().sum(dim=-1, keepdim=True).log()
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad - z.exp() * grad.sum(dim=-1, keepdim=True)


MATMUL_SHAPES = {"rectangular": ((3, 4), (4, 2)), "square": ((4, 4), (4, 4))}
LARGE_LOGITS = {"shapes": {"large logits": (3, 5)}, "low": 50.0, "high": 150.0}


# --- and subtly wrong ---------------------------------------------------------------------------
class MeanReducedMul(MyMul):
    """Sums y's broadcast copies by averaging them: right only where y was not broadcast."""

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        gy = grad * x
        while gy.ndim > y.ndim:
            gy = gy.mean(dim=0)
        return grad * y, gy


class TransposedMatMul(MyMatMul):
    """dX = G @ Y instead of G @ Yᵀ: the shapes only agree when Y is square."""

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad @ y, x.T @ grad


class Float64Exp(Function):
    """Computes in float64 and forgets to cast back: right in float64, wrong dtype in float32."""

    @staticmethod
    def forward(ctx, x):
        z = x.double().exp()
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * z


class OverflowingLogSoftmax(MyLogSoftmax):
    """Recomputes softmax from the raw x in backward: exp(x) overflows float32 above ~88.7."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return MyLogSoftmax.forward(ctx, x)

    @staticmethod
    def backward(ctx, grad):
        e = ctx.x.exp()
        return grad - e / e.sum(dim=-1, keepdim=True) * grad.sum(dim=-1, keepdim=True)


class ScaledExp(Function):
    @staticmethod
    def forward(ctx, x):
        z = x.exp()
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * z * 1.01


class NaNGradient(MyMul):
    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y * float("nan"), grad * x


# --- right rules pass ----------------------------------------------------------------------------
def softplus_of_product(x, y):
    return (MyMul.apply(x, y).exp() + 1).log()


RIGHT = {
    "mul": (MyMul.apply, lambda x, y: x * y, {}),
    "composition": (softplus_of_product, lambda x, y: (x * y).exp().add(1).log(), {}),
    "matmul": (MyMatMul.apply, lambda x, y: x @ y, {"shapes": MATMUL_SHAPES}),
    "log-softmax": (MyLogSoftmax.apply, lambda x: x.log_softmax(-1), {}),
    "log-softmax-large": (MyLogSoftmax.apply, lambda x: x.log_softmax(-1), LARGE_LOGITS),
    "softplus": (lambda x: (x.exp() + 1).log(), None, {}),
    "range": (lambda x: x.log().sqrt(), None, {"low": 1.5, "high": 4.0}),
    "positive": (lambda x: x.sqrt(), None, {"positive": True}),
}


@pytest.mark.parametrize("fn, torch_fn, options", RIGHT.values(), ids=RIGHT.keys())
def test_a_right_rule_passes_every_shape_case_in_both_dtypes(fn, torch_fn, options):
    report = check_op_kit(fn, torch_fn=torch_fn, **options)
    assert report.passed, str(report)
    assert report.cases_run >= 2 and "passes" in str(report)


def test_the_default_sweep_covers_scalars_rows_columns_and_size_1_dims():
    report = assert_op_kit(MyMul, torch_fn=lambda x, y: x * y)  # the class or its .apply
    assert report.cases_run == 2 * 10  # ten broadcast pairs, float64 and float32
    assert report.name == "MyMul.apply"


def test_integer_labels_and_inputs_without_gradient_are_passed_as_given():
    labels = np.array([0, 2, 1, 1, 0])

    def loss(X, W, y):
        return -(X @ W).log_softmax(dim=-1).gather(1, y.unsqueeze(1)).mean()

    report = check_op_kit(
        loss, shapes={"the lesson's": ((5, 2), (2, 3), labels)}, requires_grad=(False, True, False)
    )
    assert report.passed, str(report)
    assert report.inputs == ["X (input 0)", "W (input 1)", "y (input 2)"]


# --- subtly wrong rules are caught, named ---------------------------------------------------------
def _first_gradient_failure(report, case):
    return next(f for f in report.failures if case in f.case and f.what.startswith("gradient"))


def test_a_wrong_broadcasting_reduction_is_caught_in_the_broadcast_cases():
    report = check_op_kit(MeanReducedMul.apply, torch_fn=lambda x, y: x * y)
    assert not report.passed
    failed = {f.case.split("'")[1] for f in report.failures}
    assert {"full and row", "full and scalar", "size-1 dims"} <= failed
    assert "same shape" not in failed and "scalar and full" not in failed
    failure = _first_gradient_failure(report, "full and row")
    assert failure.what == "gradient of input 1 (y)"
    assert failure.case == "'full and row' (x (3, 4), y (4,))"
    message = str(report)
    assert "gradient of input 1 (y) in case 'full and scalar' (x (3, 4), y ()), float64" in message
    assert "first diverges at MeanReducedMul (node 1 of 1, input 1)" in message


def test_a_transposed_matmul_gradient_is_caught_in_the_square_case():
    report = check_op_kit(TransposedMatMul.apply, torch_fn=lambda x, y: x @ y, shapes=MATMUL_SHAPES)
    rectangular = [f for f in report.failures if "rectangular" in f.case]
    assert rectangular and all(f.what == "error in backward" for f in rectangular)
    assert rectangular[0].raised_in == "TransposedMatMul (node 1 of 1)"
    failure = _first_gradient_failure(report, "square")
    assert failure.what == "gradient of input 0 (x)" and failure.dtype == "float64"
    assert set(failure.values) == {"tinygrad_lr autograd", "PyTorch", "finite differences"}
    assert failure.values["PyTorch"] == pytest.approx(failure.values["finite differences"])
    assert failure.values["tinygrad_lr autograd"] != pytest.approx(failure.values["PyTorch"])
    assert failure.diverged_at.startswith("TransposedMatMul (node 1 of 1, input 0)")


def test_computing_in_float64_without_casting_back_fails_only_in_float32():
    report = check_op_kit(Float64Exp.apply, torch_fn=lambda x: x.exp())
    assert report.failures and {f.dtype for f in report.failures} == {"float32"}
    assert {f.what for f in report.failures} == {"output dtype"}
    assert "the output is float64, PyTorch's is float32" in str(report)


def test_exp_overflowing_without_the_max_trick_fails_only_in_float32():
    report = check_op_kit(
        OverflowingLogSoftmax.apply, torch_fn=lambda x: x.log_softmax(-1), **LARGE_LOGITS
    )
    assert report.failures and {f.dtype for f in report.failures} == {"float32"}
    failure = report.failures[0]
    assert failure.what == "gradient of input 0 (x)" and failure.case.startswith("'large logits'")
    assert np.isnan(failure.values["tinygrad_lr autograd"])
    assert failure.diverged_at.startswith(
        "OverflowingLogSoftmax (node 1 of 1, input 0): it sent nan"
    )


def test_an_off_by_a_factor_rule_is_caught_in_every_case_by_both_references():
    report = check_op_kit(ScaledExp.apply, torch_fn=lambda x: x.exp())
    assert report.cases_run == 12 and len(report.failures) == 12
    for failure in report.failures:
        got, torch, numeric = failure.values.values()
        assert got == pytest.approx(1.01 * torch, rel=1e-5) and torch == pytest.approx(numeric)


def test_a_wrong_rule_inside_a_composition_is_found_among_the_ops():
    def fn(x, y):
        return (ScaledExp.apply(x * y).sum(dim=-1) + 1).log()

    report = check_op_kit(fn, torch_fn=lambda x, y: ((x * y).exp().sum(dim=-1) + 1).log())
    failure = _first_gradient_failure(report, "same shape")
    assert failure.diverged_at.startswith("ScaledExp (node 4 of 5, input 0)")


def test_a_broken_engine_op_is_named_in_a_plain_composition(monkeypatch):
    right = ops.Exp.backward
    monkeypatch.setattr(ops.Exp, "backward", staticmethod(lambda ctx, g: right(ctx, g) * 1.01))
    report = check_op_kit(lambda x: (x.exp().sum(dim=-1) + 1).log(), shapes=[(3, 4)])
    assert report.failures[0].diverged_at.startswith(
        "Exp (node 4 of 4, input 0)"
    )  # Log, Add, Sum, Exp


def test_a_nan_gradient_is_a_failure_never_a_pass():
    report = check_op_kit(NaNGradient.apply, torch_fn=lambda x, y: x * y, shapes=[((3,), (3,))])
    assert not report.passed
    assert np.isnan(report.failures[0].values["tinygrad_lr autograd"])


def test_inputs_outside_the_domain_fail_and_say_how_to_choose_it():
    report = check_op_kit(lambda x: x.log(), shapes=[(5,)])
    assert not report.passed
    assert "NaN in the PyTorch output: the inputs are outside fn's domain" in str(report)
    assert "positive=True" in str(report)


def test_the_failure_message_names_everything_and_its_reproducer_fails_the_same_way():
    report = check_op_kit(TransposedMatMul.apply, torch_fn=lambda x, y: x @ y, shapes=MATMUL_SHAPES)
    message = str(report)
    for part in (
        "TransposedMatMul.apply FAILED",
        "gradient of input 0 (x) in case 'square' (x (4, 4), y (4, 4)), float64",
        "first differs at element (0, 0)",
        "tinygrad_lr autograd",
        "PyTorch",
        "finite differences",
        "first diverges at TransposedMatMul (node 1 of 1, input 0)",
        "error in backward in case 'rectangular' (x (3, 4), y (4, 2)), float64",
        "def test_",
    ):
        assert part in message, part
    reproducer = report.reproducer
    assert "shapes=[((3, 4), (4, 2))]" in reproducer and 'dtypes=["float64"]' in reproducer
    assert "seed=0" in reproducer and "torch_fn=lambda x, y: x @ y" in reproducer
    namespace = {}
    exec(compile(reproducer, "reproducer", "exec"), namespace)
    test = next(v for k, v in namespace.items() if k.startswith("test_"))
    with pytest.raises(AssertionError, match="error in backward in case 'shapes'"):
        test()


def test_assert_op_kit_raises_with_the_report():
    with pytest.raises(AssertionError, match=r"gradient of input 0 \(x\) in case 'scalar'"):
        assert_op_kit(ScaledExp.apply, torch_fn=lambda x: x.exp(), dtypes=["float64"])


def test_without_pytorch_central_differences_still_decide_and_a_note_says_so(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    passed = assert_op_kit(MyMul.apply)
    assert "PyTorch is not installed" in capsys.readouterr().out
    assert "against central differences" in str(passed) and "PyTorch and" not in str(passed)
    wrong = check_op_kit(ScaledExp.apply)
    assert not wrong.passed and "PyTorch is not installed" in str(wrong)
    assert set(wrong.failures[0].values) == {"tinygrad_lr autograd", "finite differences"}
    assert not check_op_kit(Float64Exp.apply).passed  # the dtype is held to the inputs'


def test_shapes_a_function_refuses_are_left_out_with_a_note():
    report = check_op_kit(lambda x: x.sum(dim=1))
    assert report.passed
    assert any("case 'scalar' (x ()) left out" in note for note in report.skipped)


def test_the_classic_check_op_call_still_works():
    check_op(lambda x: (x.exp() + 1).log(), (3, 4))
    check_op(lambda x, y: MyMul.apply(x, y), (3, 4), (4,), torch_fn=lambda x, y: x * y)
    assert tg.testing.check_op is check_op


class ExpDetachedRule(tg.autograd.Function):
    """Right first derivative, but the rule detaches what it saved: its own derivative is lost,
    so the second derivative comes out wrong (zero) where PyTorch's is eˣ."""

    @staticmethod
    def forward(ctx, x):
        result = x.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * result.detach()


class ExpRule(ExpDetachedRule):
    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * result


def test_second_order_passes_a_differentiable_rule_and_catches_a_detached_one():
    good = check_op_kit(ExpRule, torch_fn=lambda x: x.exp(), second_order=True)
    assert good.passed, str(good)
    assert check_op_kit(ExpDetachedRule, torch_fn=lambda x: x.exp()).passed  # first order: fine
    bad = check_op_kit(ExpDetachedRule, torch_fn=lambda x: x.exp(), second_order=True)
    assert not bad.passed
    text = str(bad)
    assert "second derivative of input 0" in text
    assert "PyTorch" in text and "finite differences of the first derivative" in text


def test_second_order_of_a_composition_against_pytorch():
    report = check_op_kit(lambda x, y: (x * y).tanh() + x.exp() * y, second_order=True)
    assert report.passed, str(report)
