"""Clean every text field on the way in (NFC, tone placement, zero-width) and bound it.

Why: the same question typed on two phones must be stored, searched and counted as
the same string; and empty or runaway input must fail with a clear message.
"""

from __future__ import annotations

from assistant.kb.errors import InvalidInput
from corpus.vietnamese import normalize_text


def clean(value: str | None, label: str, *, max_len: int, required: bool = True,
          single_line: bool = False) -> str:
    """Normalised ``value``; raises :class:`InvalidInput` naming ``label`` in Vietnamese."""
    if value is None:
        if required:
            raise InvalidInput(f"Thiếu {label}.")
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{label[:1].upper()}{label[1:]} phải là văn bản.")
    text = normalize_text(value, keep_newlines=not single_line)
    if required and not text:
        raise InvalidInput(f"{label[:1].upper()}{label[1:]} không được để trống.")
    if len(text) > max_len:
        raise InvalidInput(f"{label[:1].upper()}{label[1:]} quá dài (tối đa {max_len} ký tự).")
    return text


def clean_tags(tags: list[str] | None) -> list[str]:
    out: list[str] = []
    for tag in tags or []:
        t = clean(tag, "thẻ", max_len=64, required=False, single_line=True).lower()
        if t and t not in out:
            out.append(t)
    if len(out) > 20:
        raise InvalidInput("Tối đa 20 thẻ cho một câu hỏi.")
    return out
