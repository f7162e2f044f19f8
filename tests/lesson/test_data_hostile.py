"""tinygrad_lr.lesson.data against hostile input: nothing lost, nothing silent.

Every file that could not be trained on properly (infinite, NaN or huge features, too few rows
of a class, a 5 MB line) raises `DataError` from `load_tumors`, naming the file and what is
wrong in a short message. The download cache keeps one entry per address and checks it
against the expected checksum; `LabelEncoder` files are checked on load and replaced
atomically on save. No test touches the network (file:// addresses only).
"""

import hashlib
import json
import os
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from tinygrad_lr.lesson import data
from tinygrad_lr.lesson.data import DataError, LabelEncoder, load_tumors

COLUMNS = ["leukocyte_count", "blood_pressure", "tumor_class"]
HEADER = ",".join(COLUMNS) + "\n"
GOOD_CSV = HEADER + "13.5,15.25,malignant\n17.75,14.5,benign\n" * 6
FIVE_MB = 5_000_000


pytestmark = pytest.mark.usefixtures("no_network")  # from conftest.py: no test downloads


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _data_error(path: Path, **kwargs) -> str:
    """load_tumors(path) raises DataError naming the file; the message without the file's name
    (so that words in pytest's tmp_path cannot satisfy a check)."""
    with pytest.raises(DataError) as info:
        load_tumors(path, **kwargs)
    message = str(info.value)
    assert str(path) in message
    return message.replace(str(path), "<file>")


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text)
    return path


def _with_value(column: str, written: str) -> str:
    """GOOD_CSV with `written` in `column` of its third line (the second data row)."""
    lines = GOOD_CSV.splitlines(keepends=True)
    cells = lines[2].rstrip("\n").split(",")
    cells[COLUMNS.index(column)] = written
    lines[2] = ",".join(cells) + "\n"
    return "".join(lines)


def _rows(benign: int, malignant: int) -> str:
    return HEADER + "17.75,14.5,benign\n" * benign + "13.5,15.25,malignant\n" * malignant


# --- features must be finite numbers of a size that standardising keeps finite ---------------

FEATURES = ["leukocyte_count", "blood_pressure"]


@pytest.mark.parametrize("column", FEATURES)
@pytest.mark.parametrize(
    ("written", "reads_as"),
    [
        ("inf", "inf"),
        ("-inf", "-inf"),
        ("Infinity", "inf"),
        ("1e309", "inf"),
        ("-1e309", "-inf"),
        ("nan", "nan"),
        ("NaN", "nan"),
    ],
)
def test_non_finite_feature_raises_data_error_naming_column_row_and_value(
    tmp_path, column, written, reads_as
):
    message = _data_error(_csv(tmp_path, _with_value(column, written)))
    assert column in message
    assert "finite" in message
    assert "row 3" in message
    assert repr(written) in message  # as written in the file, not only as parsed
    assert message.endswith(f"reads as {reads_as}")


@pytest.mark.parametrize("column", FEATURES)
@pytest.mark.parametrize("written", ["1e200", "-1e200", "1e100", "-1.5e150"])
def test_feature_too_large_to_standardise_raises_data_error_naming_row_and_value(
    tmp_path, column, written
):
    message = _data_error(_csv(tmp_path, _with_value(column, written)))
    assert column in message
    assert "between -1e+100 and 1e+100" in message
    assert "row 3" in message
    assert repr(written) in message
    assert "standardised" in message


@pytest.mark.parametrize("written", ["9.99e99", "-9.99e99", "1e-300", "0"])
def test_feature_just_inside_the_bound_loads_unchanged(tmp_path, written):
    df = load_tumors(_csv(tmp_path, _with_value("leukocyte_count", written)))
    assert df["leukocyte_count"].iloc[1] == float(written)


