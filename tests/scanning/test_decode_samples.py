"""The pipeline reads every sample format at least as well as both engines together."""

from __future__ import annotations

import fcntl
import json

import pytest

from bench.samples import iter_samples, read_table, zbar_texts, zxing_texts
from scanning.decode import decode

# Pipeline reads measured on shared/samples/barcodes (264 photos) with zxing-cpp 3.1.1 and
# pyzbar 0.1.9; a drop below these is a regression even if the union drops with it.
MIN_PIPELINE_READS = {
    "code128": 10,
    "code39": 6,
    "datamatrix": 51,
    "ean13": 32,
    "ean8": 6,
    "itf": 12,
    "pdf417": 25,
    "qrcode": 52,
    "upca": 26,
    "upce": 13,
}


def pipeline_texts(sample) -> list[str]:
    return [code.text for code in decode(sample.data())]


def _read_table(samples) -> dict[str, dict[str, int]]:
    readers = {"zxing": zxing_texts, "pyzbar": zbar_texts, "pipeline": pipeline_texts}
    return read_table(list(iter_samples(samples)), readers)


@pytest.fixture(scope="module")
def table(samples, tmp_path_factory, worker_id):
    """The reads per format and reader, made once per run: pytest-xdist spreads this module's
    tests over its workers, and each would read the 264 photos three times over (about 5 s).
    The first worker to ask reads them; the others take its table from the run's shared
    temporary folder (new for every run, so a table never outlives the code that made it)."""
    if worker_id == "master":
        return _read_table(samples)
    shared = tmp_path_factory.getbasetemp().parent / "decode_samples_table.json"
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if shared.exists():
            return json.loads(shared.read_text())
        made = _read_table(samples)
        shared.write_text(json.dumps(made))
        return made


def test_every_sample_format_is_present(table):
    assert sorted(table) == sorted(MIN_PIPELINE_READS)


@pytest.mark.parametrize("fmt", sorted(MIN_PIPELINE_READS))
def test_pipeline_reads_at_least_the_union_of_both_engines(table, fmt):
    row = table[fmt]
    assert row["union"] > 0, f"{fmt}: engines read nothing, the comparison would be vacuous"
    assert row["union"] >= max(row["zxing"], row["pyzbar"])
    assert row["pipeline"] >= row["union"], row


@pytest.mark.parametrize("fmt", sorted(MIN_PIPELINE_READS))
def test_pipeline_keeps_its_measured_read_count(table, fmt):
    assert table[fmt]["pipeline"] >= MIN_PIPELINE_READS[fmt], table[fmt]


def test_upc_a_read_by_both_engines_is_returned_once(samples):
    # zbar reports this UPC-A as an EAN-13 with a leading 0; zxing-cpp as UPC-A's GTIN-13.
    codes = decode((samples / "upca" / "upca-1__2.webp").read_bytes())
    assert [(c.format, c.text) for c in codes] == [("UPC_A", "0036602301467")]


def test_upc_e_text_is_the_expanded_gtin_13(samples):
    codes = decode((samples / "upce" / "upce-1__4.png").read_bytes())
    assert [(c.format, c.text) for c in codes] == [("UPC_E", "0012300000451")]


def test_extended_code_39_is_decoded_to_full_ascii(samples):
    codes = decode((samples / "code39" / "code39-2__wide.png").read_bytes())
    assert [(c.format, c.text) for c in codes] == [("CODE_39", "Aa-1234")]


def test_control_characters_in_a_data_matrix_are_kept_verbatim(samples):
    path = samples / "datamatrix" / "datamatrix-3__dm-6.webp"
    codes = decode(path.read_bytes())
    assert [c.text for c in codes] == [path.with_suffix(".txt").read_text(encoding="utf-8")]
