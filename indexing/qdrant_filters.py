"""Haystack filter dict → Qdrant filter, once for both point backends.

Why one converter: the Edge shard and a Qdrant server must answer a filter the same way
(the congruence tests check it). The result is Qdrant's own JSON filter form — the wire
format of its REST API (``{"must": [...], "should": [...], "must_not": [...]}`` with
``{"key", "match" | "range"}`` and ``{"is_empty": {"key"}}`` conditions). Each backend
only translates that documented form into its library's objects, without any Haystack
semantics of its own.

Semantics follow Haystack: ``!=`` / ``not in`` also match documents without the field;
``NOT`` negates the conjunction of its conditions; ``>``/``<`` on ``None`` match nothing;
ranges take numbers or ISO dates, anything else is a ``FilterError``; booleans are refused
(the Edge binding cannot match them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from haystack.errors import FilterError

QdrantFilter = dict[str, Any]


def _match_nothing() -> QdrantFilter:
    """A filter no point satisfies: "not (all of no conditions)". (An empty ``should``
    matches every point on both engines.)"""
    return {"must_not": [{"must": []}]}


def convert_filters(filters: dict[str, Any] | None) -> QdrantFilter | None:
    """Haystack filter dict → Qdrant JSON filter (None when there is nothing to filter)."""
    if not filters:
        return None
    if "operator" not in filters:
        raise FilterError("Invalid filter syntax: missing 'operator'")
    cond = _convert(filters)
    return cond if _is_filter(cond) else {"must": [cond]}


def _is_filter(cond: dict[str, Any]) -> bool:
    return not ({"key", "is_empty"} & cond.keys())


def _convert(item: dict[str, Any]) -> dict[str, Any]:
    op = item.get("operator")
    if op in ("AND", "OR", "NOT"):
        conds = item.get("conditions")
        if not isinstance(conds, list) or not conds:
            raise FilterError(f"'conditions' missing or empty for '{op}'")
        parts = [_convert(c) for c in conds]
        if op == "AND":
            return {"must": parts}
        if op == "OR":
            return {"should": parts}
        return {"must_not": [{"must": parts}]}
    if "field" not in item or "value" not in item:
        raise FilterError(f"'field' or 'value' missing for comparison '{op}'")
    if not isinstance(op, str):
        raise FilterError(f"Unknown filter operator {op!r}")
    return _comparison(op, item["field"], item["value"])


def _eq(key: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {"is_empty": {"key": key}}
    if isinstance(value, bool):
        # qdrant-edge-py 0.9 turns MatchValue(True) into MatchValue(1), which never matches a
        # stored boolean; refused on every backend so that none answers differently.
        raise FilterError(f"Boolean values cannot be filtered on ({key}); store them as strings")
    if isinstance(value, (str, int)):
        return {"key": key, "match": {"value": value}}
    if isinstance(value, float):
        return {"key": key, "range": {"gte": value, "lte": value}}
    raise FilterError(f"Unsupported value type for '==' on {key}: {type(value).__name__}")


def _any_of(key: str, values: Any) -> dict[str, Any]:
    if not isinstance(values, list):
        raise FilterError(f"'in'/'not in' on {key} needs a list, got {type(values).__name__}")
    if values and (
        all(isinstance(v, str) for v in values)
        or all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    ):
        return {"key": key, "match": {"any": list(values)}}
    if not values:
        return _match_nothing()
    return {"should": [_eq(key, v) for v in values]}


def _range(op: str, key: str, value: Any) -> dict[str, Any]:
    bound = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[op]
    if value is None:
        return _match_nothing()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"key": key, "range": {bound: float(value)}}
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError as exc:
            raise FilterError(f"'{op}' on {key} needs a number or ISO date, got {value!r}") from exc
        return {"key": key, "range": {bound: value}}
    raise FilterError(f"'{op}' on {key} needs a number or ISO date, got {type(value).__name__}")


def _comparison(op: str, key: str, value: Any) -> dict[str, Any]:
    if op == "==":
        return _eq(key, value)
    if op == "!=":
        return {"must_not": [_eq(key, value)]}
    if op == "in":
        return _any_of(key, value)
    if op == "not in":
        return {"must_not": [_any_of(key, value)]}
    if op in (">", ">=", "<", "<="):
        return _range(op, key, value)
    raise FilterError(f"Unknown filter operator {op!r}")


def is_datetime_range(range_: dict[str, Any]) -> bool:
    """A range with ISO-date bounds (strings) rather than numbers."""
    return any(isinstance(v, str) for v in range_.values())
