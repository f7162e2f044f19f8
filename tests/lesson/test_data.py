"""tinygrad_lr.lesson.data: loading the tumour CSV, the download cache, make_tumors, LabelEncoder.

No test touches the network: downloads use file:// addresses, and an autouse fixture makes any
socket connection fail. The lesson's original file comes from the `tumors_csv` fixture
(conftest.py); tests that need it skip where it is absent.
"""

import hashlib
import inspect
import re
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tinygrad_lr.lesson import data
from tinygrad_lr.lesson.data import DataError, LabelEncoder, load_tumors, make_tumors

ORIGINAL_SHA256 = "ec648c474f1ef1334a4919cbccfc5834a0b28f179c931a1a768aef05ca0eb0a6"
PINNED_COMMIT = "b9aea43f2889e7fbd018aa46039f68c7774c6121"


COLUMNS = ["leukocyte_count", "blood_pressure", "tumor_class"]
HEADER = ",".join(COLUMNS) + "\n"
# Six rows of each class: the fewest that the lesson's two stratified splits accept.
GOOD_CSV = HEADER + "13.5,15.25,malignant\n17.75,14.5,benign\n" * 6
GOOD_ROWS = 12


pytestmark = pytest.mark.usefixtures("no_network")  # from conftest.py: no test downloads


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _sha256(content: str | bytes) -> str:
    return hashlib.sha256(content.encode() if isinstance(content, str) else content).hexdigest()


def _files(directory: Path) -> list[str]:
    """Every file under `directory`, as paths relative to it."""
    if not directory.exists():
        return []
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def _entry(url: str, cache: Path) -> str:
    """The cache entry for `url`, relative to the cache: <key>/<file name>."""
    return data.cache_path(url, cache).relative_to(cache).as_posix()


# --- the original file, read from a local path ------------------------------------------------


def test_original_file_has_the_schema_1000_rows_and_611_malignant_389_benign(tumors_csv):
    df = load_tumors(tumors_csv)
    assert list(df.columns) == COLUMNS
    assert len(df) == 1000
    assert df["tumor_class"].value_counts().to_dict() == {"malignant": 611, "benign": 389}
    assert df["leukocyte_count"].dtype == np.float64
    assert df["blood_pressure"].dtype == np.float64
    assert not df.isna().any().any()


def test_original_file_loads_when_given_its_right_checksum(tumors_csv):
    df = load_tumors(tumors_csv, sha256=ORIGINAL_SHA256)
    assert len(df) == 1000


def test_original_file_with_a_wrong_checksum_raises_data_error_naming_the_file(tumors_csv):
    with pytest.raises(DataError, match="sha256") as info:
        load_tumors(tumors_csv, sha256="0" * 64)
    assert str(tumors_csv) in str(info.value)


def test_local_file_checksum_is_checked_only_when_given(tmp_path):
    path = _write(tmp_path / "t.csv", GOOD_CSV)
    assert len(load_tumors(path)) == GOOD_ROWS
    assert len(load_tumors(str(path), sha256=_sha256(GOOD_CSV))) == GOOD_ROWS
    with pytest.raises(DataError, match="sha256") as info:
        load_tumors(path, sha256=_sha256("something else"))
    assert str(path) in str(info.value)
    assert _sha256(GOOD_CSV) in str(info.value)  # says what the file's checksum actually is


def test_local_file_loads_values_as_float64_in_column_order(tmp_path):
    reordered = "tumor_class,blood_pressure,leukocyte_count,extra\n" + (
        "benign,14.5,17.75,x\nmalignant,15.25,13.5,y\n" * 6
    )
    df = load_tumors(_write(tmp_path / "t.csv", reordered))
    assert list(df.columns) == COLUMNS  # the extra column is dropped
    assert df["leukocyte_count"].dtype == np.float64
    assert df["blood_pressure"].dtype == np.float64
    assert df.iloc[0].tolist() == [17.75, 14.5, "benign"]


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)


# --- clear errors for files that are not the tumour data ---------------------------------------


