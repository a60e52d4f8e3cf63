"""Database engine, sessions and schema upgrades from one SQLAlchemy URL.

Why: the same code runs on the embedded SQLite file (a judge's laptop, tests) and on
PostgreSQL (a court's server); everything that differs between the two is here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from assistant.kb import rollups as _rollups  # noqa: F401,E402 - registers the statistics listener

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a generous busy timeout."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # WAL: readers (sign-in checks, statistics) no longer wait for the usage-event
            # write every ask commits; synchronous stays FULL so a commit survives power loss.
            if url != "sqlite:///:memory:":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# Key of the PostgreSQL advisory lock held while migrating (any fixed 64-bit number).
MIGRATION_LOCK_KEY = 0x74726F6C79  # "troly"


def upgrade_database(url: str, revision: str = "head") -> None:
    """Bring the schema at ``url`` to ``revision`` (run at start-up and in tests).

    On PostgreSQL the upgrade holds an advisory lock: API workers and API nodes start
    together (``troly serve --workers N``, docs/deployment.md) and each upgrades at start;
    the first migrates, the others wait for it and then find the schema at head.
    """
    from alembic import command

    if not url.startswith("postgresql"):
        command.upgrade(alembic_config(url), revision)
        return
    from sqlalchemy import pool, text

    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            lock.commit()  # a session-level lock: held until unlocked, outside any transaction
            try:
                command.upgrade(alembic_config(url), revision)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                lock.commit()
    finally:
        engine.dispose()


def downgrade_database(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


_SQLITE_WRITE_LOCK = threading.Lock()


@contextmanager
def committed_write(session: Session) -> Iterator[None]:
    """Writes made inside are committed on exit, one writer at a time on SQLite.

    Why: SQLite admits one writer; the others wait in its busy handler, which sleeps in
    growing steps (1, 2, 5 … 100 ms), so a write held open until the end of a request
    turned concurrent asks into latency spikes (docs/reliability.md, run 7). Here the
    write lock is held only for the writes and the commit, and waiting threads queue on
    a Python lock that wakes them at once. On PostgreSQL the request's transaction
    simply goes on (it commits at the end as usual).
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    with _SQLITE_WRITE_LOCK:
        yield
        session.commit()
