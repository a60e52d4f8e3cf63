"""Approve every pending entry, one transaction each, with the real engine.

Run as a subprocess by ``test_crash_safety.py`` and SIGKILLed part-way: each
approval writes the index (``upsert_qa``) before its database commit, so a kill can
land between the two — exactly the inconsistency ``troly index reconcile`` repairs.
"""

from __future__ import annotations

import sys

from sqlalchemy import select


def main() -> None:
    from assistant.engine_factory import open_engine
    from assistant.kb.db import make_engine, make_session_factory
    from assistant.kb.models import QAEntry, User
    from assistant.kb.services.qa import approve_entry
    from assistant.settings import get_settings

    settings = get_settings()
    engine = open_engine(settings)
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    with factory() as session:
        reviewer = session.scalar(select(User).where(User.role == "reviewer"))
        ids = list(session.scalars(select(QAEntry.id).where(QAEntry.status == "pending")
                                   .order_by(QAEntry.id)))
        print("ready", len(ids), flush=True)
        for entry_id in ids:
            approve_entry(session, engine, reviewer, entry_id)
            session.commit()
            print("approved", entry_id, flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    sys.exit(main())