def _data_error(path: Path, **kwargs) -> str:
    """load_tumors(path) raises DataError naming the file; the message without the file's name.

    The name is cut out so the checks below cannot be satisfied by words in the tmp_path name
    (pytest builds it from the test's name).
    """
    with pytest.raises(DataError) as info:
        load_tumors(path, **kwargs)
    message = str(info.value)
    assert str(path) in message
    return message.replace(str(path), "<file>")


def _with_row(column: str, value: str) -> str:
    """A CSV whose third line (second data row) has `value` in `column`."""
    values = {"leukocyte_count": "13.5", "blood_pressure": "15.25", "tumor_class": "benign"}
    values[column] = value
    return HEADER + "17.75,14.5,benign\n" + ",".join(values[c] for c in COLUMNS) + "\n"


def test_missing_path_raises_file_not_found_error(tmp_path):
    missing = tmp_path / "nowhere" / "tumors.csv"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_tumors(missing)


def test_a_directory_is_not_a_data_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_tumors(tmp_path)


@pytest.mark.parametrize("column", COLUMNS)
def test_missing_column_raises_data_error_naming_the_file_and_the_column(tmp_path, column):
    kept = [c for c in COLUMNS if c != column]
    row = {"leukocyte_count": "13.5", "blood_pressure": "15.25", "tumor_class": "benign"}
    text = ",".join(kept) + "\n" + ",".join(row[c] for c in kept) + "\n"
    message = _data_error(_write(tmp_path / "t.csv", text))
    assert "missing column" in message
    assert column in message.split(";")[0]  # the missing one, not just the ones found


@pytest.mark.parametrize("column", ["leukocyte_count", "blood_pressure"])
def test_non_numeric_value_raises_data_error_naming_file_column_row_and_value(tmp_path, column):
    message = _data_error(_write(tmp_path / "t.csv", _with_row(column, "abc")))
    assert column in message
    assert "numeric" in message
    assert "row 3" in message  # the file's third line: header, a good row, the bad one
    assert "'abc'" in message


def test_non_numeric_value_row_number_counts_blank_lines_of_the_file(tmp_path):
    # pandas skips the blank line, so the frame's row index no longer matches the file's lines;
    # "row 3" would point at the blank line, the bad value is on line 4.
    text = HEADER + "13.5,15.25,malignant\n\nabc,16.0,malignant\n"
    assert "row 4" in _data_error(_write(tmp_path / "t.csv", text))


@pytest.mark.parametrize("column", COLUMNS)
def test_empty_value_raises_data_error_naming_the_file_and_column(tmp_path, column):
    message = _data_error(_write(tmp_path / "t.csv", _with_row(column, "")))
    assert column in message


@pytest.mark.parametrize("column", COLUMNS)
def test_empty_value_error_says_the_value_is_empty_not_nan(tmp_path, column):
    message = _data_error(_write(tmp_path / "t.csv", _with_row(column, "")))
    assert re.search(r"(?i)empty|missing value|blank", message), message
    assert "nan" not in message.lower(), message


def test_unknown_label_raises_data_error_naming_the_file_and_the_label(tmp_path):
    message = _data_error(_write(tmp_path / "t.csv", GOOD_CSV + "11.0,15.0,Malignant\n"))
    assert "tumor_class" in message
    assert "'Malignant'" in message


@pytest.mark.parametrize("content", ["", "   \n\n"], ids=["zero-bytes", "blank-lines"])
def test_empty_file_raises_data_error_naming_the_file(tmp_path, content):
    message = _data_error(_write(tmp_path / "t.csv", content))
    assert "not a readable CSV" in message


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        bytes.fromhex("1f8b0800000000000003") + bytes(range(128, 256)),
        (HEADER + "13.5,15.25,malignant\n1,2,3,4,5\n").encode(),
    ],
    ids=["binary-image", "gzip-bytes", "ragged-rows"],
)
def test_file_that_is_not_csv_raises_data_error_naming_the_file(tmp_path, content):
    message = _data_error(_write(tmp_path / "t.csv", content))
    assert "not a readable CSV" in message


def test_text_file_that_is_not_the_tumour_table_raises_data_error(tmp_path):
    text = '{"leukocyte_count": [1, 2], "tumor_class": ["benign"]}'
    message = _data_error(_write(tmp_path / "t.json", text))
    assert "missing column" in message


