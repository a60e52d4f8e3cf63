"""Training data and fitting for the article re-ranker (``troly model rerank-train``).

Why generated questions: the measured sets (court_subset, ALQAC, the judge set in
eval/data) must stay measurements, and there is no log of judges' questions yet. The
laws themselves say what each article is about, so questions are written from them, in
the shapes judges use:

* title questions: the title with the case's field and sometimes its stage
  ("thời hạn kháng cáo vụ án hành chính", "quy định về hoãn phiên tòa phúc thẩm …");
* clause questions: a stretch of one clause, as exam-style questions quote the law;
* scenario questions: "Tòa án đang giải quyết vụ án dân sự ở giai đoạn phúc thẩm, <a
  stretch of a clause> thì xử lý thế nào?";
* facet questions: the article's own facets (what is asked, the act, the object, the
  stage, the field) said with other surface forms from corpus/data/legal_facets.tsv
  ("mấy ngày kháng cáo bản án … vụ án dân sự"), the way judges name a rule without its title;
* facet-swapped pairs: a title that several procedure codes share ("Thời hạn kháng cáo",
  "Hoãn phiên tòa") asked once per code with that code's field words, so the same
  wording labels a different article when only the field differs, and the other codes'
  articles are the negatives; likewise a title that recurs at several stages of one code
  once the stage words are taken out ("Hoãn phiên tòa" / "Hoãn phiên tòa phúc thẩm",
  "Thời hạn kháng cáo" / "… theo thủ tục rút gọn"), asked with its own stage;

a third of them typed without diacritics. Each question runs through the real pipeline;
the candidates the aggregator hands over are the rows, the article the question was
written from is the positive. A fixed seed makes the file reproducible from the corpus.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from assistant.answer_match.facets import load_vocabulary
from assistant.article_facets import article_view
from assistant.article_rerank import FEATURES, ArticleReranker, RerankModel
from corpus.legal_model import LegalArticle
from corpus.vietnamese import fold_diacritics
from indexing.pipeline_runner import run_acyclic

# Pages whose articles judges ask about most (procedure, enforcement, costs, court mediation).
PROCEDURAL_TOPICS = {
    "Tố tụng dân sự": ("vụ án dân sự", "tố tụng dân sự", "vụ việc dân sự"),
    "Tố tụng hình sự": ("vụ án hình sự", "tố tụng hình sự"),
    "Tố tụng hành chính": ("vụ án hành chính", "tố tụng hành chính"),
    "Thi hành án dân sự": ("thi hành án dân sự",),
    "Hòa giải, đối thoại tại Tòa án": ("hòa giải, đối thoại tại Tòa án", "hòa giải tại Tòa án"),
    "Chi phí tố tụng": ("chi phí tố tụng", "tố tụng"),
}
_CASE = {"Tố tụng dân sự": "vụ án dân sự", "Tố tụng hình sự": "vụ án hình sự",
         "Tố tụng hành chính": "vụ án hành chính"}
_STAGE_WORDS = (("GIÁM ĐỐC THẨM", "giám đốc thẩm"), ("TÁI THẨM", "tái thẩm"), ("PHÚC THẨM", "phúc thẩm"),
                ("SƠ THẨM", "sơ thẩm"), ("RÚT GỌN", "rút gọn"))
_TAILS = ("", "?", " thế nào?", " như thế nào?", " ra sao?", " được quy định thế nào?")
_SCENARIO_TAILS = (" thì xử lý thế nào?", " thì giải quyết ra sao?", " thì sao?", " thì Tòa án làm gì?")
_WORD = re.compile(r"\S+")
_STAGE_PHRASES = re.compile(r"\b(theo thủ tục |thủ tục )?(sơ thẩm|phúc thẩm|giám đốc thẩm|tái thẩm|rút gọn)\b")


def _stageless(title: str) -> str:
    """A title without its stage words, to find the same rule at another stage."""
    text = _STAGE_PHRASES.sub(" ", title.lower())
    text = re.sub(r"\b(đối với bản án, quyết định|kháng nghị đối với bản án, quyết định)\b", " ", text)
    return re.sub(r"[\s,]+", " ", text).strip()


@dataclass(frozen=True)
class TrainingQuestion:
    query: str
    gold: str
    kind: str  # title | clause | scenario | swapped


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _stage(article: LegalArticle) -> str:
    heads = " ".join(article.hierarchy).upper()
    return next((word for caps, word in _STAGE_WORDS if caps in heads), "")


def _context(article: LegalArticle) -> tuple[str, ...]:
    return PROCEDURAL_TOPICS.get(article.topic, (article.topic.lower(),) if article.topic else ("",))


def _stretch(text: str, rng: random.Random, low: int = 10, high: int = 26) -> str:
    """A run of words from the start of a sentence of ``text`` (clause numbers dropped)."""
    text = re.sub(r"^\s*(\d+\.|[a-zđ]\))\s*", "", text)
    sentences = [s for s in re.split(r"(?<=[.;:])\s+", text) if len(s.split()) >= 5] or [text]
    words = _WORD.findall(rng.choice(sentences))
    n = min(len(words), rng.randint(low, high))
    return " ".join(words[:n]).rstrip(".,;:")


def _clause_texts(article: LegalArticle) -> list[str]:
    texts = [c.full_text() for c in article.clauses if c.text or c.points]
    return texts or [article.text]


def _maybe_fold(text: str, rng: random.Random) -> str:
    return fold_diacritics(text).lower() if rng.random() < 1 / 3 else text


def title_question(article: LegalArticle, rng: random.Random, context: str | None = None) -> str:
    title = _lower_first(article.title.strip().rstrip("."))
    ctx = context if context is not None else rng.choice(_context(article))
    stage = _stage(article)
    stage_part = f" {stage}" if stage and stage not in title and rng.random() < 0.5 else ""
    shape = rng.randrange(4)
    if shape == 0:
        text = f"{title}{stage_part} {ctx}"
    elif shape == 1:
        text = f"{title}{stage_part} trong {ctx}"
    elif shape == 2:
        text = f"Quy định về {title}{stage_part} trong {ctx}"
    else:
        text = f"{title[:1].upper()}{title[1:]}{stage_part} {ctx}"
    return (text.strip() + rng.choice(_TAILS)).strip()


def clause_question(article: LegalArticle, rng: random.Random) -> str:
    text = _stretch(rng.choice(_clause_texts(article)), rng)
    return text + rng.choice(("?", "", " không?", " thì sao?"))


def scenario_question(article: LegalArticle, rng: random.Random) -> str:
    case = _CASE.get(article.topic) or rng.choice(_context(article))
    stage = _stage(article)
    where = f" ở giai đoạn {stage}" if stage and rng.random() < 0.7 else ""
    opener = rng.choice(("Tòa án đang giải quyết", "Tòa án đã thụ lý", "Trong quá trình giải quyết"))
    fragment = _lower_first(_stretch(rng.choice(_clause_texts(article)), rng, 8, 18))
    return f"{opener} {case}{where}, {fragment}{rng.choice(_SCENARIO_TAILS)}"


_FACET_ORDER = ("act", "object", "party", "stage", "field", "asked")


def _surfaces() -> dict[tuple[str, str], list[str]]:
    """(facet, value) → its accented surface forms in the facet vocabulary."""
    vocab = load_vocabulary()
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for words, rows in vocab.accented.items():
        for row in rows:
            if row.facet != "-":
                out[(row.facet, row.value)].append(" ".join(words))
    return {k: sorted(v) for k, v in out.items()}


def facet_question(article: LegalArticle, rng: random.Random, surfaces: dict[tuple[str, str], list[str]]) -> str:
    """The article's facets in other words (empty when its title names fewer than two)."""
    meta = {"title": article.title, "hierarchy": " › ".join(article.hierarchy), "topic": article.topic,
            "law_key": article.law_key}
    view = article_view(meta)
    if sum(len(v) for v in view.title_facets.values()) < 2:
        return ""
    parts = []
    for facet in _FACET_ORDER:
        if facet == "field":  # the case's own words, not any form that implies the field
            parts.append(rng.choice(_context(article)))
            continue
        values = sorted((view.title_facets if facet not in ("stage", "field") else view.facets).get(facet, ()))
        if values and (facet in ("act", "asked") or rng.random() < 0.6):
            forms = surfaces.get((facet, rng.choice(values)))
            if forms:
                parts.append(rng.choice(forms))
    if len(parts) < 3:
        return ""
    return " ".join(parts) + rng.choice(_TAILS)


