"""Publication dates as sources give them: ISO strings and dates inside file names."""

from __future__ import annotations

import re
from datetime import date

__all__ = ["date_from_name", "parse_iso_date", "valid_date"]

_MIN_YEAR, _MAX_YEAR = 1900, 2100
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})([-_]?)(\d{2})\2(\d{2})(?!\d)")
_HEX_RUN = re.compile(r"[0-9a-fA-F]{12,}")  # content hashes in file names, e.g. 540523ca5f8d8d9a
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?$")


def parse_iso_date(value: str) -> str | None:
    """`2024-06-28` (a time after it is allowed) → "2024-06-28"; None when not a real date."""
    match = _ISO_DATE.match(value.strip())
    return valid_date(*match.group(1, 2, 3)) if match else None


def valid_date(year: str, month: str, day: str) -> str | None:
    if not _MIN_YEAR <= int(year) <= _MAX_YEAR:
        return None
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def date_from_name(name: str) -> str | None:
    """The first real calendar date in a file name, as yyyy-mm-dd; None when there is none."""
    hashes = [match.span() for match in _HEX_RUN.finditer(name) if not match.group().isdigit()]
    for match in _NAME_DATE.finditer(name):
        if any(start <= match.start() and match.end() <= end for start, end in hashes):
            continue  # digits inside a hex hash are no date
        found = valid_date(match.group(1), match.group(3), match.group(4))
        if found:
            return found
    return None
