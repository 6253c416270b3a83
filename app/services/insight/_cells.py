"""Values a worksheet cell can hold."""

from __future__ import annotations

import re

# The control characters XML 1.0 has no place for (all but tab, newline and return): openpyxl
# refuses a cell holding one. The API accepts them in names and notes (they are text), and the
# order report once answered 500 for an order whose customer had one.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def writable(row: list) -> list:
    """The row with those characters taken out of its text."""
    return [_UNWRITABLE.sub("", v) if isinstance(v, str) else v for v in row]
