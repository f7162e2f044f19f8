"""The tumour data set: the loader's checks and errors, the offline generator, the encoder."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tinygrad_lr import data
from tinygrad_lr.data import DataError, LabelEncoder, load_tumors, make_tumors

ORIGINAL_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "tumors.csv"
GOOD = "leukocyte_count,blood_pressure,tumor_class\n13.5,15.2,malignant\n17.1,14.0,benign\n"


def _write(tmp_path, text, name="tumors.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.skipif(
    not ORIGINAL_CSV.is_file(), reason="the lesson's original tumors.csv is not at ../shared/data/"
)
def test_the_original_file_loads_with_its_checksum():
    df = load_tumors(ORIGINAL_CSV, sha256=data.LESSON_SHA256)
    assert list(df.columns) == [*data.FEATURES, data.TARGET]
    assert df[data.TARGET].value_counts().to_dict() == {"malignant": 611, "benign": 389}
    assert (df.dtypes[list(data.FEATURES)] == np.float64).all()


def test_a_local_file_with_the_wrong_checksum_is_refused(tmp_path):
    path = _write(tmp_path, GOOD)
    with pytest.raises(DataError, match=f"{path}.*sha256"):
        load_tumors(path, sha256="0" * 64)
    assert len(load_tumors(path, sha256=hashlib.sha256(GOOD.encode()).hexdigest())) == 2


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("leukocyte_count,tumor_class\n1.0,benign\n", "missing column.*blood_pressure"),
        (GOOD + "abc,14.0,benign\n", "leukocyte_count must be numeric.*row 4.*'abc'"),
        (GOOD + "12.0,,benign\n", "blood_pressure must be numeric.*row 4"),
        (GOOD + "12.0,14.0,cancerous\n", "unknown tumor_class label.*'cancerous'"),
        ("", "not a readable CSV"),
    ],
    ids=["missing-column", "non-numeric", "empty-value", "unknown-label", "empty-file"],
)
def test_a_bad_file_is_a_clear_error_naming_the_file(tmp_path, text, match):
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=match) as caught:
        load_tumors(path)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no tumour data file"):
        load_tumors(tmp_path / "absent.csv")


def test_a_download_is_checked_cached_and_reused(tmp_path):
    source = _write(tmp_path, GOOD, "remote.csv")
    url, cache = source.as_uri(), tmp_path / "cache"
    digest = hashlib.sha256(GOOD.encode()).hexdigest()
    assert len(load_tumors(url, sha256=digest, cache_dir=cache)) == 2
    source.unlink()  # the second call must not need the source any more
    assert len(load_tumors(url, sha256=digest, cache_dir=cache)) == 2
    assert [p.name for p in cache.iterdir()] == ["remote.csv"]


def test_a_download_with_the_wrong_checksum_keeps_nothing(tmp_path):
    url, cache = _write(tmp_path, GOOD, "remote.csv").as_uri(), tmp_path / "cache"
    with pytest.raises(DataError, match="sha256"):
        load_tumors(url, sha256="0" * 64, cache_dir=cache)
    assert list(cache.iterdir()) == []


def test_a_damaged_cached_copy_is_downloaded_again(tmp_path):
    url, cache = _write(tmp_path, GOOD, "remote.csv").as_uri(), tmp_path / "cache"
    cache.mkdir()
    (cache / "remote.csv").write_text("damaged")
    df = load_tumors(url, sha256=hashlib.sha256(GOOD.encode()).hexdigest(), cache_dir=cache)
    assert len(df) == 2 and (cache / "remote.csv").read_text() == GOOD


def test_the_default_address_is_pinned_to_the_commit_that_holds_the_file(monkeypatch, tmp_path):
    assert "b9aea43f2889e7fbd018aa46039f68c7774c6121" in data.LESSON_URL
    assert data.LESSON_SHA256 == "ec648c474f1ef1334a4919cbccfc5834a0b28f179c931a1a768aef05ca0eb0a6"
    monkeypatch.setenv("TINYGRAD_LR_CACHE", str(tmp_path))
    assert data.default_cache_dir() == tmp_path


def test_make_tumors_is_deterministic_for_a_seed():
    pd.testing.assert_frame_equal(make_tumors(seed=3), make_tumors(seed=3))
    assert not make_tumors(seed=3).equals(make_tumors(seed=4))


@pytest.mark.parametrize("n", [1000, 10, 333])
def test_make_tumors_has_the_schema_and_the_ratio(n):
    df = make_tumors(n=n, seed=0)
    assert list(df.columns) == [*data.FEATURES, data.TARGET]
    assert (df.dtypes[list(data.FEATURES)] == np.float64).all()
    counts = df[data.TARGET].value_counts()
    assert counts["malignant"] == round(n * 0.611) and counts.sum() == n
    if n == 1000:
        assert counts.to_dict() == {"malignant": 611, "benign": 389}


def test_make_tumors_is_near_the_originals_statistics_and_shuffled():
    df = make_tumors(n=20000, seed=1)
    expected = {"benign": ((17.7, 1.8), (14.7, 1.0)), "malignant": ((13.2, 2.1), (15.7, 1.0))}
    for label, group in df.groupby(data.TARGET):
        for column, (mean, std) in zip(data.FEATURES, expected[label]):
            assert group[column].mean() == pytest.approx(mean, abs=0.05)
            assert group[column].std() == pytest.approx(std, rel=0.05)
        assert 0.1 < group[list(data.FEATURES)].corr().iloc[0, 1] < 0.6
    first = df[data.TARGET].iloc[:100]
    assert first.nunique() == 2  # not sorted by class


def test_make_tumors_round_trips_through_csv_and_the_loader(tmp_path):
    df = make_tumors(n=50, seed=2)
    df.to_csv(tmp_path / "t.csv", index=False)
    pd.testing.assert_frame_equal(load_tumors(tmp_path / "t.csv"), df)


def test_make_tumors_needs_two_rows():
    with pytest.raises(ValueError, match="n >= 2"):
        make_tumors(n=1)


def test_label_encoder_encodes_decodes_and_saves(tmp_path):
    encoder = LabelEncoder().fit(np.array(["malignant", "benign", "malignant"]))
    assert encoder.class_to_index == {"benign": 0, "malignant": 1}
    assert len(encoder) == 2 and "num_classes=2" in repr(encoder)
    y = encoder.encode(np.array(["benign", "malignant"]))
    assert y.tolist() == [0, 1] and y.dtype == np.int64
    assert encoder.decode(y) == ["benign", "malignant"]
    encoder.save(tmp_path / "encoder.json")
    assert LabelEncoder.load(tmp_path / "encoder.json").class_to_index == encoder.class_to_index
    with pytest.raises(ValueError, match=r"unknown class.*'other'"):
        encoder.encode(np.array(["other"]))
