"""JSON for programs: issues and reconciliations as documented in ``docs/json.md``.

May import: ``practicebook.core`` and below.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from practicebook.issues import Issue, Severity, sort_issues

__all__ = ["issues_to_json", "json_text"]


def issues_to_json(issues: Iterable[Issue], **extra: object) -> str:
    """``{"issues": [...], "summary": {...}}`` with the same fields as the text."""
    ordered = sort_issues(issues)
    counts = {s.value: sum(1 for i in ordered if i.severity is s) for s in Severity}
    payload = {**extra, "issues": [i.to_dict() for i in ordered], "summary": counts}
    return json_text(payload)


def json_text(payload: object) -> str:
    """JSON indented by two spaces, non-ASCII text as it is, for payloads of strings,
    whole numbers, booleans, ``None``, lists and string-keyed dicts: for those, what
    ``json.dumps(payload, indent=2, ensure_ascii=False)`` writes. orjson encodes it, many
    times faster at the size of a large practice's reconciliation; where orjson cannot be
    installed (a browser's Python), the standard library does."""
    try:
        import orjson
    except ImportError:
        return json.dumps(payload, indent=2, ensure_ascii=False)
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()
