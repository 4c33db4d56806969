"""A small SOQL subset: ``SELECT a, b.c FROM X [WHERE f = 'v' AND g IN ('x','y')] [ORDER BY ...] [LIMIT n]``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .ids import same_id

_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_VALUE = r"'(?:[^'\\]|\\.)*'|true|false|null|-?\d+(?:\.\d+)?"
_CONDITION = re.compile(
    rf"\s*(?P<field>[\w.]+)\s*(?P<op>!=|=|\s+NOT\s+IN\s+|\s+IN\s+)\s*"
    rf"(?P<value>\(\s*(?:{_VALUE})(?:\s*,\s*(?:{_VALUE}))*\s*\)|{_VALUE})",
    re.IGNORECASE,
)
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)


class SoqlError(ValueError):
    """A query Salesforce would reject; ``code`` is the REST errorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Query:
    fields: list[str]
    sobject: str
    conditions: list[tuple[str, str, list[Any]]]
    limit: int | None


def _literal(text: str) -> Any:
    lowered = text.lower()
    if text.startswith("'"):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    return float(text) if "." in text else int(text)


def _conditions(where: str) -> list[tuple[str, str, list[Any]]]:
    conditions, position, end = [], 0, len(where.rstrip())
    while True:
        cond = _CONDITION.match(where, position)
        if not cond:
            raise SoqlError(
                "MALFORMED_QUERY",
                f"unexpected token near: {where[position:].strip()[:40]} "
                "(the emulator supports field = 'value', !=, IN (...) joined by AND)",
            )
        op = " ".join(cond.group("op").split()).upper()
        raw = cond.group("value")
        values = (
            [_literal(v) for v in re.findall(_VALUE, raw[1:-1], re.IGNORECASE)]
            if raw.startswith("(")
            else [_literal(raw)]
        )
        conditions.append((cond.group("field"), op, values))
        position = cond.end()
        if position >= end:
            return conditions
        joiner = _AND.match(where, position)
        if not joiner:
            raise SoqlError(
                "MALFORMED_QUERY",
                f"unexpected token near: {where[position:].strip()[:40]} "
                "(the emulator supports only AND between conditions)",
            )
        position = joiner.end()


def parse(text: str) -> Query:
    """Parse the supported subset; raise ``SoqlError('MALFORMED_QUERY', ...)`` otherwise."""
    match = _QUERY.match(text or "")
    if not match:
        raise SoqlError(
            "MALFORMED_QUERY",
            "unexpected token: the emulator supports SELECT ... FROM ... [WHERE a = 'b' AND ...] [LIMIT n]",
        )
    fields = [f.strip() for f in match.group("fields").split(",") if f.strip()]
    conditions = _conditions(match.group("where")) if match.group("where") else []
    limit = int(match.group("limit")) if match.group("limit") else None
    return Query(fields, match.group("object"), conditions, limit)


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        if len(actual) in (15, 18) and len(expected) in (15, 18) and same_id(actual, expected):
            return True
        return actual.lower() == expected.lower()
    return actual == expected


def run(query: Query, tables: dict[str, tuple[list[str], list[dict[str, Any]]]], version: str) -> dict[str, Any]:
    """Evaluate against ``tables`` (object name -> (columns, rows); keys may be dotted paths)."""
    table_name = next((name for name in tables if name.lower() == query.sobject.lower()), None)
    if table_name is None:
        raise SoqlError("INVALID_TYPE", f"sObject type '{query.sobject}' is not supported.")
    column_names, rows = tables[table_name]
    columns = {key.lower(): key for key in column_names}

    def column(name: str) -> str:
        found = columns.get(name.lower())
        if found is None:
            raise SoqlError("INVALID_FIELD", f"No such column '{name}' on entity '{table_name}'.")
        return found

    selected = [column(f) for f in query.fields]
    filters = [(column(f), op, values) for f, op, values in query.conditions]
    records = []
    for row in rows:
        keep = True
        for name, op, values in filters:
            hit = any(_equal(row.get(name), v) for v in values)
            keep = keep and (hit if op in ("=", "IN") else not hit)
        if keep:
            records.append(_record(table_name, row, selected, version))
    if query.limit is not None:
        records = records[: query.limit]
    return {"totalSize": len(records), "done": True, "records": records}


def _record(table: str, row: dict[str, Any], selected: list[str], version: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "attributes": {"type": table, "url": f"/services/data/v{version}/sobjects/{table}/{row['Id']}"}
    }
    for name in selected:
        if "." in name:
            relation, field = name.split(".", 1)
            nested = record.setdefault(relation, {"attributes": {"type": row.get(f"{relation}.__type", relation)}})
            nested[field] = row.get(name)
        else:
            record[name] = row.get(name)
    return record
