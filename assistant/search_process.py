"""The search engine in a process of its own, so that a server uses both cores.

Why: an ask is ~20 ms of CPU, and most of it holds Python's GIL — query analysis,
Qdrant Edge's ``query`` (it does not release the GIL), turning hits into documents,
and on the HTTP side FastAPI, SQLAlchemy and JSON. In one process those halves take
turns on one core, whatever the thread count; uvicorn cannot simply add workers
either, because an Edge shard can be opened by one process only. So the API process
keeps HTTP, sign-in, the database and statistics, and one child process owns the
shard and the models; they talk over pipes (pickled requests and results, ~0.1 ms).
Each pipe is served by its own thread in the child, so several asks run at once
(ONNX Runtime releases the GIL while it embeds).

The child is the engine: it answers every :class:`assistant.search_types.SearchEngine`
call — its whitelist is the Protocol's members, so a method added there is served here
(``close`` is the parent's own: it ends the child). If it dies, the
call in flight fails (the ask service answers 503) and the next call starts a new
child, which reopens the shard. If the API process dies — even by SIGKILL — the
child sees its pipes close and exits, releasing the shard for the next start.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import multiprocessing.connection
import pickle
import queue
import threading
from collections.abc import Callable
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from assistant.search_types import (
    ASK_STATUSES,
    ENGINE_METHODS,
    ArticleHit,
    AskResult,
    LegalIndexSummary,
    QAHit,
    QAIndexEntry,
)
from assistant.settings import Settings

if TYPE_CHECKING:
    from corpus.legal_model import LegalArticle

log = logging.getLogger(__name__)

# Calls the parent answers itself (closing the child is not the child's to do).
PARENT_ONLY = frozenset({"close"})
# What the API process may call on the engine in the child; anything else is refused.
METHODS = ENGINE_METHODS - PARENT_ONLY


CALL_TIMEOUT_S = 60.0


class SearchProcessError(RuntimeError):
    """The search process could not start, or died while answering."""


# ------------------------------------------------------------------ the child
def _child_main(settings: Settings, conns: list[Connection], ready: Connection) -> None:
    """Open the engine, then answer each pipe on its own thread until the parent goes."""
    from assistant.engine_factory import open_engine

    try:
        engine = open_engine(settings, bulk=False)
        engine.warm_up()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which decides
        ready.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    ready.send(("ok", engine.count_documents()))
    threads = [threading.Thread(target=_serve_pipe, args=(engine, c), daemon=True) for c in conns]
    for t in threads:
        t.start()
    for t in threads:  # every pipe closed: the parent is gone or closed us
        t.join()
    engine.close()


def _serve_pipe(engine: Any, conn: Connection) -> None:
    while True:
        try:
            method, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if method not in METHODS:
                raise AttributeError(f"search process: no method {method!r}")
            if kwargs.pop("report_progress", False):  # progress messages precede the reply
                kwargs["on_progress"] = lambda done, total: conn.send(("progress", (done, total)))
            reply = ("ok", getattr(engine, method)(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - travels back to the caller
            reply = ("error", _picklable(exc))
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return


def _picklable(exc: Exception) -> Exception:
    """The exception itself when it survives pickling (QueryError does), else its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return SearchProcessError(f"{type(exc).__name__}: {exc}")


# ------------------------------------------------------------------ the parent
def _end(process: Any, wait: float) -> None:
    """Give the child ``wait`` seconds to exit on its own, then kill it; its sentinel
    closes only once it has wholly exited and released its files (the shard's lock)."""
    if not mp.connection.wait([process.sentinel], timeout=wait):
        process.kill()
    process.join()  # SIGKILL cannot be refused: returns once the child is gone and reaped



