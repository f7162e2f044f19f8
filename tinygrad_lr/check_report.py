"""What the gradient-parity kit checks and what it says: the shape cases it sweeps, the
tolerances per dtype, and its report (`KitReport`, made of `CaseFailure`s)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tolerance:
    """|ours − reference| ≤ atol + rtol·|reference|: against PyTorch, and against central
    differences (computed in float64, so looser for float32, whose rounding is then compared)."""

    rtol: float
    atol: float
    fd_rtol: float
    fd_atol: float


TOLERANCES = {
    "float64": Tolerance(rtol=1e-10, atol=1e-10, fd_rtol=1e-3, fd_atol=1e-5),
    "float32": Tolerance(rtol=1e-4, atol=1e-5, fd_rtol=1e-3, fd_atol=1e-4),
}

UNARY_CASES: dict[str, tuple[tuple[int, ...], ...]] = {
    "scalar": ((),),
    "vector": ((5,),),
    "row": ((1, 4),),
    "column": ((3, 1),),
    "full": ((3, 4),),
    "size-1 dims": ((2, 1, 4),),
}
BINARY_CASES: dict[str, tuple[tuple[int, ...], ...]] = {
    "same shape": ((3, 4), (3, 4)),
    "scalar and full": ((), (3, 4)),
    "full and scalar": ((3, 4), ()),
    "full and row": ((3, 4), (4,)),
    "row and full": ((1, 4), (3, 4)),
    "full and column": ((3, 4), (3, 1)),
    "column and row": ((3, 1), (1, 4)),
    "square and column": ((4, 4), (4, 1)),
    "size-1 dims": ((2, 1, 4), (3, 1)),
    "two scalars": ((), ()),
}


SHOWN, LISTED = 4, 8  # failures a report shows in full, then as one line each

DOMAIN = "the inputs are outside fn's domain: choose another (positive=True, or low=, high=)"


def shape_cases(arity: int) -> dict[str, tuple[tuple[int, ...], ...]]:
    """The default sweep: named cases, each one shape per input, broadcastable together."""
    if arity == 1:
        return dict(UNARY_CASES)
    if arity == 2:
        return dict(BINARY_CASES)
    cases = {"same shape": ((3, 4),) * arity}
    for kind, shape in (("scalar", ()), ("row", (4,)), ("column", (3, 1))):
        for i in range(arity):
            cases[f"{kind} input {i}"] = tuple(shape if j == i else (3, 4) for j in range(arity))
    cases["size-1 dims"] = ((2, 1, 4),) + ((3, 1),) * (arity - 1)
    return cases


@dataclass
class CaseFailure:
    """One thing wrong in one shape case and dtype."""

    case: str  # "row and full: x (1, 4), y (3, 4)"
    dtype: str
    what: str  # "gradient of input 1 (y)", "output value", "error in backward", ...
    detail: str  # the rest of the message
    element: tuple[int, ...] | None = None
    values: dict[str, float] = field(default_factory=dict)  # autograd / PyTorch / differences
    diverged_at: str | None = None  # the first node whose rule is wrong ("MyMul (node 3 of 7, …")
    raised_in: str | None = None  # the node whose backward raised the error
    error: BaseException | None = None

    @property
    def not_implemented(self) -> bool:
        return isinstance(self.error, NotImplementedError)

    @property
    def hint(self) -> str:
        """One line: the case, the dtype, what differs, where."""
        where = f" at element {self.element}" if self.element is not None else ""
        if self.raised_in:
            where += f" of {self.raised_in}"
        values = ", ".join(f"{k} {v:.6g}" for k, v in self.values.items())
        return f"case {self.case}, {self.dtype}: {self.what}{where}" + (
            f": {values}" if values else f": {self.detail.splitlines()[0]}"
        )

    def __str__(self) -> str:
        lines = [f"{self.what} in case {self.case}, {self.dtype}:", f"  {self.detail}"]
        if self.values:
            width = max(map(len, self.values))
            lines += [f"    {k:<{width}}  {v!r}" for k, v in self.values.items()]
        if self.diverged_at:
            lines.append(f"  first diverges at {self.diverged_at}")
        if self.raised_in:
            lines.append(f"  raised in the backward of {self.raised_in}")
        return "\n".join(lines)


@dataclass
class KitReport:
    """What `check_op_kit` found: `passed`, `failures`, the cases run and skipped, notes."""

    name: str
    inputs: list[str]
    with_torch: bool = True  # whether PyTorch was a reference
    failures: list[CaseFailure] = field(default_factory=list)
    cases_run: int = 0
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reproducer: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures and self.cases_run > 0

    def __str__(self) -> str:
        head = [*self.notes, *self.skipped]
        if self.passed:
            return "\n".join(
                [
                    *head,
                    f"check_op_kit: {self.name} passes in {self.cases_run} runs (shape cases × "
                    f"dtypes): "
                    f"the value and the gradient of {', '.join(self.inputs)} against "
                    + ("PyTorch and " if self.with_torch else "")
                    + "central differences",
                ]
            )
        if not self.failures:
            return "\n".join([*head, f"check_op_kit: {self.name}: no shape case could run"])
        lines = [*head, f"check_op_kit: {self.name} FAILED ({len(self.failures)} problems)"]
        shown: list[CaseFailure] = []
        more: list[CaseFailure] = []
        errors: set[str] = set()
        for failure in self.failures:
            if failure.error is not None:  # one error raised in every case is said once
                key = f"{failure.what}: {failure.detail}"
                if key in errors:
                    more.append(failure)
                    continue
                errors.add(key)
            (shown if len(shown) < SHOWN else more).append(failure)
        lines += [str(f) for f in shown]
        if more:
            lines.append(f"and {len(more)} more:")
            lines += [f"  {f.hint}" for f in more[:LISTED]]
            if len(more) > LISTED:
                lines.append(f"  ... ({len(more) - LISTED} not listed)")
        if self.reproducer:
            lines += ["", "Reproduce the first failure (paste into a test file):", self.reproducer]
        return "\n".join(lines)
