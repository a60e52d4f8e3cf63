"""The ``troly`` command line: one Typer app that mounts each concern's commands.

Each concern keeps its commands in its own module (``api.cli_*``); this file only
wires them together so that ``troly --help`` shows everything in one place.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="troly",
    help="Trợ lý ảo Tòa án — hỏi đáp pháp luật cho Thẩm phán (offline).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _mount() -> None:
    from api import cli_admin, cli_cluster, cli_eval, cli_match, cli_ops, cli_rerank, cli_search, cli_stats

    cli_search.register(app)
    cli_admin.register(app)
    cli_ops.register(app)
    cli_eval.register(app)
    cli_stats.register(app)
    cli_match.register(app)
    cli_cluster.register(app)
    cli_rerank.register(app)


_mount()