class SearchProcess:
    """A :class:`~assistant.search_types.SearchEngine` whose engine runs in a child process."""

    def __init__(self, settings: Settings, connections: int = 8, start_timeout: float = 600.0) -> None:
        self.settings = settings
        self.connections = max(1, int(connections))
        self.start_timeout = start_timeout
        self._lock = threading.Lock()
        self._process: Any = None
        self._free: queue.Queue[tuple[int, Connection]] = queue.Queue()
        self._generation = 0
        self._closed = False
        self.documents_at_start = 0
        self._start()

    # -- life cycle -------------------------------------------------------------------
    def _start(self) -> None:
        ctx = mp.get_context("spawn")  # a clean interpreter: no inherited threads or locks
        parent_ends, child_ends = zip(*(ctx.Pipe() for _ in range(self.connections)), strict=True)
        ready_parent, ready_child = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_child_main, args=(self.settings, list(child_ends), ready_child),
                              name="troly-search", daemon=True)
        process.start()
        for end in (*child_ends, ready_child):  # only the child holds these now
            end.close()
        with ready_parent:
            status, detail = "error", f"did not start within {self.start_timeout:.0f} s"
            if ready_parent.poll(self.start_timeout):
                try:
                    status, detail = ready_parent.recv()
                except EOFError:
                    process.join(5)
                    detail = f"exited with code {process.exitcode}"
        if status != "ok":
            process.kill()
            process.join(5)
            for end in parent_ends:
                end.close()
            raise SearchProcessError(f"search process failed to start: {detail}")
        self.documents_at_start = int(detail)
        self._process = process
        self._generation += 1
        for end in parent_ends:
            self._free.put((self._generation, end))
        log.info("search process started", extra={"pid": process.pid, "documents": detail})

    @property
    def restarts(self) -> int:
        """How many times a dead child was replaced."""
        return self._generation - 1

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def is_alive(self) -> bool:
        """Whether the child runs, read from its sentinel: the pipe closes only once the
        child has wholly exited and released its files, the shard's lock among them."""
        process = self._process
        return process is not None and not mp.connection.wait([process.sentinel], timeout=0)

    def close(self) -> None:
        """Close the pipes (the child closes its shard and exits), then wait for it."""
        with self._lock:
            self._closed = True
            process, self._process = self._process, None
            self._drain()
        if process is not None:
            _end(process, wait=30)

    def _ensure_running(self) -> None:
        with self._lock:
            if self._closed:
                raise SearchProcessError("search process closed")
            if not self.is_alive():
                if self._process is not None:
                    log.error("search process %s died; starting a new one", self._process.pid)
                    self._process.join(1)
                self._process = None
                self._drain()
                self._start()

    def _drain(self) -> None:
        while True:
            try:
                self._free.get_nowait()[1].close()
            except queue.Empty:
                return

    @contextmanager
    def _connection(self):
        """A pipe of the live child; waiting callers re-check that the child still lives."""
        while True:
            self._ensure_running()
            try:
                generation, conn = self._free.get(timeout=0.5)
            except queue.Empty:
                continue
            if generation == self._generation:
                break
            conn.close()  # left over from a child that has died
        healthy = False
        try:
            yield conn
            healthy = True
        finally:
            if healthy and generation == self._generation and not self._closed:
                self._free.put((generation, conn))
            else:
                conn.close()

    def _call(self, method: str, *args: Any, timeout: float | None = CALL_TIMEOUT_S,
              progress: Any = None, **kwargs: Any) -> Any:
        """One call in the child; retried once on a new child if the pipe breaks (every
        call is a read or an idempotent write: upsert overwrites, delete deletes). A child
        silent for ``timeout`` seconds is killed: a hung search must not hang the API."""
        for attempt in (1, 2):
            try:
                with self._connection() as conn:
                    conn.send((method, args, kwargs))
                    if timeout is not None and not conn.poll(timeout):
                        self._forget_dead_child(wait=0)
                        raise SearchProcessError(f"search process silent for {timeout:.0f} s during {method}")
                    status, value = conn.recv()
                    while status == "progress":  # a long call reporting how far it got
                        if progress is not None:
                            progress(*value)
                        status, value = conn.recv()
                break
            except (EOFError, OSError) as exc:
                self._forget_dead_child()
                if attempt == 2:
                    raise SearchProcessError(f"search process lost during {method}") from exc
        if status == "error":
            raise value
        return value

    def _forget_dead_child(self, wait: float = 10.0) -> None:
        """A broken pipe means the child is dying: wait for it (or end it), so that the
        next call starts a new one."""
        with self._lock:
            if self._process is not None:
                _end(self._process, wait)

    # -- the engine's interface (assistant.search_types.SearchEngine) -----------------
    def ask(self, query: str, top_k: int = 5, qa_top_k: int = 3, statuses: tuple[str, ...] = ASK_STATUSES,
            draft_author: int | None = None) -> AskResult:
        return self._call("ask", query, top_k=top_k, qa_top_k=qa_top_k, statuses=statuses,
                          draft_author=draft_author)

    def search_articles(self, query: str, top_k: int = 5) -> list[ArticleHit]:
        return self._call("search_articles", query, top_k=top_k)

    def search_qa(self, query: str, top_k: int = 5, statuses: tuple[str, ...] = ASK_STATUSES,
                  draft_author: int | None = None) -> list[QAHit]:
        return self._call("search_qa", query, top_k=top_k, statuses=statuses, draft_author=draft_author)

    def qa_confidence_bounds(self, questions: list[str], entry_id: str) -> list[float]:
        return self._call("qa_confidence_bounds", list(questions), entry_id)

    def upsert_qa(self, entries: list[QAIndexEntry]) -> None:
        self._call("upsert_qa", list(entries))

    def delete_qa(self, entry_ids: list[str]) -> None:
        self._call("delete_qa", list(entry_ids))

    def qa_entry_ids(self) -> set[str]:
        return self._call("qa_entry_ids")

    def qa_fingerprints(self) -> dict[str, list[str]]:
        return self._call("qa_fingerprints")

    def get_article(self, article_id: str) -> ArticleHit | None:
        return self._call("get_article", article_id)

    def get_article_by_number(self, law_key: str, number: str) -> ArticleHit | None:
        return self._call("get_article_by_number", law_key, number)

    def law_indexed(self, law_key: str) -> bool:
        return bool(self._call("law_indexed", law_key))

    def index_legal_articles(self, articles: list[LegalArticle],
                             on_progress: Callable[[int, int], None] | None = None) -> LegalIndexSummary:
        """Progress travels back as messages before the reply (the documents page shows
        it); a long law takes minutes, so no time limit."""
        if on_progress is None:
            return self._call("index_legal_articles", list(articles), timeout=None)
        return self._call("index_legal_articles", list(articles), timeout=None,
                          progress=on_progress, report_progress=True)

    def delete_legal_source(self, source: str) -> int:
        return int(self._call("delete_legal_source", source, timeout=None))

    def legal_sources(self) -> dict[str, int]:
        return self._call("legal_sources")

    def count_documents(self) -> int:
        return int(self._call("count_documents"))

    def optimize_index(self) -> bool:
        """Minutes for a large index, so no time limit."""
        return bool(self._call("optimize_index", timeout=None))
