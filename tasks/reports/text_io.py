"""Read report files whose encoding may be UTF-8 (with or without BOM) or Latin-1."""

from __future__ import annotations

from pathlib import Path


def read_text(path: Path) -> str:
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return (
            data.decode("cp1252", errors="strict") if _is_cp1252(data) else data.decode("latin-1")
        )


def _is_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True
