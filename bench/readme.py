"""Write a benchmark's table into README.md between its markers."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def replace_section(name: str, table: str) -> None:
    """Replace what stands between `<!-- name:begin -->` and `<!-- name:end -->` in the README."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = README.read_text(encoding="utf-8")
    if begin not in text or end not in text:
        raise SystemExit(f"README.md has no {begin} … {end} section to fill")
    head, rest = text.split(begin, 1)
    README.write_text(head + begin + "\n" + table + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")