def _standardised(x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow the bound prevents
        return StandardScaler().fit_transform(x)


def test_feature_bound_keeps_a_million_rows_at_the_bound_standardised():
    x = np.full((1_000_000, 1), np.nextafter(data.MAX_ABS_FEATURE, 0))
    x[::2] *= -1
    x[0] = 0.0  # an uneven column, so that the mean and its correction term are not zero
    z = _standardised(x)
    # a standardised value is at most sqrt(n - 1) in size
    assert np.isfinite(z).all() and np.abs(z).max() <= np.sqrt(len(x))
    assert np.std(z) == pytest.approx(1.0)


def test_feature_bound_is_needed_one_value_of_1e200_is_not_standardised():
    x = np.array([[1e200], [13.5], [17.75], [12.0]])
    # the variance overflows and scikit-learn quietly divides by 1: training then meets NaN
    assert np.abs(_standardised(x)).max() > 1e100
    x[0] = 9.99e99
    assert np.abs(_standardised(x)).max() <= np.sqrt(len(x))


def test_non_finite_feature_row_counts_blank_lines_of_the_file(tmp_path):
    text = GOOD_CSV + "\n" + "inf,15.0,benign\n"
    message = _data_error(_csv(tmp_path, text))
    assert f"row {GOOD_CSV.count(chr(10)) + 2}" in message  # after the blank line


def test_na_in_a_feature_is_reported_as_written_not_as_an_empty_cell(tmp_path):
    message = _data_error(_csv(tmp_path, _with_value("blood_pressure", "NA")))
    assert "numeric" in message and "'NA'" in message and "empty" not in message


def test_nan_or_na_label_is_an_unknown_label_not_an_empty_cell(tmp_path):
    for written in ("nan", "NA"):
        message = _data_error(_csv(tmp_path, _with_value("tumor_class", written)))
        assert f"unknown tumor_class label(s) {written!r}" in message


# --- enough rows of each class for the lesson's two stratified splits -------------------------


def test_header_only_file_raises_data_error_saying_it_has_no_rows(tmp_path):
    message = _data_error(_csv(tmp_path, HEADER))
    assert "no data rows" in message
    assert "at least 6 rows of each class" in message
    assert "benign has 0, malignant has 0" in message


def test_one_class_file_raises_data_error_naming_the_missing_class(tmp_path):
    message = _data_error(_csv(tmp_path, _rows(benign=0, malignant=40)))
    assert "stratified 70/15/15 split" in message
    assert message.endswith("benign has 0")


def test_three_rows_raise_data_error_saying_how_many_of_each_class(tmp_path):
    message = _data_error(_csv(tmp_path, _rows(benign=1, malignant=2)))
    assert "at least 6 rows of each class" in message
    assert message.endswith("benign has 1, malignant has 2")


@pytest.mark.parametrize(("benign", "malignant"), [(5, 6), (6, 5), (5, 500)])
def test_five_rows_of_a_class_are_too_few(tmp_path, benign, malignant):
    message = _data_error(_csv(tmp_path, _rows(benign, malignant)))
    assert "has 5" in message


@pytest.mark.parametrize(("benign", "malignant"), [(6, 6), (6, 500), (500, 6)])
def test_six_rows_of_each_class_load(tmp_path, benign, malignant):
    df = load_tumors(_csv(tmp_path, _rows(benign, malignant)))
    assert df["tumor_class"].value_counts().to_dict() == {"benign": benign, "malignant": malignant}


def _lesson_splits(benign: int, malignant: int, seed: int) -> list[np.ndarray] | None:
    """The labels of train, validation and test, split as the lesson's prepare() does (shuffle,
    70% stratified, the rest halved stratified); None when scikit-learn refuses."""
    y = np.array(["benign"] * benign + ["malignant"] * malignant)
    np.random.seed(seed)
    y = y[np.random.permutation(len(y))]
    try:
        train, rest = train_test_split(y, train_size=0.7, stratify=y)
        val, test = train_test_split(rest, train_size=0.5, stratify=rest)
    except ValueError:
        return None
    return [train, val, test]


def test_min_rows_per_class_is_the_fewest_the_lesson_splits_always_accept():
    counts = [*range(6, 80), 150, 389, 611, 1000, 2500]
    for other in counts:
        for seed in range(3):
            for benign, malignant in ((6, other), (other, 6)):
                splits = _lesson_splits(benign, malignant, seed)
                assert splits is not None, (benign, malignant, seed)
                assert all(set(part) == {"benign", "malignant"} for part in splits)
    refused = [n for n in range(5, 80) if _lesson_splits(5, n, seed=0) is None]
    assert refused  # with 5, some counts of the other class leave 1 row for the second split
    assert data.MIN_ROWS_PER_CLASS == 6


# --- messages stay short, whatever the file holds ---------------------------------------------

HUGE = {
    "non-numeric value": _with_value("leukocyte_count", "x" * FIVE_MB),
    "numeric overflow": _with_value("blood_pressure", "9" * FIVE_MB),
    "unknown label": _with_value("tumor_class", "m" * FIVE_MB),
    "header": "h" * FIVE_MB + ",blood_pressure,tumor_class\n1,2,benign\n",
    "ragged line": GOOD_CSV + ",".join(["1"] * (FIVE_MB // 2)) + "\n",
}


@pytest.mark.parametrize("text", HUGE.values(), ids=HUGE.keys())
def test_a_5_mb_line_gives_a_short_message(tmp_path, text):
    message = _data_error(_csv(tmp_path, text))
    assert len(message) < 300, message[:1000]


def test_a_5_mb_value_is_quoted_cut_short_with_its_length(tmp_path):
    message = _data_error(_csv(tmp_path, _with_value("leukocyte_count", "x" * FIVE_MB)))
    assert f"{'x' * 60!r}... ({FIVE_MB} characters)" in message
    assert "row 3" in message


def test_many_unknown_labels_are_listed_briefly(tmp_path):
    text = GOOD_CSV + "".join(f"1.0,2.0,label{i}\n" for i in range(1000))
    message = _data_error(_csv(tmp_path, text))
    assert "'label0', 'label1', 'label10' and 997 more" in message
    assert len(message) < 200


def test_a_5_mb_expected_checksum_gives_a_short_message(tmp_path):
    message = _data_error(_csv(tmp_path, GOOD_CSV), sha256="0" * FIVE_MB)
    assert len(message) < 300


# --- the download cache: one entry per address, checked against the checksum ------------------


def _serve(tmp_path: Path, folder: str, text: str) -> str:
    """`text` saved as <folder>/tumors.csv; its file:// address."""
    (tmp_path / folder).mkdir(exist_ok=True)
    path = tmp_path / folder / "tumors.csv"
    path.write_text(text)
    return path.as_uri()


def _leftovers(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file() and p.name.startswith(".")]


def test_cache_path_is_keyed_by_the_address_and_keeps_the_file_name(tmp_path):
    a = data.cache_path("https://example.org/a/tumors.csv", tmp_path)
    b = data.cache_path("https://example.org/b/tumors.csv", tmp_path)
    assert a.name == b.name == "tumors.csv"
    assert a.parent != b.parent
    assert a.parent.parent == tmp_path and len(a.parent.name) == 16
    assert a == data.cache_path("https://example.org/a/tumors.csv", str(tmp_path))


def test_cache_path_file_name_ignores_the_query_and_has_a_default():
    assert data.cache_path("https://example.org/x/my%20data.csv?raw=1", "c").name == "my data.csv"
    assert data.cache_path("https://example.org/", "c").name == "download"


def test_two_addresses_with_the_same_file_name_get_their_own_files(tmp_path):
    cache = tmp_path / "cache"
    url_a = _serve(tmp_path, "a", GOOD_CSV)
    url_b = _serve(tmp_path, "b", GOOD_CSV + "1.0,2.0,benign\n")
    assert len(load_tumors(url_a, cache_dir=cache)) == 12
    assert len(load_tumors(url_b, cache_dir=cache)) == 13
    for folder in ("a", "b"):
        (tmp_path / folder / "tumors.csv").unlink()  # from now on only the cache can answer
    assert len(load_tumors(url_a, cache_dir=cache)) == 12
    assert len(load_tumors(url_b, cache_dir=cache)) == 13


def test_a_different_expected_checksum_does_not_accept_the_cached_file(tmp_path):
    cache = tmp_path / "cache"
    old, new = GOOD_CSV, GOOD_CSV + "1.0,2.0,benign\n"
    url = _serve(tmp_path, "src", old)
    assert len(load_tumors(url, sha256=_sha256(old), cache_dir=cache)) == 12
    _serve(tmp_path, "src", new)  # the address now serves another file
    assert len(load_tumors(url, sha256=_sha256(new), cache_dir=cache)) == 13
    assert data.cache_path(url, cache).read_text() == new


def test_a_download_with_the_wrong_checksum_leaves_the_cached_file_as_it_was(tmp_path):
    cache = tmp_path / "cache"
    url = _serve(tmp_path, "src", GOOD_CSV)
    load_tumors(url, sha256=_sha256(GOOD_CSV), cache_dir=cache)
    _serve(tmp_path, "src", GOOD_CSV + "1.0,2.0,benign\n")
    message = _data_error(url, sha256="0" * 64, cache_dir=cache)
    assert "sha256" in message and "not kept" in message
    assert data.cache_path(url, cache).read_text() == GOOD_CSV
    assert _leftovers(cache) == []


class _BrokenResponse:
    """A download that fails half-way, after its first chunk."""

    def __init__(self):
        self.chunks = [b"leukocyte_count,blood"]

    def read(self, size=-1):
        if self.chunks:
            return self.chunks.pop()
        raise ConnectionResetError("connection lost half-way")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_download_failing_half_way_leaves_the_cached_file_as_it_was(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    url = _serve(tmp_path, "src", GOOD_CSV)
    load_tumors(url, cache_dir=cache)
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: _BrokenResponse())
    with pytest.raises(ConnectionResetError):
        load_tumors(url, sha256="0" * 64, cache_dir=cache)
    assert data.cache_path(url, cache).read_text() == GOOD_CSV
    assert _leftovers(cache) == []


def test_a_hostile_downloaded_file_raises_data_error_like_a_local_one(tmp_path):
    url = _serve(tmp_path, "src", _with_value("leukocyte_count", "1e309"))
    with pytest.raises(DataError, match="finite"):
        load_tumors(url, cache_dir=tmp_path / "cache")


# --- LabelEncoder files: checked on load, replaced atomically on save -------------------------

BAD_ENCODER_FILES = {
    "malformed JSON": ('{"class_to_index": {"benign": 0,', "not JSON"),
    "not an object": ('["benign", "malignant"]', "expected {"),
    "null": ("null", "expected {"),
    "mapping is a list": ('{"class_to_index": ["benign", "malignant"]}', "expected {"),
    "no mapping": ('{"classes": {"benign": 0}}', "expected {"),
    "an extra key": ('{"class_to_index": {"benign": 0}, "extra": 1}', "expected {"),
    "duplicate index": (
        '{"class_to_index": {"benign": 0, "malignant": 0}}',
        "classes 'benign' and 'malignant' share index 0",
    ),
    "a gap": ('{"class_to_index": {"benign": 0, "malignant": 2}}', "must be 0 to 1"),
    "from one": ('{"class_to_index": {"benign": 1, "malignant": 2}}', "must be 0 to 1"),
    "negative": ('{"class_to_index": {"benign": -1, "malignant": 0}}', "must be 0 to 1"),
    "string index": ('{"class_to_index": {"benign": "0"}}', "index '\"0\"'; indices must be"),
    "float index": ('{"class_to_index": {"benign": 0.0}}', "index '0.0'; indices must be"),
    "bool index": ('{"class_to_index": {"benign": false}}', "index 'false'; indices must be"),
    "null index": ('{"class_to_index": {"benign": null}}', "index 'null'; indices must be"),
}


@pytest.mark.parametrize(
    ("content", "expected"), BAD_ENCODER_FILES.values(), ids=BAD_ENCODER_FILES.keys()
)
def test_label_encoder_load_rejects_a_file_that_is_not_an_encoder(tmp_path, content, expected):
    path = tmp_path / "label_encoder.json"
    path.write_text(content)
    with pytest.raises(DataError) as info:
        LabelEncoder.load(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_label_encoder_load_rejects_bytes_that_are_not_text(tmp_path):
    path = tmp_path / "label_encoder.json"
    path.write_bytes(b"\xff\xfe\x00\x89PNG")
    with pytest.raises(DataError, match="not JSON"):
        LabelEncoder.load(path)


def test_label_encoder_load_error_quotes_a_huge_class_name_briefly(tmp_path):
    path = tmp_path / "label_encoder.json"
    name = "c" * FIVE_MB
    path.write_text(json.dumps({"class_to_index": {name: 0, "benign": 0}}))
    with pytest.raises(DataError, match="share index 0") as info:
        LabelEncoder.load(path)
    assert len(str(info.value)) < 300 + len(str(path))


def test_label_encoder_load_orders_classes_by_index(tmp_path):
    path = tmp_path / "label_encoder.json"
    path.write_text('{"class_to_index": {"malignant": 1, "benign": 0}}')
    encoder = LabelEncoder.load(path)
    assert encoder.classes == ["benign", "malignant"]
    assert encoder.decode(np.array([0, 1])) == ["benign", "malignant"]


def test_label_encoder_empty_round_trips(tmp_path):
    path = tmp_path / "label_encoder.json"
    LabelEncoder().save(path)
    assert len(LabelEncoder.load(path)) == 0


def test_label_encoder_save_writes_a_temp_file_beside_it_syncs_then_replaces(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])

    def replace(src, dst):
        calls.append(("replace", Path(src).parent, Path(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    path = tmp_path / "label_encoder.json"
    LabelEncoder().fit(np.array(["benign", "malignant"])).save(path)
    assert calls == ["fsync", ("replace", tmp_path, path)]
    assert LabelEncoder.load(path).classes == ["benign", "malignant"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_label_encoder_save_failure_leaves_the_old_file_intact(tmp_path, monkeypatch, failing):
    path = tmp_path / "label_encoder.json"
    LabelEncoder().fit(np.array(["benign", "malignant"])).save(path)
    before = path.read_bytes()

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(OSError, match="No space"):
        LabelEncoder().fit(np.array(["cyst", "fluke", "polyp"])).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["label_encoder.json"]


def test_label_encoder_save_makes_an_ordinary_file_not_a_private_one(tmp_path):
    ordinary = tmp_path / "ordinary.json"
    ordinary.write_text("{}")
    saved = tmp_path / "label_encoder.json"
    LabelEncoder().save(saved)
    assert saved.stat().st_mode == ordinary.stat().st_mode
