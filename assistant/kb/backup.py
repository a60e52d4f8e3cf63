"""Database backup and restore: a consistent SQLite copy and a portable JSON dump.

Why: a court's IT officer must be able to save the knowledge base and bring it back on
another machine — possibly from the laptop's SQLite file to the court server's
PostgreSQL. SQLite is copied with the sqlite3 online-backup API (consistent while the
server runs); every database is also dumped table by table to JSON lines through
SQLAlchemy (no pg_dump needed), which restores into SQLite or PostgreSQL alike. The
search index is derived data: see :mod:`assistant.kb.services.index_sync`.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Date, DateTime, Engine, LargeBinary, delete, func, select, text
from sqlalchemy.types import TypeDecorator

from assistant.kb.db import make_engine, upgrade_database
from assistant.kb.models import Base

DUMP_FILE = "database.jsonl"
SQLITE_FILE = "troly.db"


def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///"))
    return None


def _encode(value):
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _kind(column) -> type | None:
    t = column.type
    impl = t.impl if isinstance(t, TypeDecorator) else t
    for kind in (LargeBinary, DateTime, Date):
        if isinstance(impl, kind) or isinstance(t, kind):
            return kind
    return None


def _decode(value, kind):
    if value is None:
        return None
    if kind is LargeBinary:
        return base64.b64decode(value["$b64"])
    if kind is DateTime:
        return datetime.fromisoformat(value)
    if kind is Date:
        return date.fromisoformat(value)
    return value


# not data: the token of the statistics' kept courts and accounts (migration 0013). A JSON
# restore keeps the target's row, and its inserts into users and courts give it a new token
NOT_DATA = frozenset({"directory_version"})


def _data_tables() -> list:
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_DATA]


def dump_json(engine: Engine, target: Path) -> dict[str, int]:
    """Every data table of the schema to ``target`` (one JSON object per row)."""
    counts: dict[str, int] = {}
    with engine.connect() as conn, target.open("w", encoding="utf-8") as out:
        for table in _data_tables():
            counts[table.name] = 0
            pk = list(table.primary_key.columns)
            for row in conn.execute(select(table).order_by(*pk)).mappings():
                out.write(json.dumps({"table": table.name,
                                      "row": {k: _encode(v) for k, v in row.items()}},
                                     ensure_ascii=False) + "\n")
                counts[table.name] += 1
    return counts


def load_json(engine: Engine, source: Path, batch: int = 500) -> dict[str, int]:
    """Replace every data table's rows with the dump's (schema upgraded by the caller)."""
    tables = {t.name: t for t in _data_tables()}
    rows: dict[str, list[dict]] = {name: [] for name in tables}
    with source.open(encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            table = tables[item["table"]]
            rows[table.name].append({c.name: _decode(item["row"].get(c.name), _kind(c))
                                     for c in table.columns if c.name in item["row"]})
    with engine.begin() as conn:
        for table in reversed(_data_tables()):
            conn.execute(delete(table))
        for table in _data_tables():
            data = rows[table.name]
            for start in range(0, len(data), batch):
                conn.execute(table.insert(), data[start : start + batch])
        if engine.dialect.name == "postgresql":  # ids continue after the restored ones
            for table in _data_tables():
                if "id" in table.columns and rows[table.name]:
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT MAX(id) FROM {table.name}))"))
    return {name: len(r) for name, r in rows.items()}


def backup_database(url: str, directory: Path) -> dict:
    """SQLite copy (if SQLite) + JSON dump of ``url`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"dialect": url.split(":", 1)[0]}
    path = _sqlite_path(url)
    if path is not None:
        src = sqlite3.connect(path)
        dst = sqlite3.connect(directory / SQLITE_FILE)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        manifest["sqlite"] = SQLITE_FILE
    engine = make_engine(url)
    try:
        manifest["rows"] = dump_json(engine, directory / DUMP_FILE)
    finally:
        engine.dispose()
    return manifest


def restore_database(url: str, directory: Path, *, prefer_json: bool = False) -> dict[str, int]:
    """Make the database at ``url`` equal to the backup in ``directory``."""
    path = _sqlite_path(url)
    if path is not None and (directory / SQLITE_FILE).is_file() and not prefer_json:
        path.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(directory / SQLITE_FILE)
        dst = sqlite3.connect(path)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        upgrade_database(url)  # a backup from an older version gets today's schema
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                return {t.name: conn.scalar(select(func.count()).select_from(t))
                        for t in _data_tables()}
        finally:
            engine.dispose()
    upgrade_database(url)
    engine = make_engine(url)
    try:
        return load_json(engine, directory / DUMP_FILE)
    finally:
        engine.dispose()
