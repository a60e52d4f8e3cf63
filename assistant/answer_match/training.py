"""Training pairs for the match model, its fit, thresholds and a held-out measurement.

The training files (every ``training/*.jsonl``: ``match_pairs.jsonl`` and
``match_pairs_more.jsonl``) hold contributed-style entries, each with reworded questions a
judge might type, questions it does *not* answer, and the answer a judge would write (its
words are evidence: a reworded question often repeats the answer rather than the entry's
question). From them:

* positives — every rewording (and the entry's own question) ↔ its entry, in the typing
  styles judges use: with diacritics, without, with abbreviations (BLTTDS, VKS), both;
* facet swaps — one legal facet of the question changed (dân sự→hình sự, kháng cáo→kháng
  nghị, sơ thẩm→phúc thẩm, thời hạn→án phí …) ↔ the original entry, label 0;
* written near-misses ↔ the entry, label 0;
* retrieval hard negatives — a reworded question ↔ each other entry retrieval ranks among
  its candidates, label 0;
* unrelated questions, which no entry answers.

An installation adds its own data (``troly model calibrate``): approved entries (their
question in every typing style, and its facet swaps), the pairs judges confirmed ("Đây đúng
là câu tôi hỏi") and unanswered questions a reviewer answered with an approved entry.

Evaluation: entries are split into folds; every pair of a fold is scored by a model fitted
on the other folds (out-of-fold), and each question is then decided as an ask would decide
it (its best candidate among the retrieved ones, thresholds). The thresholds are chosen on
those out-of-fold scores; the shipped model is then fitted on everything.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.answer_match.features import (
    CITED_BY_ARTICLES,
    CITED_CANDIDATES,
    FEATURES,
    Idf,
    PairFeaturizer,
    QuestionView,
    answer_shortfall,
)
from assistant.answer_match.model import MatchModel, Thresholds
from corpus.vietnamese import fold_diacritics, normalize_text

TRAINING_DIR = Path(__file__).with_name("training")
CANDIDATES = 10  # as many as the engine verifies per ask (by the question's own vectors)

# Long forms → what judges type instead (the reverse of corpus/data/abbreviations.tsv).
_ABBREVIATE = (
    ("Bộ luật Tố tụng dân sự", "BLTTDS"), ("Bộ luật Tố tụng hình sự", "BLTTHS"),
    ("Luật Tố tụng hành chính", "Luật TTHC"), ("Bộ luật Hình sự", "BLHS"), ("Bộ luật Dân sự", "BLDS"),
    ("Viện kiểm sát", "VKS"), ("Hội đồng xét xử", "HĐXX"), ("Tòa án nhân dân", "TAND"),
    ("biện pháp khẩn cấp tạm thời", "BPKCTT"), ("hôn nhân và gia đình", "HNGĐ"),
    ("thi hành án dân sự", "THADS"), ("giám đốc thẩm", "GĐT"), ("người bị hại", "NBH"),
    ("Cơ quan điều tra", "CQĐT"), ("tố tụng dân sự", "TTDS"), ("tố tụng hình sự", "TTHS"),
    ("vụ án dân sự", "vụ án ds"), ("sơ thẩm", "ST"), ("phúc thẩm", "PT"), ("Thi hành án", "THA"),
)

# One facet changed: (facet, [(old, new), …]) — the first pair must match; the others are
# applied where they match too, so that the whole of what is asked changes ("thời hạn … bao
# lâu" → "án phí … bao nhiêu"), not one word of it.
SWAPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("field", (("dân sự", "hình sự"), ("đương sự", "bị cáo"))),
    ("field", (("dân sự", "hành chính"),)),
    ("field", (("hình sự", "dân sự"), ("bị cáo", "đương sự"), ("bị can", "đương sự"))),
    ("field", (("hình sự", "hành chính"),)),
    ("field", (("hành chính", "dân sự"),)),
    ("field", (("ly hôn", "tranh chấp hợp đồng lao động"),)),
    ("stage", (("sơ thẩm", "phúc thẩm"),)),
    ("stage", (("sơ thẩm", "giám đốc thẩm"),)),
    ("stage", (("phúc thẩm", "sơ thẩm"),)),
    ("stage", (("giám đốc thẩm", "tái thẩm"),)),
    ("stage", (("tái thẩm", "giám đốc thẩm"),)),
    ("stage", (("điều tra", "truy tố"),)),
    ("stage", (("truy tố", "điều tra"),)),
    ("act", (("kháng cáo", "kháng nghị"), ("đương sự", "Viện kiểm sát"), ("bị cáo", "Viện kiểm sát"))),
    ("act", (("kháng nghị", "kháng cáo"), ("Viện kiểm sát", "đương sự"), ("VKS", "đương sự"))),
    ("act", (("tạm đình chỉ", "đình chỉ"),)),
    ("act", (("đình chỉ", "tạm đình chỉ"),)),
    ("act", (("tạm đình chỉ", "hoãn"),)),
    ("act", (("hoãn", "tạm đình chỉ"),)),
    ("act", (("trả lại đơn", "thụ lý"),)),
    ("act", (("thụ lý", "trả lại đơn"),)),
    ("act", (("tạm giam", "tạm giữ"),)),
    ("act", (("định giá", "giám định"),)),
    ("object", (("bản án", "quyết định"),)),
    ("object", (("quyết định", "bản án"),)),
    ("asked", (("thời hạn", "án phí"), ("bao lâu", "bao nhiêu"), ("mấy ngày", "bao nhiêu"),
               ("bao nhiêu ngày", "bao nhiêu"), ("mấy tháng", "bao nhiêu"))),
    ("asked", (("thời hạn", "thẩm quyền"), ("là bao lâu", "thuộc Tòa án nào"), ("bao lâu", "Tòa án nào"),
               ("mấy ngày", "Tòa án nào"))),
    ("asked", (("tạm ứng án phí", "án phí"),)),
    ("asked", (("án phí", "tạm ứng án phí"),)),
    ("asked", (("thời hiệu", "thời hạn kháng cáo"),)),
    ("asked", (("khi nào", "hậu quả ra sao"),)),
    ("asked", (("trường hợp nào", "hậu quả gì"),)),
    ("party", (("bị can", "bị cáo"),)),
    ("party", (("bị cáo", "bị can"),)),
    ("party", (("nguyên đơn", "bị đơn"),)),
    ("party", (("bị đơn", "nguyên đơn"),)),
    ("party", (("chồng", "vợ"), ("vợ đang", "chồng đang"))),
)


@dataclass
class TrainingEntry:
    id: str
    question: str
    field: str = "khác"
    citation: str = ""
    rewordings: list[str] = dataclasses.field(default_factory=list)
    near_misses: list[str] = dataclasses.field(default_factory=list)
    article_ids: list[str] = dataclasses.field(default_factory=list)
    answer: str = ""  # the answer a judge would write: its words are evidence (features.answer_cover)


@dataclass
class TrainingSet:
    entries: list[TrainingEntry]
    unrelated: list[str] = dataclasses.field(default_factory=list)


def training_files(folder: Path = TRAINING_DIR) -> list[Path]:
    """Every ``*.jsonl`` of the training folder, by name: a new file of entries is trained
    on without touching the code that reads it."""
    return sorted(folder.glob("*.jsonl"))


def read_training(paths: Path | Iterable[Path] | None = None) -> TrainingSet:
    """Entries and unrelated questions of one file or several (default: the training
    folder's files), in order. An id used twice is an error: every fold, view and label is
    keyed by it."""
    files = [paths] if isinstance(paths, Path) else list(paths) if paths is not None else training_files()
    entries: list[TrainingEntry] = []
    unrelated: list[str] = []
    seen: dict[str, Path] = {}
    for path in files:
        for line in Path(path).read_text("utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if "unrelated" in item:
                unrelated.extend(item["unrelated"])
                continue
            if item["id"] in seen:
                raise ValueError(f"Mã mục huấn luyện bị trùng: {item['id']} "
                                 f"({seen[item['id']].name}, {Path(path).name})")
            seen[item["id"]] = Path(path)
            entries.append(TrainingEntry(item["id"], item["question"], item.get("field", "khác"),
                                         item.get("citation", ""), list(item.get("rewordings", [])),
                                         list(item.get("near_misses", [])), list(item.get("article_ids", [])),
                                         item.get("answer", "")))
    return TrainingSet(entries, unrelated)


# ------------------------------------------------------------------ typing styles, swaps
def _replace_ci(text: str, old: str, new: str) -> str | None:
    pattern = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)", re.IGNORECASE)
    if not pattern.search(text):
        return None
    return pattern.sub(lambda m: new if not m.group(0)[0].isupper() else new[:1].upper() + new[1:], text, count=1)


def abbreviate(text: str) -> str:
    for long, short in _ABBREVIATE:
        text = _replace_ci(text, long, short) or text
    return text


def typing_styles(text: str) -> list[tuple[str, str]]:
    """(style, text): as written, without diacritics, abbreviated, abbreviated without diacritics."""
    text = normalize_text(text, keep_newlines=False)
    out = [("accented", text), ("folded", fold_diacritics(text).lower())]
    short = abbreviate(text)
    if short != text:
        out.append(("abbreviated", short))
        out.append(("phone", fold_diacritics(short)))
    return out


def facet_swaps(text: str, rng: random.Random, limit: int = 3) -> list[tuple[str, str]]:
    """(swapped question, "facet: old→new"), at most ``limit``, one facet changed each.

    A swap is kept only when the facet it meant to change did change on both sides (the
    new value appears, the old one is gone), so that "đình chỉ"→"tạm đình chỉ" inside
    "tạm đình chỉ" or a half-changed question never becomes a negative."""
    from assistant.answer_match.facets import extract_facets

    before = extract_facets(text)
    options = []
    for facet, pairs in SWAPS:
        swapped = _replace_ci(text, *pairs[0])
        if not swapped:
            continue
        for old, new in pairs[1:]:
            swapped = _replace_ci(swapped, old, new) or swapped
        if swapped == text:
            continue
        was, now = before.get(facet, frozenset()), extract_facets(swapped).get(facet, frozenset())
        if was - now and now - was:
            options.append((swapped, f"{facet}: {pairs[0][0]}→{pairs[0][1]}"))
    rng.shuffle(options)
    seen, out = set(), []
    for swapped, what in options:
        facet = what.split(":")[0]
        if facet in seen:
            continue
        seen.add(facet)
        out.append((swapped, what))
        if len(out) >= limit:
            break
    return out


# ------------------------------------------------------------------ pairs
@dataclass
class Query:
    text: str
    entry: str  # the entry it was written from
    kind: str  # positive | swap | near_miss | unrelated
    style: str = "accented"
    source: str = ""  # "training" or "installation"


def _states_otherwise(entry_facets: dict, facet: str, swapped: str) -> bool:
    """Whether the entry's own question says something else for the swapped facet. A swap
    the entry is silent on ("… phúc thẩm …" against "Thời hạn chuẩn bị xét xử vụ án hành
    chính") may or may not be answered by it; no reader of the two questions could tell, so
    it is no negative to learn from."""
    from assistant.answer_match.facets import extract_facets

    mine, theirs = entry_facets.get(facet, frozenset()), extract_facets(swapped).get(facet, frozenset())
    return bool(mine) and bool(theirs - mine) and bool(mine - theirs)


def make_queries(data: TrainingSet, seed: int = 7) -> list[Query]:
    from assistant.answer_match.facets import extract_facets

    rng = random.Random(seed)
    out: list[Query] = []
    for e in data.entries:
        for style, text in typing_styles(e.question)[1:]:  # the question itself, retyped
            out.append(Query(text, e.id, "positive", style))
        for r in e.rewordings:
            out.extend(Query(t, e.id, "positive", s) for s, t in typing_styles(r))
        for nm in e.near_misses:
            out.extend(Query(t, e.id, "near_miss", s) for s, t in typing_styles(nm)[:2])
        entry_facets = extract_facets(e.question, entry_field=e.field)
        for base in [e.question, *e.rewordings[:2]]:
            for swapped, what in facet_swaps(base, rng, limit=2):
                if not _states_otherwise(entry_facets, what.split(":")[0], swapped):
                    continue
                out.extend(Query(t, e.id, "swap", s) for s, t in typing_styles(swapped)[:2])
    for text in data.unrelated:
        out.extend(Query(t, "", "unrelated", s) for s, t in typing_styles(text)[:2])
    return out


@dataclass
class PairSet:
    x: np.ndarray
    y: np.ndarray  # 1 / 0; -1 = not a labelled pair (another entry for a near-miss question)
    query: np.ndarray  # index into queries
    entry: np.ndarray  # index into entries
    queries: list[Query]
    entry_ids: list[str]
    shortfall: np.ndarray | None = None  # features.answer_shortfall of each pair, per question


def build_pairs(queries: list[Query], query_views: list[QuestionView], entries: list[TrainingEntry],
                entry_views: list[QuestionView], idf: Idf, candidates: int = CANDIDATES) -> PairSet:
    """Each question against its retrieval candidates among all entries (dense cosine and word
    overlap, as Qdrant's hybrid prefetch would find them) plus its own entry."""
    featurizer = PairFeaturizer()
    index = {e.id: i for i, e in enumerate(entries)}
    matrix = np.stack([v.vector for v in entry_views])
    rows, ys, qs, es = [], [], [], []
    short: list[float] = []
    for qi, (q, view) in enumerate(zip(queries, query_views, strict=False)):
        cos = matrix @ view.vector
        lex = np.asarray([len(view.tokens & ev.tokens) / max(1, len(view.tokens)) for ev in entry_views])
        # as the engine: entries citing one of the question's best articles join (closest first)
        best = set(view.articles[:CITED_BY_ARTICLES])
        citing = [i for i in np.argsort(-cos) if best & set(entry_views[i].articles)][:CITED_CANDIDATES]
        chosen = list(dict.fromkeys([*np.argsort(-cos)[:candidates], *np.argsort(-lex)[: candidates // 2],
                                     *citing]))
        own = index.get(q.entry)
        if own is not None and own not in chosen:
            chosen.append(own)
        x = featurizer.features(view, [entry_views[ei] for ei in chosen], idf)
        short.extend(answer_shortfall(view, [entry_views[ei] for ei in chosen]))
        for row, ei in zip(x, chosen, strict=False):
            if q.kind == "positive":
                label = 1 if ei == own else 0
            elif q.kind == "unrelated":
                label = 0
            else:
                label = 0 if ei == own else -1  # another entry may well answer a changed question
            rows.append(row)
            ys.append(label)
            qs.append(qi)
            es.append(ei)
    return PairSet(np.asarray(rows), np.asarray(ys), np.asarray(qs), np.asarray(es), queries,
                   [e.id for e in entries], np.asarray(short, dtype=np.float64))


# ------------------------------------------------------------------ fit, decide, measure
def _fold_of(entry_id: str, folds: int) -> int:
    return zlib.crc32(entry_id.encode()) % folds


def out_of_fold(pairs: PairSet, idf: Idf, folds: int = 4, l2: float = 3.0) -> np.ndarray:
    """Each pair's confidence from a model that never saw its question's entry."""
    groups = np.asarray([_fold_of(q.entry or q.text, folds) for q in pairs.queries])[pairs.query]
    scores = np.zeros(len(pairs.y))
    for f in range(folds):
        train = (groups != f) & (pairs.y >= 0)
        model = MatchModel.fit(pairs.x[train], pairs.y[train], l2=l2, idf=idf)
        scores[groups == f] = model.predict(pairs.x[groups == f])
    return scores


@dataclass
class Decided:
    kind: str
    style: str
    right: bool  # the best candidate is the question's own entry
    best: float
    own: float  # the own entry's confidence (0 when not a candidate)


def decide_queries(pairs: PairSet, scores: np.ndarray, keys: np.ndarray | None = None) -> list[Decided]:
    """Each question's decision: its best candidate (by ``keys``, the order, when given; else
    by confidence) and that candidate's confidence."""
    out = []
    entry_index = {e: i for i, e in enumerate(pairs.entry_ids)}
    for qi, q in enumerate(pairs.queries):
        mask = pairs.query == qi
        if not mask.any():
            continue
        s, es = scores[mask], pairs.entry[mask]
        best = int(np.argmax(s if keys is None else keys[mask]))
        own = entry_index.get(q.entry)
        own_score = float(s[es == own][0]) if own is not None and (es == own).any() else 0.0
        out.append(Decided(q.kind, q.style, own is not None and int(es[best]) == own, float(s[best]), own_score))
    return out


def ask_metrics(decided: list[Decided], t: Thresholds) -> dict:
    pos = [d for d in decided if d.kind == "positive"]
    near = [d for d in decided if d.kind in ("swap", "near_miss")]
    far = [d for d in decided if d.kind == "unrelated"]

    def rate(items, cond):
        return round(sum(1 for d in items if cond(d)) / len(items), 4) if items else None

    out = {
        "questions": {"positive": len(pos), "near_miss": len(near), "unrelated": len(far)},
        "top1": rate(pos, lambda d: d.right),
        "answered_right": rate(pos, lambda d: d.right and d.best >= t.answer),
        "answered_wrong": rate(pos, lambda d: not d.right and d.best >= t.answer),
        "near_false_answer": rate(near, lambda d: d.right and d.best >= t.answer),
        "near_answered_any": rate(near, lambda d: d.best >= t.answer),
        "far_false_answer": rate(far, lambda d: d.best >= t.answer),
    }
    answered = [d for d in pos if d.best >= t.answer]
    out["answer_precision"] = rate(answered, lambda d: d.right)
    styles = sorted({d.style for d in pos})
    out["by_style"] = {s: {"top1": rate([d for d in pos if d.style == s], lambda d: d.right),
                           "answered_right": rate([d for d in pos if d.style == s],
                                                  lambda d: d.right and d.best >= t.answer)}
                       for s in styles}
    return out


def duplicate_metrics(pairs: PairSet, scores: np.ndarray, threshold: float) -> dict:
    """New contributions (accented rewordings, and accented facet swaps / near-misses) against
    existing entries: flagged = confidence ≥ threshold. A flag on the question's own entry is
    right for a rewording and wrong for a changed question; any other flag is wrong."""
    tp = fp = fn = 0
    for qi, q in enumerate(pairs.queries):
        if q.style != "accented" or q.kind == "unrelated":
            continue
        mask = pairs.query == qi
        own = pairs.entry_ids.index(q.entry) if q.entry in pairs.entry_ids else -1
        for ei, s, y in zip(pairs.entry[mask], scores[mask], pairs.y[mask], strict=False):
            flagged = s >= threshold
            if q.kind == "positive" and ei == own:
                tp += flagged
                fn += not flagged
            elif y == 0:
                fp += flagged
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"dup_precision": round(float(precision), 4), "dup_recall": round(float(recall), 4),
            "flags": int(tp + fp)}


def choose_thresholds(pairs: PairSet, scores: np.ndarray, max_wrong: float = 0.02,
                      max_near: float = 0.08) -> Thresholds:
    """answer: the lowest threshold whose answered-but-wrong rate ≤ ``max_wrong`` and whose
    near-miss false-answer rate ≤ ``max_near`` (most right answers); duplicate: best recall at
    precision ≥ 0.9 (the best F1 when that leaves recall under 0.5); related: a third of the
    answer threshold, at least 0.1."""
    decided = decide_queries(pairs, scores)
    grid = [round(float(t), 3) for t in np.arange(0.3, 0.991, 0.01)]
    answer = grid[-1]
    for t in grid:
        m = ask_metrics(decided, Thresholds(t, 0.1, 0.5))
        if (m["answered_wrong"] or 0) <= max_wrong and (m["near_false_answer"] or 0) <= max_near \
                and (m["far_false_answer"] or 0) == 0:
            answer = t
            break
    best_dup, best_recall = 0.9, -1.0
    curve = [(t, duplicate_metrics(pairs, scores, t)) for t in grid]
    for t, d in curve:
        if d["dup_precision"] >= 0.9 and d["dup_recall"] > best_recall:
            best_dup, best_recall = t, d["dup_recall"]
    if best_recall < 0.5:  # precision 0.9 only at a useless recall: the best F1 instead
        def f1(d):
            p, r = d["dup_precision"], d["dup_recall"]
            return 2 * p * r / (p + r) if p + r else 0.0
        best_dup = max(curve, key=lambda item: (f1(item[1]), item[0]))[0]
    return Thresholds(answer=answer, related=round(max(0.1, answer / 3), 3), duplicate=best_dup)


def order_keys(pairs: PairSet, scores: np.ndarray, weight: float) -> np.ndarray | None:
    """MatchModel.rank_keys for held-out scores: their log-odds plus the weighted answer
    shortfall (None without shortfalls: order by confidence)."""
    if pairs.shortfall is None:
        return None
    logit = np.log(np.clip(scores, 1e-9, 1.0) / np.clip(1.0 - scores, 1e-9, 1.0))
    return logit + weight * pairs.shortfall


ANSWER_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def choose_answer_weight(pairs: PairSet, scores: np.ndarray, thresholds: Thresholds) -> float:
    """How much the answer evidence orders the candidates (MatchModel.answer_weight): the
    weight whose order gives the most right entries first plus right answers given, on
    held-out scores (ties: the smaller weight). The confidence and thresholds stay as fitted."""
    if pairs.shortfall is None or not len(pairs.y):
        return 0.0

    def gain(weight: float) -> float:
        m = ask_metrics(decide_queries(pairs, scores, order_keys(pairs, scores, weight)), thresholds)
        return (m["top1"] or 0.0) + (m["answered_right"] or 0.0)

    return max(ANSWER_WEIGHTS, key=lambda w: (round(gain(w), 6), -w))


@dataclass
class CalibrationReport:
    model: MatchModel
    held_out: dict
    pairs: int
    questions: int
    entries: int


def calibrate(entries: list[TrainingEntry], queries: list[Query],
              view_question: Callable[[str], QuestionView],
              view_entry: Callable[[TrainingEntry], QuestionView],
              *, folds: int = 4, l2: float = 3.0, on_step: Callable[[], None] | None = None
              ) -> CalibrationReport:
    """Views → pairs → out-of-fold scores (held-out measurement, thresholds) → the model
    fitted on every pair."""
    idf = Idf.fit([e.question for e in entries] + [q.text for q in queries if q.kind == "positive"])
    entry_views = [view_entry(e) for e in entries]
    query_views = []
    for q in queries:
        query_views.append(view_question(q.text))
        if on_step:
            on_step()
    pairs = build_pairs(queries, query_views, entries, entry_views, idf)
    scores = out_of_fold(pairs, idf, folds=folds, l2=l2)
    thresholds = choose_thresholds(pairs, scores)
    weight = choose_answer_weight(pairs, scores, thresholds)
    held_out = ask_metrics(decide_queries(pairs, scores, order_keys(pairs, scores, weight)), thresholds)
    held_out.update(duplicate_metrics(pairs, scores, thresholds.duplicate))
    labelled = pairs.y >= 0
    model = MatchModel.fit(pairs.x[labelled], pairs.y[labelled], l2=l2, idf=idf)
    model.thresholds = thresholds
    model.answer_weight = weight
    return CalibrationReport(model, held_out, int(labelled.sum()), len(queries), len(entries))


def feature_table(model: MatchModel) -> list[tuple[str, float]]:
    """(feature, weight per standard deviation), strongest first — for the report."""
    return sorted(zip(model.features, (float(w) for w in model.weights), strict=False), key=lambda t: -abs(t[1]))


def iter_texts(entries: Iterable[TrainingEntry]) -> Iterable[str]:
    for e in entries:
        yield e.question
        yield from e.rewordings


__all__ = ["FEATURES", "TRAINING_DIR", "training_files", "TrainingEntry", "TrainingSet", "Query", "read_training",
           "make_queries", "typing_styles", "facet_swaps", "build_pairs", "calibrate",
           "ask_metrics", "duplicate_metrics", "choose_thresholds", "choose_answer_weight", "out_of_fold"]
