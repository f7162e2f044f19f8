"""The lesson's tumour data set: load the original CSV, or make a synthetic one offline.

Columns: `leukocyte_count` and `blood_pressure` (floats), `tumor_class` ("benign" or
"malignant"). The original has 1000 rows, 611 malignant and 389 benign; it is itself synthetic
and has no clinical meaning. Needs pandas (the project's `lesson` extra).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

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


class DataError(ValueError):
    """A data file that is not the tumour data set: it names the file and what is wrong."""


def default_cache_dir() -> Path:
    """Where downloads are kept: $TINYGRAD_LR_CACHE, else ~/.cache/tinygrad_lr."""
    return Path(os.environ.get("TINYGRAD_LR_CACHE", Path.home() / ".cache" / "tinygrad_lr"))


def load_tumors(
    source: str | os.PathLike[str] = LESSON_URL,
    sha256: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Read the tumour CSV from a local path, or from an address (downloaded once into a cache).

    A download is checked against `sha256` (by default the lesson file's checksum when `source`
    is the lesson's address); a local file only when `sha256` is given. A wrong checksum, a
    missing column, a non-numeric value or an unknown label raises `DataError` naming the file.
    """
    text = str(source)
    if "://" in text:
        if sha256 is None and text == LESSON_URL:
            sha256 = LESSON_SHA256
        path = _download(text, Path(cache_dir) if cache_dir else default_cache_dir(), sha256)
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no tumour data file at {path}")
        if sha256 is not None:
            _check_sha256(path, sha256)
    return _read_checked(path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_sha256(path: Path, expected: str) -> None:
    actual = _sha256(path)
    if actual != expected:
        raise DataError(
            f"{path}: sha256 is {actual}, expected {expected}; the file is not the "
            "expected data set (or is damaged)"
        )


def _download(url: str, cache_dir: Path, sha256: str | None) -> Path:
    target = cache_dir / Path(url.split("?")[0]).name
    if target.is_file() and (sha256 is None or _sha256(target) == sha256):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, out)
        if sha256 is not None:
            actual = _sha256(Path(tmp))
            if actual != sha256:
                raise DataError(
                    f"{url}: the downloaded file's sha256 is {actual}, expected "
                    f"{sha256}; it was not kept"
                )
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def _read_checked(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a readable CSV file ({error})") from None
    missing = [c for c in (*FEATURES, TARGET) if c not in df.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; found "
            f"{', '.join(map(str, df.columns))}"
        )
    for column in (*FEATURES, TARGET):
        empty = df[column].isna().to_numpy()
        if empty.any():
            row = _file_row(path, int(np.flatnonzero(empty)[0]))
            raise DataError(f"{path}: row {row} has an empty (missing) {column} value")
    for column in FEATURES:
        values = pd.to_numeric(df[column], errors="coerce")
        bad = values.isna().to_numpy()  # not a number
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{path}: {column} must be numeric, but row {_file_row(path, i)} of the file "
                f"holds {str(df[column].iloc[i])!r}"
            )
        df[column] = values.astype(np.float64)
    unknown = sorted(set(df[TARGET].astype(str)) - set(CLASSES))
    if unknown:
        raise DataError(
            f"{path}: unknown {TARGET} label(s) {', '.join(map(repr, unknown))}; "
            f"expected {' or '.join(CLASSES)}"
        )
    return df[[*FEATURES, TARGET]]


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
        Path(fp).write_text(json.dumps({"class_to_index": self.class_to_index}, indent=4))

    @classmethod
    def load(cls, fp: str | os.PathLike[str]) -> LabelEncoder:
        return cls(**json.loads(Path(fp).read_text()))
