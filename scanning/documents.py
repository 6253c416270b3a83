"""PDF documents (completion report, user manual, signed acceptance form): check and store.

Pure code: bytes in, a checked `PdfFile` out or a DomainError; storage is content-addressed
under root/ab/cd/<sha256>.pdf, written atomically like the photos.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from models.errors import InvalidInput, TooLarge, Unavailable, UnsupportedMedia
from scanning.photo_store import write_atomic

log = logging.getLogger(__name__)

_HEADER = re.compile(rb"%PDF-\d\.\d")
_KEY = re.compile(r"[0-9a-f]{64}")
# A complete PDF ends with %%EOF, possibly followed by a line break or a little padding.
_TAIL = 1024
_MB = 1024 * 1024


class EmptyDocument(InvalidInput):
    code = "document_empty"
    message = "没有收到文件内容"


class DocumentTooLarge(TooLarge):
    code = "document_too_large"

    def __init__(self, *, limit_bytes: int):
        limit_mb = round(limit_bytes / _MB, 1)
        super().__init__(f"文件不能超过 {limit_mb:g} MB", limit_mb=limit_mb)


class NotPdf(UnsupportedMedia):
    code = "document_not_pdf"
    message = "只支持 PDF 文件"


class TruncatedPdf(InvalidInput):
    code = "document_truncated"
    message = "PDF 文件不完整（可能上传中断），请重新上传"


class DocumentStorageUnavailable(Unavailable):
    code = "document_storage_unavailable"
    message = "文件存储暂时不可用，文件未保存"


class DocumentStorageFull(Unavailable):
    code = "document_storage_full"
    message = "存储空间不足，文件未保存"


@dataclass(frozen=True)
class PdfFile:
    data: bytes
    sha256: str


def check_pdf(data: bytes, *, max_bytes: int) -> PdfFile:
    """Accept a PDF by its content (not its name): header first, %%EOF at the end."""
    if not data:
        raise EmptyDocument()
    if len(data) > max_bytes:
        raise DocumentTooLarge(limit_bytes=max_bytes)
    if _HEADER.match(data) is None:
        raise NotPdf()
    if b"%%EOF" not in data[-_TAIL:]:
        raise TruncatedPdf()
    return PdfFile(data=data, sha256=hashlib.sha256(data).hexdigest())


class DocumentStore:
    """PDFs on local disk under `root` (the app passes UPLOAD_DIR/documents)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        """Where a document lives; only a 64-hex key is accepted, so no path traversal."""
        if not isinstance(key, str) or _KEY.fullmatch(key) is None:
            raise InvalidInput("文件编号无效", code="document_invalid_key")
        return self.root / key[:2] / key[2:4] / f"{key}.pdf"

    def save(self, pdf: PdfFile) -> str:
        """Store the file unless it is already there; return its key."""
        path = self.path_for(pdf.sha256)
        if path.exists():
            return pdf.sha256
        try:
            write_atomic(path, pdf.data)
        except OSError as exc:
            log.error("Document store failed on %s: %s", pdf.sha256, exc)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DocumentStorageFull() from exc
            raise DocumentStorageUnavailable() from exc
        return pdf.sha256

    def exists(self, key: str) -> bool:
        return self.path_for(key).exists()
