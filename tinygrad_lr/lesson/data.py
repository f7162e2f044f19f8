"""The lessons' data: loaded from their CSVs with clear errors, or made offline; then split and
standardised.

- the tumours (*Logistic Regression*): `load_tumors` (a local file or a checked download),
  `make_tumors`, and the lesson's `LabelEncoder`. Columns: `leukocyte_count` and
  `blood_pressure` (floats), `tumor_class` ("benign" or "malignant"). The original has 1000
  rows, 611 malignant and 389 benign; it is itself synthetic and has no clinical meaning;
- the spirals (*Neural Networks*): `load_spiral`, `make_spiral`;
- a noisy line (*Linear Regression*): `generate_data`;
- splitting and standardising, for every lesson: `shuffled`, `train_val_test_split`
  (stratified or not), `split_by_index`; `prepare`, a classification's steps, giving
  `Prepared`; `standardized`, a regression's, giving `Standardized`.

Needs pandas and scikit-learn (the project's `lesson` extra).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

FEATURES = ("leukocyte_count", "blood_pressure")
TARGET = "tumor_class"
CLASSES = ("benign", "malignant")

# The lesson's file was removed from the repository's main branch in August 2021, so the
# address the lesson uses no longer serves it; this one is pinned to the commit that added it.
LESSON_URL = (
    "https://raw.githubusercontent.com/GokuMohandas/Made-With-ML/"
    "b9aea43f2889e7fbd018aa46039f68c7774c6121/datasets/tumors.csv"
)
LESSON_SHA256 = "ec648c474f1ef1334a4919cbccfc5834a0b28f179c931a1a768aef05ca0eb0a6"

# Standardising sums squares: scikit-learn's StandardScaler adds up (x - mean)² and squares the
# sum of (x - mean). With |x| < 1e100 the first is below 4e200 per row and the second below
# (2e6 · 1e100)² = 4e212 over a million rows, far from float64's 1.8e308; at 1e200 one value
# already overflows and training runs on NaN. Real leukocyte counts are nowhere near either.
MAX_ABS_FEATURE = 1e100

# prepare() splits 70/30 and then halves the 30, both stratified by class. The rarer class needs
# 2 rows in the 30% for the second split; with 5 rows the first split can keep 4 in training
# (5 · 0.7 = 3.5 rounds up) and leave 1. With 6 (6 · 0.7 = 4.2 → at most 4 kept) every split
# holds every class, whatever the other class's count or the seed (checked with 5 seeds and
# up to 5000 rows).
MIN_ROWS_PER_CLASS = 6

QUOTE_LIMIT = 60  # characters of a value, line or error quoted in a message


class DataError(ValueError):
    """A data file that is not the tumour data set: it names the file and what is wrong."""


def default_cache_dir() -> Path:
    """Where downloads are kept: $TINYGRAD_LR_CACHE, else ~/.cache/tinygrad_lr."""
    return Path(os.environ.get("TINYGRAD_LR_CACHE", Path.home() / ".cache" / "tinygrad_lr"))


def cache_path(url: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the download of `url` is kept: <cache_dir>/<16 hex digits of the address's
    sha256>/<file name>, so two addresses ending in the same file name never share a copy."""
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    name = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name or "download"
    return Path(cache_dir if cache_dir else default_cache_dir()) / key / name


