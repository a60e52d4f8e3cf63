"""Plain dataclasses for parsed legal text: article → clauses → points.

Why: every source (pháp điển pages, plain law files, ALQAC json) is parsed into the
same shape so that indexing, citation and evaluation never care where a text came
from. The model is deliberately dumb data; parsers live in their own modules.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass
class LegalPoint:
    """An điểm: ``a)``, ``b)``, ``đ)`` … inside a clause."""

    label: str
    text: str


@dataclass
class LegalClause:
    """A khoản ``1.``, ``2.`` …; ``text`` is the clause's own lead-in text (points excluded)."""

    number: str
    text: str
    points: list[LegalPoint] = field(default_factory=list)

    def full_text(self) -> str:
        """Clause text followed by its points, one per line, as printed in the law."""
        lines = [f"{self.number}. {self.text}".rstrip()]
        lines += [f"{p.label}) {p.text}" for p in self.points]
        return "\n".join(lines)


@dataclass
class LegalArticle:
    """One article (Điều) with its provenance.

    ``article_id`` is the stable retrieval id: the pháp điển id ("37.5.LQ.273") for
    pháp điển pages, ``"{law_key or law_number}:{N}"`` for plain law files and the
    ALQAC id ("LPCMT-32") for ALQAC laws. ``article_number`` is the number of the
    article in its original law ("273").
    """

    article_id: str
    article_number: str
    title: str
    law_number: str = ""
    law_name: str = ""
    law_short: str = ""
    law_key: str = ""
    doc_type: str = ""
    topic: str = ""
    hierarchy: list[str] = field(default_factory=list)
    effective_date: str | None = None
    source_line: str = ""
    intro: str = ""
    clauses: list[LegalClause] = field(default_factory=list)
    text: str = ""
    repealed: bool = False
    extra_originals: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    source: str = ""
    cite_name: str = ""
    amended_by: list[str] = field(default_factory=list)
    recovered: bool = False
    status: str = "in_force"  # "repealed" (source says bãi bỏ) or "empty" (no text in the source)

    @property
    def n_points(self) -> int:
        return sum(len(c.points) for c in self.clauses)

    def clause(self, number: str | int) -> LegalClause | None:
        """The clause numbered ``number`` or None."""
        key = str(number)
        return next((c for c in self.clauses if c.number == key), None)

    def citation(self, clause: str | int | None = None, point: str | None = None) -> str:
        """Vietnamese citation: "điểm a khoản 2 Điều 192 Bộ luật Tố tụng dân sự 2015".

        Judges cite laws by long name and year, so that is what we print; when the
        law is not in the catalogue we fall back to its number or name.
        """
        parts = []
        if point:
            parts.append(f"điểm {point}")
        if clause is not None and str(clause) != "":
            parts.append(f"khoản {clause}")
        parts.append(f"Điều {self.article_number}")
        law = self.cite_name or self.law_name or self.law_number
        if law:
            parts.append(law)
        return " ".join(parts)

    @property
    def content_hash(self) -> str:
        """sha1 of id + title + text: changes whenever the indexed content would change."""
        h = hashlib.sha1()
        for part in (self.article_id, self.title, self.text):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()[:16]