def generate_questions(articles: Iterable[LegalArticle], *, seed: int = 7, limit: int = 3000,
                       other_share: float = 0.15) -> list[TrainingQuestion]:
    """Questions written from the articles (procedural pages: title, clause and scenario
    questions; other pages: one question for ``other_share`` of their articles), plus the
    facet-swapped title questions; at most ``limit``, chosen with ``seed``."""
    rng = random.Random(seed)
    articles = [a for a in articles if a.status == "in_force" and a.title.strip()]
    out: list[TrainingQuestion] = []
    by_title: dict[str, list[LegalArticle]] = defaultdict(list)
    surfaces = _surfaces()
    by_stage: dict[tuple[str, str], list[LegalArticle]] = defaultdict(list)
    for article in articles:
        if article.topic in PROCEDURAL_TOPICS:
            if text := facet_question(article, rng, surfaces):
                out.append(TrainingQuestion(_maybe_fold(text, rng), article.article_id, "facets"))
            out.append(TrainingQuestion(_maybe_fold(title_question(article, rng), rng), article.article_id, "title"))
            out.append(TrainingQuestion(_maybe_fold(clause_question(article, rng), rng), article.article_id, "clause"))
            if article.topic in _CASE or rng.random() < 0.5:
                out.append(TrainingQuestion(_maybe_fold(scenario_question(article, rng), rng), article.article_id,
                                            "scenario"))
            if article.topic in _CASE and ".LQ." in article.article_id:
                by_title[article.title.strip().lower()].append(article)
                by_stage[(article.topic, _stageless(article.title))].append(article)
        elif rng.random() < other_share:
            make = rng.choice((title_question, clause_question))
            out.append(TrainingQuestion(_maybe_fold(make(article, rng), rng), article.article_id, "other"))
    swapped = []
    for group in by_title.values():
        if len({a.topic for a in group}) < 2:
            continue
        for article in group:
            swapped.append(TrainingQuestion(_maybe_fold(title_question(article, rng, _CASE[article.topic]), rng),
                                            article.article_id, "swapped"))
    for group in by_stage.values():
        if len({_stage(a) for a in group}) < 2:
            continue
        for article in group:
            stage = _stage(article) or "sơ thẩm"
            title = _lower_first(article.title.strip())
            text = title if stage in title.lower() else f"{title} {stage}"
            text = f"{text} {_CASE[article.topic]}{rng.choice(_TAILS)}"
            swapped.append(TrainingQuestion(_maybe_fold(text, rng), article.article_id, "stage"))
    rng.shuffle(out)
    rng.shuffle(swapped)
    swapped = swapped[: limit // 3]
    return swapped + out[: max(0, limit - len(swapped))]


@dataclass
class TrainingRows:
    x: np.ndarray
    y: np.ndarray
    group: np.ndarray  # question index of each row
    kinds: list[str]
    missed: int  # questions whose article was not among the candidates


def collect_rows(pipeline: Any, questions: list[TrainingQuestion],
                 on_step: Callable[[], None] | None = None) -> TrainingRows:
    """Run each question through ``pipeline`` (built with ``rerank=True``) and featurise the
    candidates the aggregator hands to the re-ranker."""
    reranker: ArticleReranker = pipeline.get_component("articles")
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    kinds: list[str] = []
    missed = 0
    for q in questions:
        out = run_acyclic(pipeline, {"preprocess": {"query": q.query}})
        docs = out["aggregate"]["documents"]
        pre = out["preprocess"]
        ids = [str(d.meta.get("article_id") or d.id) for d in docs]
        if on_step:
            on_step()
        if q.gold not in ids:
            missed += 1
            continue
        xs.append(reranker.featurizer.matrix(docs, pre["lexical_text"], pre["law_keys"], pre["law_weights"]))
        ys.append(np.asarray([1.0 if i == q.gold else 0.0 for i in ids]))
        groups.append(np.full(len(ids), len(kinds)))
        kinds.append(q.kind)
    if not xs:
        raise ValueError("Không câu hỏi huấn luyện nào tìm được điều luật của nó trong các ứng viên.")
    return TrainingRows(np.vstack(xs), np.concatenate(ys), np.concatenate(groups), kinds, missed)


def ranking_mrr(scores: np.ndarray, rows: TrainingRows, k: int = 10) -> float:
    """MRR@k of the gold article when each question's candidates are ordered by ``scores``."""
    total = 0.0
    for g in range(len(rows.kinds)):
        idx = np.flatnonzero(rows.group == g)
        order = idx[np.argsort(-scores[idx], kind="stable")]
        rank = int(np.flatnonzero(rows.y[order] == 1.0)[0])
        total += 1.0 / (rank + 1) if rank < k else 0.0
    return total / max(1, len(rows.kinds))


def fit_model(rows: TrainingRows, *, l2: float = 1.0) -> RerankModel:
    """Each question weighs the same: its positive 1, its negatives 1 in total."""
    weight = np.ones(len(rows.y))
    for g in range(len(rows.kinds)):
        idx = np.flatnonzero((rows.group == g) & (rows.y == 0.0))
        if len(idx):
            weight[idx] = 1.0 / len(idx)
    model = RerankModel.fit(rows.x, rows.y, l2=l2, sample_weight=weight)
    retrieval = -np.arange(len(rows.y), dtype=np.float64)  # the incoming order
    model.info = {
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "questions": len(rows.kinds),
        "rows": int(len(rows.y)),
        "missed": rows.missed,
        "kinds": {k: rows.kinds.count(k) for k in sorted(set(rows.kinds))},
        "l2": l2,
        "train_mrr@10_before": round(ranking_mrr(retrieval, rows), 4),
        "train_mrr@10_after": round(ranking_mrr(model.decision(rows.x), rows), 4),
        "features": list(FEATURES),
    }
    return model
