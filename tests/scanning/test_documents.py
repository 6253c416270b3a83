import pytest

from models.errors import InvalidInput
from scanning.documents import (
    DocumentStore,
    DocumentTooLarge,
    EmptyDocument,
    NotPdf,
    TruncatedPdf,
    check_pdf,
)
from tests.images import png
from tests.pdfs import pdf

LIMIT = 1024 * 1024


def test_a_complete_pdf_is_accepted_and_keyed_by_its_content():
    data = pdf()
    checked = check_pdf(data, max_bytes=LIMIT)
    assert checked.data == data and len(checked.sha256) == 64
    assert check_pdf(pdf(), max_bytes=LIMIT).sha256 == checked.sha256
    assert check_pdf(pdf("other"), max_bytes=LIMIT).sha256 != checked.sha256


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EmptyDocument),
        (png(), NotPdf),
        (b"hello, this is not a PDF %%EOF", NotPdf),
        (b"%PDX-1.4 fake\n%%EOF", NotPdf),
        (pdf()[:600], TruncatedPdf),
    ],
)
def test_bad_documents_are_refused_with_a_clear_error(data, error):
    with pytest.raises(error) as err:
        check_pdf(data, max_bytes=LIMIT)
    assert err.value.message


def test_a_pdf_over_the_limit_is_refused_naming_the_limit():
    with pytest.raises(DocumentTooLarge, match="1 MB"):
        check_pdf(pdf() + b" " * LIMIT, max_bytes=LIMIT)


def test_the_store_writes_once_and_refuses_keys_that_are_not_hashes(tmp_path):
    store = DocumentStore(tmp_path)
    checked = check_pdf(pdf(), max_bytes=LIMIT)
    key = store.save(checked)
    path = store.path_for(key)
    assert path.read_bytes() == checked.data and store.exists(key)
    assert store.save(checked) == key
    with pytest.raises(InvalidInput, match="文件编号无效"):
        store.path_for("../../etc/passwd")