# --- downloads, offline: file:// addresses and a cache in tmp_path -----------------------------


@pytest.fixture
def source(tmp_path):
    """A good CSV outside the cache, and its file:// address."""
    (tmp_path / "src").mkdir()
    path = _write(tmp_path / "src" / "tumors.csv", GOOD_CSV)
    return path, path.as_uri()


def test_download_saves_the_file_into_the_cache_and_loads_it(tmp_path, source):
    path, url = source
    cache = tmp_path / "cache"
    df = load_tumors(url, sha256=_sha256(GOOD_CSV), cache_dir=cache)
    assert len(df) == GOOD_ROWS and list(df.columns) == COLUMNS
    assert _files(cache) == [_entry(url, cache)]  # no leftover partial file
    assert data.cache_path(url, cache).read_bytes() == path.read_bytes()


def test_download_without_a_checksum_is_kept_unchecked(tmp_path, source):
    _, url = source
    cache = tmp_path / "cache"
    assert len(load_tumors(url, cache_dir=str(cache))) == GOOD_ROWS
    assert _files(cache) == [_entry(url, cache)]


def test_download_with_a_wrong_checksum_raises_data_error_and_leaves_nothing_in_the_cache(
    tmp_path, source
):
    _, url = source
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="sha256") as info:
        load_tumors(url, sha256="0" * 64, cache_dir=cache)
    assert url in str(info.value)  # names the file it fetched
    assert _files(cache) == []


def test_second_load_uses_the_cached_copy_without_the_source(tmp_path, source):
    path, url = source
    cache = tmp_path / "cache"
    first = load_tumors(url, sha256=_sha256(GOOD_CSV), cache_dir=cache)
    path.unlink()
    second = load_tumors(url, sha256=_sha256(GOOD_CSV), cache_dir=cache)
    pd.testing.assert_frame_equal(first, second)


def test_cached_copy_with_a_wrong_checksum_is_downloaded_again(tmp_path, source):
    path, url = source
    cache = tmp_path / "cache"
    cached = data.cache_path(url, cache)
    cached.parent.mkdir(parents=True)
    cached.write_text(HEADER + "1.0,2.0,benign\n")  # stale or damaged
    df = load_tumors(url, sha256=_sha256(GOOD_CSV), cache_dir=cache)
    assert len(df) == GOOD_ROWS
    assert cached.read_bytes() == path.read_bytes()
    assert _files(cache) == [_entry(url, cache)]


def test_failed_download_raises_and_leaves_nothing_in_the_cache(tmp_path):
    url = (tmp_path / "absent.csv").as_uri()
    cache = tmp_path / "cache"
    with pytest.raises(OSError):  # urllib's URLError is an OSError
        load_tumors(url, cache_dir=cache)
    assert _files(cache) == []


def test_download_goes_to_the_default_cache_dir_when_none_is_given(tmp_path, source, monkeypatch):
    _, url = source
    monkeypatch.setenv("TINYGRAD_LR_CACHE", str(tmp_path / "env-cache"))
    load_tumors(url, sha256=_sha256(GOOD_CSV))
    assert _files(tmp_path / "env-cache") == [_entry(url, tmp_path / "env-cache")]


def test_lesson_url_is_pinned_to_the_commit_that_added_the_file():
    assert PINNED_COMMIT in data.LESSON_URL
    assert data.LESSON_URL.startswith("https://")
    assert data.LESSON_URL.endswith("/datasets/tumors.csv")
    assert "/main/" not in data.LESSON_URL and "/master/" not in data.LESSON_URL


def test_lesson_sha256_is_the_original_files_checksum():
    assert data.LESSON_SHA256 == ORIGINAL_SHA256


def test_default_source_is_the_lesson_url():
    assert inspect.signature(load_tumors).parameters["source"].default == data.LESSON_URL


