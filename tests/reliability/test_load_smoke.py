"""Short load smoke test: a real uvicorn server on loopback (fake engine), the mixed
traffic of ``eval/load_test.py`` at concurrency 8 for a few seconds, zero errors.

Why: catches lock contention, session leaks and thread-safety bugs that single
requests never show; the full run against the real index is documented in
docs/reliability.md.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from api.app import create_app
from assistant.kb.db import session_scope
from assistant.kb.services.courts import create_court
from assistant.kb.services.users import create_user
from assistant.settings import Settings
from eval.load_test import Load
from tests.fakes import FakeSearchEngine

PASSWORD = "mat-khau-tai-123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mixed_load_smoke(tmp_path):
    settings = Settings(data_dir=tmp_path, jwt_secret="s" * 40, log_format="none",
                        _env_file=None)
    app = create_app(settings, search_engine=FakeSearchEngine())
    with session_scope(app.state.session_factory) as s:
        create_court(s, name="Tòa án nhân dân tỉnh Thử", code="T", level="tinh")
        for username, role in (("tp.thu", "judge"), ("duyet.thu", "reviewer"), ("qt.thu", "court_admin")):
            create_user(s, username=username, full_name=username, password=PASSWORD, role=role,
                        court_code="T")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        load = Load(f"http://127.0.0.1:{port}", ("tp.thu", PASSWORD), ("duyet.thu", PASSWORD),
                    ("qt.thu", PASSWORD))
        report = load.run(duration=6, concurrency=8, max_requests=3000)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert report["error_count"] == 0, report["error_samples"]
    assert report["ask"]["n"] > 50 and report["stats"]["n"] > 5
    print(report)


def test_refuses_non_loopback():
    import pytest

    with pytest.raises(SystemExit):
        Load("http://10.0.0.1:8000", ("a", "b"), ("a", "b"), ("a", "b"))