def load_tumors(
    source: str | os.PathLike[str] = LESSON_URL,
    sha256: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Read the tumour CSV from a local path, or from an address (downloaded once into a cache).

    A download is checked against `sha256` (by default the lesson file's checksum when `source`
    is the lesson's address), also when it comes from the cache; a local file only when
    `sha256` is given. Raises `DataError`, naming the file and what is wrong, before anything
    can train on it: a wrong checksum, a missing column or value, an unknown label, a feature
    that is not a finite number below 1e100 in size (`MAX_ABS_FEATURE`: larger ones overflow
    when standardised), or fewer than 6 rows of a class (`MIN_ROWS_PER_CLASS`: the fewest the
    lesson's stratified 70/15/15 split always accepts).
    """
    text = str(source)
    if "://" in text:
        if sha256 is None and text == LESSON_URL:
            sha256 = LESSON_SHA256
        path = _download(text, cache_path(text, cache_dir), sha256)
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no tumour data file at {path}")
        if sha256 is not None:
            _check_sha256(path, sha256)
    return _read_checked(path)


def _clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _quote(value: object) -> str:
    """`value` in quotes, cut short so that a message stays readable."""
    text = str(value)
    if len(text) <= QUOTE_LIMIT:
        return repr(text)
    return f"{text[:QUOTE_LIMIT]!r}... ({len(text)} characters)"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_sha256(path: Path, expected: str) -> None:
    actual = _sha256(path)
    if actual != expected:
        raise DataError(
            f"{path}: sha256 is {actual}, expected {_clip(expected)}; the file is not the "
            "expected data set (or is damaged)"
        )


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[IO[bytes]]:
    """A file to write that replaces `path` only once it is complete and on disk; an error on
    the way leaves `path` as it was and no temporary file behind."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        with open(tmp, "xb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _download(url: str, target: Path, sha256: str | None) -> Path:
    if target.is_file() and (sha256 is None or _sha256(target) == sha256):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with (
        _replacing(target) as out,
        urllib.request.urlopen(url, timeout=60) as response,
    ):
        for chunk in iter(lambda: response.read(1 << 16), b""):
            digest.update(chunk)
            out.write(chunk)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise DataError(
                f"{url}: the downloaded file's sha256 is {digest.hexdigest()}, expected "
                f"{_clip(sha256)}; it was not kept"
            )
    return target


def _read_checked(path: Path) -> pd.DataFrame:
    try:
        # Only an empty cell is missing: "nan" or "NA" is written there, and is judged as text.
        df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a readable CSV file ({_clip(str(error))})") from None
    missing = [c for c in (*FEATURES, TARGET) if c not in df.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; found "
            f"{_quote(', '.join(map(str, df.columns)))}"
        )
    for column in (*FEATURES, TARGET):
        empty = df[column].isna().to_numpy()
        if empty.any():
            row = _file_row(path, int(np.flatnonzero(empty)[0]))
            raise DataError(f"{path}: row {row} has an empty (missing) {column} value")
    for column in FEATURES:
        df[column] = _checked_feature(path, df, column)
    labels = df[TARGET].astype(str)
    unknown = sorted(set(labels) - set(CLASSES))
    if unknown:
        shown = ", ".join(map(_quote, unknown[:3])) + (
            f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        )
        raise DataError(
            f"{path}: unknown {TARGET} label(s) {shown}; expected {' or '.join(CLASSES)}"
        )
    counts = {c: int((labels == c).sum()) for c in CLASSES}
    few = [f"{c} has {n}" for c, n in counts.items() if n < MIN_ROWS_PER_CLASS]
    if few:
        raise DataError(
            f"{path}: {'has no data rows; ' if len(df) == 0 else ''}needs at least "
            f"{MIN_ROWS_PER_CLASS} rows of each class for the lesson's stratified 70/15/15 "
            f"split; {', '.join(few)}"
        )
    return df[[*FEATURES, TARGET]]


def _checked_feature(path: Path, df: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(df[column], errors="coerce").astype(np.float64)
    bad = ~(values.abs() < MAX_ABS_FEATURE).to_numpy()  # NaN, ±inf and huge values
    if not bad.any():
        return values
    i = int(np.flatnonzero(bad)[0])
    written = _written(path, column, i)
    where = f"{path}: {column} must be"
    holds = f"row {_file_row(path, i)} of the file holds {_quote(written)}"
    value = values.iloc[i]
    if np.isnan(value) and written.strip().lower().lstrip("+-") != "nan":
        raise DataError(f"{where} numeric, but {holds}")
    if not np.isfinite(value):
        raise DataError(f"{where} a finite number, but {holds}, which reads as {value}")
    raise DataError(
        f"{where} between -{MAX_ABS_FEATURE:g} and {MAX_ABS_FEATURE:g}, but {holds}; "
        "values that large overflow when the features are standardised"
    )


def _written(path: Path, column: str, index: int) -> str:
    """The cell as written in the file: pandas has already read "1e309" as inf."""
    text = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return str(text[column].iloc[index])


def _file_row(path: Path, index: int) -> int:
    """The line of the file (the header is line 1) that holds data row `index`: pandas skips
    blank lines, so the two can differ."""
    lines = [n for n, text in enumerate(path.read_text().splitlines(), start=1) if text.strip()]
    return lines[index + 1]


# Class-conditional statistics near the original's: mean and std of each feature, and their
# correlation, per class.
_CLASS_STATS = {
    "benign": dict(mean=(17.7, 14.7), std=(1.8, 1.0), corr=0.4),
    "malignant": dict(mean=(13.2, 15.7), std=(2.1, 1.0), corr=0.25),
}


def make_tumors(n: int = 1000, seed: int = 1234, malignant_fraction: float = 0.611) -> pd.DataFrame:
    """A synthetic data set with the original's schema, made offline and deterministic.

    Each class is a 2-D Gaussian near the original's statistics (benign leukocyte count about
    17.7 ± 1.8 and blood pressure 14.7 ± 1.0; malignant 13.2 ± 2.1 and 15.7 ± 1.0; mildly
    correlated), with round(n · malignant_fraction) malignant rows, in shuffled order.
    """
    if n < 2:
        raise ValueError(f"make_tumors needs n >= 2 rows, got {n}")
    rng = np.random.default_rng(seed)
    n_malignant = round(n * malignant_fraction)
    counts = {"benign": n - n_malignant, "malignant": n_malignant}
    parts = []
    for label, count in counts.items():
        stats = _CLASS_STATS[label]
        (s0, s1), rho = stats["std"], stats["corr"]
        cov = [[s0 * s0, rho * s0 * s1], [rho * s0 * s1, s1 * s1]]
        xy = rng.multivariate_normal(stats["mean"], cov, size=count)
        parts.append(pd.DataFrame({FEATURES[0]: xy[:, 0], FEATURES[1]: xy[:, 1], TARGET: label}))
    df = pd.concat(parts, ignore_index=True)
    return df.iloc[rng.permutation(n)].reset_index(drop=True)


class LabelEncoder:
    """The lesson's label encoder: class names to indices (sorted order) and back, saved as JSON.

    scikit-learn has one too; the lesson builds its own on purpose, to show there is no magic.
    """

    def __init__(self, class_to_index: dict[str, int] | None = None) -> None:
        self.class_to_index = dict(class_to_index or {})
        self.index_to_class = {i: c for c, i in self.class_to_index.items()}
        self.classes = list(self.class_to_index)

    def __len__(self) -> int:
        return len(self.class_to_index)

    def __repr__(self) -> str:
        return f"<LabelEncoder(num_classes={len(self)})>"

    def fit(self, y: np.ndarray) -> LabelEncoder:
        self.__init__({str(c): i for i, c in enumerate(np.unique(y))})
        return self

    def encode(self, y: np.ndarray) -> np.ndarray:
        unknown = sorted(set(map(str, y)) - set(self.class_to_index))
        if unknown:
            raise ValueError(f"unknown class(es) {unknown}; the encoder knows {self.classes}")
        return np.array([self.class_to_index[str(c)] for c in y], dtype=np.int64)

    def decode(self, y: np.ndarray) -> list[str]:
        return [self.index_to_class[int(i)] for i in y]

    def save(self, fp: str | os.PathLike[str]) -> None:
        """Write the encoder as JSON. The old file is replaced only once the new one is
        complete and on disk, so a crash or a full disk never leaves half a file."""
        text = json.dumps({"class_to_index": self.class_to_index}, indent=4)
        with _replacing(Path(fp)) as out:
            out.write(text.encode())

    @classmethod
    def load(cls, fp: str | os.PathLike[str]) -> LabelEncoder:
        """Read an encoder written by `save`; anything else raises `DataError` naming the file."""
        path = Path(fp)
        try:
            content = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise DataError(
                f"{path}: not a label encoder file: not JSON ({_clip(str(error))})"
            ) from None
        return cls(_checked_class_to_index(path, content))


def _checked_class_to_index(path: Path, content: object) -> dict[str, int]:
    """The saved mapping, in index order, if it maps class names to 0, 1, ..., K-1."""
    mapping = content.get("class_to_index") if isinstance(content, dict) else None
    if not isinstance(mapping, dict) or set(content) != {"class_to_index"}:
        raise DataError(
            f'{path}: not a label encoder file: expected {{"class_to_index": {{class name: '
            f"index, ...}}}}, found {_quote(json.dumps(content))}"
        )
    for name, index in mapping.items():
        if type(index) is not int:  # bool is an int to Python, not an index
            raise DataError(
                f"{path}: class {_quote(name)} has index {_quote(json.dumps(index))}; "
                "indices must be integers"
            )
    by_index: dict[int, str] = {}
    for name, index in mapping.items():
        if index in by_index:
            raise DataError(
                f"{path}: classes {_quote(by_index[index])} and {_quote(name)} share index "
                f"{index}; each class needs its own"
            )
        by_index[index] = name
    if sorted(by_index) != list(range(len(by_index))):
        raise DataError(
            f"{path}: class indices must be 0 to {len(by_index) - 1}, one each; found "
            f"{_quote(sorted(by_index))}"
        )
    return {by_index[i]: i for i in range(len(by_index))}


# --- the spirals (Neural Networks) ---------------------------------------------------------------
SPIRAL_COLUMNS = ("X1", "X2", "color")


def load_spiral(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the lesson's spiral.csv (columns X1, X2, color). Raises `DataError`, naming the
    file, when it cannot be read or has other columns."""
    try:
        df = pd.read_csv(path, header=0)
    except (OSError, ValueError) as error:  # missing, unreadable, a folder, not a CSV
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise DataError(f"{path}: cannot read the spiral CSV ({reason})") from None
    if list(df.columns) != list(SPIRAL_COLUMNS):
        raise DataError(f"{path}: expected the columns X1,X2,color, got {list(df.columns)}")
    return df


def make_spiral(seed: int = 1234, per_class: int = 500) -> pd.DataFrame:
    """Offline spiral data like the lesson's CSV: three arms, radius r from 0 to 1, angle
    t = 4j … 4(j + 1) plus N(0, 0.2²) noise, (X1, X2) = (r sin t, r cos t); arms j = 0, 1, 2 are
    labelled c1, c3, c2 as in the CSV. Drawn from its own generator, not NumPy's global one."""
    rng = np.random.RandomState(seed)
    frames = []
    for j, label in enumerate(("c1", "c3", "c2")):
        r = np.linspace(0.0, 1, per_class)
        t = np.linspace(j * 4, (j + 1) * 4, per_class) + rng.randn(per_class) * 0.2
        frames.append(pd.DataFrame({"X1": r * np.sin(t), "X2": r * np.cos(t), "color": label}))
    return pd.concat(frames, ignore_index=True)


# --- a line (Linear Regression) ------------------------------------------------------------------
def generate_data(num_samples: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """The *Linear Regression* lesson's data, under its name: X = 0, 1, …, N − 1 and
    y = 3.5X + noise drawn from U(−10, 20) by NumPy's global generator; both as columns (N, 1),
    float64."""
    X = np.arange(num_samples, dtype=np.float64)
    y = 3.5 * X + np.random.uniform(-10, 20, size=num_samples)
    return X[:, None], y[:, None]


# --- splitting and standardising -----------------------------------------------------------------
def shuffled(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X and y in one random order (NumPy's global generator), the same for both."""
    indices = list(range(len(X)))
    np.random.shuffle(indices)
    return X[indices], y[indices]


def train_val_test_split(
    X: np.ndarray, y: np.ndarray, train_size: float = 0.7, stratify: bool = False
) -> list[np.ndarray]:
    """[X_train, X_val, X_test, y_train, y_val, y_test]: scikit-learn's `train_test_split`
    keeps `train_size` for training and halves the rest, drawing from NumPy's global generator
    (as the lessons do). Stratified, every split keeps the classes' proportions of `y`: with a
    plain random split a small test set can by chance hold too few of a rarer class."""
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=train_size, stratify=y if stratify else None
    )
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest, y_rest, train_size=0.5, stratify=y_rest if stratify else None
    )
    return [X_train, X_val, X_test, y_train, y_val, y_test]


def split_by_index(
    X: np.ndarray, y: np.ndarray, train_size: float = 0.7, val_size: float = 0.15
) -> list[np.ndarray]:
    """[X_train, X_val, X_test, y_train, y_val, y_test]: the first `train_size` of the rows for
    training, the next `val_size` for validation, the rest for testing (shuffle first)."""
    train_end = int(train_size * len(X))
    val_end = int((train_size + val_size) * len(X))
    rows = (slice(None, train_end), slice(train_end, val_end), slice(val_end, None))
    return [X[r] for r in rows] + [y[r] for r in rows]


@dataclass
class Splits:
    """Training, validation and test splits of inputs X and targets y."""

    X_train: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


@dataclass
class Prepared(Splits):
    """A classification's splits, encoded and standardised, the raw (unstandardised) train and
    test inputs, and what was learned from the training split: the label encoder, the scaler
    and the class weights."""

    raw_train: np.ndarray
    raw_test: np.ndarray
    encoder: LabelEncoder
    scaler: StandardScaler
    class_weights: np.ndarray

    @property
    def classes(self) -> list[str]:
        return self.encoder.classes


def prepare(
    df: pd.DataFrame,
    features: Sequence[str],
    target: str,
    train_size: float = 0.7,
    rounded_to: Any = None,
) -> Prepared:
    """A classification's steps, drawing from NumPy's global generator in the lessons' order:
    shuffle the rows, split stratified (`train_val_test_split`), encode the labels, weight each
    class by 1 / its count in the training split (rarer classes count more in the loss), and
    standardise the inputs with the training split's mean and standard deviation (the other
    splits stand for data the model has never seen). `rounded_to` float32 rounds the
    standardised inputs as float32 tensors would hold them (kept as float64)."""
    df = df.sample(frac=1).reset_index(drop=True)
    X, y = df[list(features)].to_numpy(), df[target].to_numpy()
    X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
        X, y, train_size, stratify=True
    )
    encoder = LabelEncoder().fit(y_train)
    y_train, y_val, y_test = (encoder.encode(v) for v in (y_train, y_val, y_test))
    class_weights = 1.0 / np.bincount(y_train)
    scaler = StandardScaler().fit(X_train)
    standardised = [scaler.transform(v) for v in (X_train, X_val, X_test)]
    if rounded_to is not None:
        standardised = [v.astype(rounded_to).astype(np.float64) for v in standardised]
    return Prepared(
        *standardised, y_train, y_val, y_test, X_train, X_test, encoder, scaler, class_weights
    )


@dataclass
class Standardized(Splits):
    """A regression's splits with X (N, D) and y (N, O) both standardised, the raw test inputs,
    and the training split's mean and standard deviation of X (D,) and y (O,), which
    standardised every split."""

    X_test_raw: np.ndarray
    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: np.ndarray
    y_std: np.ndarray


def standardized(splits: list[np.ndarray], scikit_learn: bool = False) -> Standardized:
    """`splits` ([X_train, X_val, X_test, y_train, y_val, y_test]) with X and y standardised,
    z = (v − μ)/σ, by the training split's mean and standard deviation (ddof 0): NumPy's `mean`
    and `std`, or with `scikit_learn` its `StandardScaler` (the same statistics, summed in
    another order)."""
    X_train, X_val, X_test, y_train, y_val, y_test = splits
    if scikit_learn:
        x_scaler, y_scaler = StandardScaler().fit(X_train), StandardScaler().fit(y_train)
        x_mean, x_std, y_mean, y_std = (
            x_scaler.mean_,
            x_scaler.scale_,
            y_scaler.mean_,
            y_scaler.scale_,
        )
    else:
        x_mean, x_std = X_train.mean(axis=0), X_train.std(axis=0)
        y_mean, y_std = y_train.mean(axis=0), y_train.std(axis=0)
    xs = [(X - x_mean) / x_std for X in (X_train, X_val, X_test)]
    ys = [(y - y_mean) / y_std for y in (y_train, y_val, y_test)]
    return Standardized(*xs, *ys, X_test, x_mean, x_std, y_mean, y_std)