def test_lesson_url_loads_offline_from_a_cache_holding_the_original(
    tmp_path, monkeypatch, tumors_csv
):
    cache = tmp_path / "cache"
    cached = data.cache_path(data.LESSON_URL, cache)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(tumors_csv.read_bytes())

    def refuse(*args, **kwargs):
        raise AssertionError("the cached copy should have been used")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    df = load_tumors(cache_dir=cache)
    assert len(df) == 1000


def test_lesson_url_checks_the_lesson_checksum_by_default(tmp_path, monkeypatch):
    # A cached tumors.csv that is not the lesson's file must not be trusted: it is fetched again.
    cache = tmp_path / "cache"
    cached = data.cache_path(data.LESSON_URL, cache)
    cached.parent.mkdir(parents=True)
    cached.write_text(GOOD_CSV)
    requested = []

    def fake_urlopen(url, *args, **kwargs):
        requested.append(url)
        raise OSError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(OSError, match="offline"):
        load_tumors(cache_dir=cache)
    assert requested == [data.LESSON_URL]


def test_tinygrad_lr_cache_env_var_sets_the_default_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_LR_CACHE", str(tmp_path / "elsewhere"))
    assert data.default_cache_dir() == tmp_path / "elsewhere"


def test_default_cache_dir_is_under_the_home_cache_without_the_env_var(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYGRAD_LR_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.default_cache_dir() == tmp_path / ".cache" / "tinygrad_lr"


# --- make_tumors: the synthetic stand-in ----------------------------------------------------


def test_make_tumors_is_deterministic_for_a_seed():
    pd.testing.assert_frame_equal(make_tumors(seed=3), make_tumors(seed=3), check_exact=True)
    pd.testing.assert_frame_equal(make_tumors(), make_tumors(), check_exact=True)


def test_make_tumors_differs_between_seeds():
    a, b = make_tumors(seed=1), make_tumors(seed=2)
    assert not np.array_equal(a["leukocyte_count"].to_numpy(), b["leukocyte_count"].to_numpy())
    assert not a["tumor_class"].equals(b["tumor_class"])


def test_make_tumors_has_the_schema_and_dtypes():
    df = make_tumors()
    assert list(df.columns) == COLUMNS
    assert df["leukocyte_count"].dtype == np.float64
    assert df["blood_pressure"].dtype == np.float64
    assert pd.api.types.is_string_dtype(df["tumor_class"])
    assert set(df["tumor_class"]) == {"benign", "malignant"}
    assert df.index.equals(pd.RangeIndex(len(df)))
    assert not df.isna().any().any()


def test_make_tumors_dtypes_match_the_original(tumors_csv):
    original = load_tumors(tumors_csv)
    pd.testing.assert_series_equal(make_tumors().dtypes, original.dtypes)


def test_make_tumors_default_is_1000_rows_611_malignant_389_benign():
    df = make_tumors()
    assert len(df) == 1000
    assert df["tumor_class"].value_counts().to_dict() == {"malignant": 611, "benign": 389}


@pytest.mark.parametrize("n", [2, 3, 10, 101, 555, 999, 20000])
def test_make_tumors_has_round_n_times_0_611_malignant_rows(n):
    df = make_tumors(n=n, seed=n)
    assert len(df) == n
    assert (df["tumor_class"] == "malignant").sum() == round(n * 0.611)
    assert (df["tumor_class"] == "benign").sum() == n - round(n * 0.611)


def test_make_tumors_malignant_fraction_sets_the_class_balance():
    df = make_tumors(n=200, malignant_fraction=0.25)
    assert (df["tumor_class"] == "malignant").sum() == 50


@pytest.fixture(scope="module")
def big():
    return make_tumors(n=20000, seed=11)


@pytest.mark.parametrize(
    ("label", "means", "stds"),
    [("benign", (17.7, 14.7), (1.8, 1.0)), ("malignant", (13.2, 15.7), (2.1, 1.0))],
)
def test_make_tumors_class_means_and_stds_are_near_the_documented_values(big, label, means, stds):
    rows = big[big["tumor_class"] == label]
    features = ["leukocyte_count", "blood_pressure"]
    # standard errors at n=20000 are about 0.03 for the means and 0.02 for the stds
    np.testing.assert_allclose(rows[features].mean().to_numpy(), means, atol=0.1)
    np.testing.assert_allclose(rows[features].std().to_numpy(), stds, atol=0.1)


@pytest.mark.parametrize("label", ["benign", "malignant"])
def test_make_tumors_features_are_mildly_positively_correlated_within_each_class(big, label):
    rows = big[big["tumor_class"] == label]
    corr = np.corrcoef(rows["leukocyte_count"], rows["blood_pressure"])[0, 1]
    assert 0.1 < corr < 0.6


def test_make_tumors_class_means_are_near_the_originals(big, tumors_csv):
    original = load_tumors(tumors_csv)
    features = ["leukocyte_count", "blood_pressure"]
    made = big.groupby("tumor_class")[features].mean()
    real = original.groupby("tumor_class")[features].mean()
    np.testing.assert_allclose(made.to_numpy(), real.to_numpy(), atol=0.3)


@pytest.mark.parametrize("seed", [0, 1234])
def test_make_tumors_rows_are_shuffled_not_sorted_by_class(seed):
    labels = make_tumors(seed=seed)["tumor_class"].to_numpy()
    assert not (labels[:-1] <= labels[1:]).all()
    assert not (labels[:-1] >= labels[1:]).all()
    # benign rows are spread through the frame: about half of them in each half
    benign_in_first_half = (labels[:500] == "benign").sum()
    assert 389 / 2 - 40 < benign_in_first_half < 389 / 2 + 40
    changes = (labels[1:] != labels[:-1]).sum()
    assert changes > 300  # sorted would have 1; a random order about 2·n·p·(1−p) ≈ 475


@pytest.mark.parametrize("n", [1, 0, -3])
def test_make_tumors_with_fewer_than_two_rows_raises_value_error(n):
    with pytest.raises(ValueError, match="n >= 2"):
        make_tumors(n=n)


def test_make_tumors_round_trips_through_csv_and_load_tumors(tmp_path):
    df = make_tumors(n=300, seed=5)
    path = tmp_path / "made.csv"
    df.to_csv(path, index=False)
    pd.testing.assert_frame_equal(load_tumors(path), df, check_exact=True)


# --- LabelEncoder ---------------------------------------------------------------------------

LABELS = np.array(["malignant", "benign", "malignant", "malignant", "benign"])


def test_label_encoder_fit_gives_sorted_classes():
    encoder = LabelEncoder().fit(LABELS)
    assert encoder.class_to_index == {"benign": 0, "malignant": 1}
    assert encoder.index_to_class == {0: "benign", 1: "malignant"}
    assert encoder.classes == ["benign", "malignant"]


def test_label_encoder_fit_returns_the_encoder_and_accepts_a_series():
    encoder = LabelEncoder()
    assert encoder.fit(pd.Series(LABELS)) is encoder
    assert encoder.class_to_index == {"benign": 0, "malignant": 1}


def test_label_encoder_encode_decode_round_trip():
    encoder = LabelEncoder().fit(LABELS)
    encoded = encoder.encode(LABELS)
    assert encoded.dtype == np.int64
    assert encoded.tolist() == [1, 0, 1, 1, 0]
    assert encoder.decode(encoded) == LABELS.tolist()


def test_label_encoder_encode_unknown_class_raises_value_error_naming_it():
    encoder = LabelEncoder().fit(LABELS)
    with pytest.raises(ValueError, match="'cyst'"):
        encoder.encode(np.array(["benign", "cyst"]))


def test_label_encoder_save_load_json_round_trip(tmp_path):
    encoder = LabelEncoder().fit(LABELS)
    path = tmp_path / "label_encoder.json"
    encoder.save(path)
    loaded = LabelEncoder.load(str(path))
    assert loaded.class_to_index == encoder.class_to_index
    assert loaded.index_to_class == encoder.index_to_class
    assert loaded.classes == encoder.classes
    assert loaded.encode(LABELS).tolist() == encoder.encode(LABELS).tolist()


def test_label_encoder_len_and_repr():
    assert len(LabelEncoder()) == 0
    encoder = LabelEncoder().fit(LABELS)
    assert len(encoder) == 2
    assert repr(encoder) == "<LabelEncoder(num_classes=2)>"
