"""Real PDF bytes for tests, made with reportlab."""

from __future__ import annotations

import io

from reportlab.pdfgen import canvas


def pdf(text: str = "Completion report") -> bytes:
    """A small, complete one-page PDF (different text gives a different content hash)."""
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return out.getvalue()
