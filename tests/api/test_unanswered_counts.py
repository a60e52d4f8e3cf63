"""The unanswered queue's counts are increments that equal a recount of the raw rows.

Why: a repeated unanswered ask adds one ask (and, for a judge's first ask of the item,
one judge) to the item and the item it was merged into, by SQL increments
(``unanswered.record_ask``) instead of recounting the group. Reviewers' merges,
dismissals and reopenings still recount (``refresh_counts``). Here random asks by random
judges, interleaved with random triage, must leave every item's ask count, judge count and
last ask equal to a recount from the asker rows (``unanswered.count_mismatches``), on
SQLite and PostgreSQL. Concurrent writers on PostgreSQL are in
tests/api/test_rollups_concurrent.py.
"""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import func, select

from assistant.kb.models import QAEntry, UnansweredAsker, UnansweredQuestion, User
from assistant.kb.services import unanswered as svc
from tests.api.helpers import approved_entry

TEXTS = [f"Câu hỏi thử đếm số {i}: thủ tục hoãn phiên tòa khi đương sự vắng mặt?" for i in range(10)]


def _items(s, status: str | None = None) -> list[UnansweredQuestion]:
    stmt = select(UnansweredQuestion).where(UnansweredQuestion.question.in_(TEXTS))
    if status:
        stmt = stmt.where(UnansweredQuestion.status == status)
    return list(s.scalars(stmt.order_by(UnansweredQuestion.id)))


def test_increments_equal_a_recount_under_random_asks_and_triage(env):
    rnd = random.Random(13)
    entry_id = approved_entry(env, "judge1", question="Hoãn phiên tòa khi đương sự vắng mặt lần thứ nhất?")["id"]
    askers = list(env.users.values())
    asks, done = 0, Counter()
    for step in range(160):
        with env.session() as s:
            r = rnd.random()
            if r < 0.75 or step < 20:
                # mostly the same few texts: repeated asks, by a judge again or a new one
                text = TEXTS[min(int(rnd.expovariate(0.5)), len(TEXTS) - 1)]
                svc.record_ask(s, s.get(User, rnd.choice(askers)), text)
                asks += 1
            else:
                admin = s.get(User, env.users["admin"])
                open_items = _items(s, "open")
                folded = [i for i in _items(s) if i.status in svc.FOLDED]
                if r < 0.85 and len(open_items) >= 3:
                    target, *rest = rnd.sample(open_items, 3)
                    svc.merge(s, admin, target.id, [i.id for i in rest[:rnd.randint(1, 2)]])
                    done["merge"] += 1
                elif r < 0.90 and len(open_items) >= 2:
                    item, target = rnd.sample(open_items, 2)
                    svc.dismiss(s, admin, item.id, reason="duplicate", duplicate_of=target.id)
                    done["duplicate"] += 1
                elif r < 0.93 and open_items:
                    svc.dismiss(s, admin, rnd.choice(open_items).id, reason="junk")
                    done["junk"] += 1
                elif r < 0.97 and folded:
                    svc.reopen(s, admin, rnd.choice(folded).id)
                    done["reopen"] += 1
                elif open_items:  # answered: the next ask of its text opens a new item
                    svc.close_answered(s, rnd.choice(open_items), s.get(QAEntry, entry_id), admin)
                    done["answered"] += 1
        with env.session() as s:
            assert svc.count_mismatches(s) == [], f"step {step}"
    with env.session() as s:
        mine = select(UnansweredQuestion.id).where(UnansweredQuestion.question.in_(TEXTS))
        assert s.scalar(select(func.sum(UnansweredAsker.times)).where(UnansweredAsker.item_id.in_(mine))) == asks
    assert set(done) == {"merge", "duplicate", "junk", "reopen", "answered"}, done  # every path ran


def test_a_judges_second_ask_of_a_group_counts_one_judge(env):
    """A judge who asked the root and now asks an item merged into it: one more ask on
    both, one more judge only on the merged item (the group already counted them)."""
    first = "Đếm người hỏi: thời hạn chuẩn bị xét xử vụ án hành chính?"
    second = "Đếm người hỏi: chuẩn bị xét xử án hành chính trong bao lâu?"
    with env.session() as s:
        judge1, judge2 = s.get(User, env.users["judge1"]), s.get(User, env.users["judge2"])
        root = svc.record_ask(s, judge1, first)
        child = svc.record_ask(s, judge2, second)
        svc.merge(s, s.get(User, env.users["admin"]), root, [child])
    with env.session() as s:
        assert svc.record_ask(s, s.get(User, env.users["judge1"]), second) == child
        loaded = s.get(UnansweredQuestion, root)  # in the session: expired, read again
        assert svc.record_ask(s, s.get(User, env.users["judge1"]), first) == root
        assert (loaded.ask_count, loaded.asker_count) == (4, 2)
    with env.session() as s:
        counts = {i.id: (i.ask_count, i.asker_count) for i in s.scalars(
            select(UnansweredQuestion).where(UnansweredQuestion.id.in_([root, child])))}
        assert counts == {root: (4, 2), child: (2, 2)}
        assert svc.count_mismatches(s) == []


def test_concurrent_first_asks_file_one_item_on_either_database(env):
    """Six threads ask the same new question through the ask service at once (released by
    a barrier): one open item whose count is six, asked by the six accounts. On SQLite the
    ask's write takes its turn (``committed_write``); on PostgreSQL the unique index on the
    live items' text does it (the deterministic race is in test_rollups_concurrent.py). A
    second live item of the text is refused by the database either way."""
    import threading

    from sqlalchemy.exc import IntegrityError

    from assistant.kb.models import question_hash
    from assistant.kb.services import ask as ask_service

    question = "Đồng thời: thủ tục ủy thác tư pháp để lấy lời khai người ở nước ngoài?"
    names = ["judge1", "judge2", "judge3", "reviewer", "reviewer2", "hnadmin"]
    start = threading.Barrier(len(names))
    ids: list[int | None] = []
    errors: list[BaseException] = []
    thresholds = env.settings.match_thresholds()

    def ask(name: str) -> None:
        try:
            with env.session() as s:
                me = s.get(User, env.users[name])
                start.wait()
                ids.append(ask_service.ask(s, env.search, me, question, thresholds=thresholds).unanswered_id)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
            start.abort()

    workers = [threading.Thread(target=ask, args=(name,)) for name in names]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors, errors
    assert len(ids) == len(names) and len(set(ids)) == 1 and ids[0] is not None
    with env.session() as s:
        items = list(s.scalars(select(UnansweredQuestion).where(UnansweredQuestion.question == question)))
        assert [(i.id, i.status, i.ask_count, i.asker_count) for i in items] == [(ids[0], "open", 6, 6)]
        assert items[0].question_hash == question_hash(question)
        assert svc.count_mismatches(s) == []
    try:
        with env.session() as s:
            s.add(UnansweredQuestion(question=question, status="open"))
        refused = False
    except IntegrityError:
        refused = True
    assert refused
