"""Named checks across sheets: references, effective periods, rate scopes.

Each check is a plain function ``Book -> list[Issue]`` listed in ``CHECKS``; ``run``
applies them all. Single-cell rules (types, required, unique) live in ``parse``.
References are exact, letter case included; an unknown one that matches an existing ID
in another case says which ("did you mean 'C0001'").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from practicebook.issues import UNKNOWN_REFERENCE, Code, Issue, Severity
from practicebook.model import ROW, Book
from practicebook.parse.values import fold_id
from practicebook.schema import WORKBOOK, Sheet

__all__ = ["CHECKS", "run"]


def _present(series: pd.Series) -> np.ndarray:
    present: np.ndarray = series.notna().to_numpy(dtype=bool)
    return present


def _arrow_strings(values: pd.Series) -> pa.Array:
    array = pa.array(values, from_pandas=True)
    return array if array.type == pa.string() else array.cast(pa.string())


def _isin(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """``values.isin(allowed)`` through Arrow's hash kernel (pandas converts per value)."""
    found = pc.is_in(_arrow_strings(values), value_set=_arrow_strings(allowed.dropna()))
    mask: np.ndarray = found.fill_null(False).to_numpy(zero_copy_only=False)
    return mask


def _unknown(
    book: Book,
    sheet: Sheet,
    key: str,
    allowed: pd.Series,
    target: str,
    mask: np.ndarray | None = None,
) -> list[Issue]:
    frame = book.all_rows(sheet.name)
    if mask is not None:
        frame = frame[mask].reset_index(drop=True)
    values = frame[key]
    missing = _present(values) & ~_isin(values, allowed)
    issues: list[Issue] = []
    if not missing.any():
        return issues
    col = sheet.column(key)
    target_col = WORKBOOK.sheet(target).column(allowed.name) if allowed.name else None
    personal = col.phi or bool(target_col and target_col.phi)
    code = UNKNOWN_REFERENCE[target]
    near = {} if personal else _by_fold(allowed)
    for pos in np.flatnonzero(missing):
        value = str(values.iat[int(pos)])
        where = book.cell(sheet.name, key, int(frame[ROW].iat[int(pos)]))
        if personal:
            message = f"the {col.header} on this row is not on the {target} sheet"
            hint = _unknown_hint("it", target, col.header)
        else:
            message, hint = _unknown_wording(col.header, value, target, near.get(fold_id(value)))
        row_id = _row_id(sheet, frame, int(pos))
        client = _client_of(frame, int(pos))
        issues.append(Issue(code, Severity.ERROR, message, where, hint, row_id, client_id=client))
    return issues


def _by_fold(allowed: pd.Series) -> dict[str, str]:
    """Each ID of ``allowed`` by its folded form (``values.fold_id``; the first spelling of
    each)."""
    near: dict[str, str] = {}
    for value in allowed.dropna().astype(str).unique():
        near.setdefault(fold_id(value), value)
    return near


def _unknown_wording(header: str, value: str, target: str, near: str | None) -> tuple[str, str]:
    """Message and hint for an unknown reference, naming the ID it differs from only in
    letter case, if any."""
    if near is None:
        return (
            f"{header} {value!r} is not on the {target} sheet",
            _unknown_hint(repr(value), target, header),
        )
    return (
        f"{header} {value!r} is not on the {target} sheet; did you mean {near!r}? IDs are "
        "exact, letter case included",
        f"Type it exactly as on the {target} sheet: {near}.",
    )


#: How rows come to be on a sheet only practicebook appends to (``appended_by_practicebook``).
_APPENDED_BY = {
    "Documents": "issue the document with practicebook",
    "BankLines": "import the bank statement with practicebook",
}


def _unknown_hint(what: str, target: str, header: str) -> str:
    """What to do about an unknown reference: add the row to the target sheet, or — on a
    sheet only practicebook appends to — have practicebook write it; or correct the cell."""
    if WORKBOOK.sheet(target).appended_by_practicebook:
        how = _APPENDED_BY.get(target, "let practicebook add the row")
        return f"The {target} sheet is written by practicebook: {how}, or correct the {header}."
    return f"Add {what} to the {target} sheet, or correct the {header}."


def _client_of(frame: pd.DataFrame, pos: int) -> str | None:
    if "client_id" not in frame.columns:
        return None
    value = frame["client_id"].iat[pos]
    return None if pd.isna(value) else str(value)


#: Limits a check to one Excel row of one sheet (a row about to be added), or None.
Focus = tuple[str, int] | None


def _focus_mask(frame: pd.DataFrame, focus: Focus) -> np.ndarray | None:
    return None if focus is None else (frame[ROW] == focus[1]).to_numpy(dtype=bool)


def check_references(book: Book, focus: Focus = None) -> list[Issue]:
    """Every ``references`` column names an existing row of its target sheet."""
    issues: list[Issue] = []
    for sheet in WORKBOOK.sheets:
        frame = book.all_rows(sheet.name)
        if frame.empty or (focus is not None and sheet.name != focus[0]):
            continue
        mask = _focus_mask(frame, focus)
        for col in sheet.columns:
            if not col.references:
                continue
            target, _, target_key = col.references.partition(".")
            allowed = book.all_rows(target)[target_key]
            issues += _unknown(book, sheet, col.key, allowed, target, mask)
    default = book.settings.default_policy_id
    policies = book.all_rows("Policies")["policy_id"]
    if focus is None and default and default not in set(policies):
        layout = book.layouts.get("Practice")
        row = _setting_row(book, "default_policy_id")
        message, hint = _unknown_wording(
            "default_policy_id", default, "Policies", _by_fold(policies).get(fold_id(default))
        )
        issues.append(
            Issue(
                Code.UNKNOWN_POLICY,
                Severity.ERROR,
                message,
                layout.cell("value", row) if layout and row else book.cell("Practice", None, 0),
                hint,
            )
        )
    return issues


def _setting_row(book: Book, key: str) -> int | None:
    frame = book.frames.get("Practice")
    if frame is None:
        return None
    hits = frame.loc[frame["key"].str.casefold() == key, ROW]
    return int(hits.iat[0]) if len(hits) else None


def check_rate_scopes(book: Book, focus: Focus = None) -> list[Issue]:
    """A rate's ``scope_id`` names a client or clinician, as its ``scope`` says."""
    rates = book.all_rows("Rates")
    if rates.empty or (focus is not None and focus[0] != "Rates"):
        return []
    sheet = WORKBOOK.sheet("Rates")
    focused = _focus_mask(rates, focus)
    issues = []
    for scope, target, key in (
        ("client", "Clients", "client_id"),
        ("clinician", "Clinicians", "clinician_id"),
    ):
        mask = (rates["scope"] == scope).to_numpy(dtype=bool)
        if focused is not None:
            mask &= focused
        issues += _unknown(book, sheet, "scope_id", book.all_rows(target)[key], target, mask)
    return issues


def check_periods(book: Book, focus: Focus = None) -> list[Issue]:
    """Effective periods are ordered and, per key, do not overlap."""
    issues: list[Issue] = []
    for sheet in WORKBOOK.sheets:
        frame = book.frame(sheet.name)
        if (
            frame.empty
            or "effective_from" not in frame.columns
            or (focus is not None and sheet.name != focus[0])
        ):
            continue
        start = frame["effective_from"].fillna(pd.Timestamp.min)
        end = frame["effective_to"].fillna(pd.Timestamp.max)
        backwards = (start > end).to_numpy(dtype=bool)
        for pos in np.flatnonzero(backwards):
            issues.append(
                Issue(
                    Code.BAD_PERIOD,
                    Severity.ERROR,
                    "effective_to is before effective_from",
                    book.cell(sheet.name, "effective_to", int(frame[ROW].iat[int(pos)])),
                    "Swap the two dates, or correct the one that is wrong.",
                    _row_id(sheet, frame, int(pos)),
                )
            )
        if not sheet.periods:
            continue
        keys = list(sheet.periods)
        shared = frame[keys].fillna("").duplicated(keep=False).to_numpy(dtype=bool)
        ordered = frame.assign(_start=start, _end=end)[shared & ~backwards]
        group_keys = [ordered[k].fillna("") for k in keys]
        for _, group in ordered.groupby(group_keys, sort=False):
            if len(group) < 2:
                continue
            group = group.sort_values(["_start", ROW])
            prev_end = group["_end"].cummax().shift()
            clash = (group["_start"] <= prev_end).to_numpy(dtype=bool)
            for pos in np.flatnonzero(clash):
                row = group.iloc[int(pos)]
                what = (
                    " / ".join(
                        str(row[k])
                        for k in sheet.periods
                        if pd.notna(row[k]) and not _personal(sheet, k)
                    )
                    or "this row"
                )
                issues.append(
                    Issue(
                        Code.OVERLAPPING_PERIODS,
                        Severity.ERROR,
                        f"the effective period of {what} overlaps an earlier row",
                        book.cell(sheet.name, "effective_from", int(row[ROW])),
                        "End the earlier row the day before this one starts.",
                        _row_id(sheet, group, int(pos)),
                    )
                )
    return issues if focus is None else [i for i in issues if i.where.row == focus[1]]


def _row_id(sheet: Sheet, frame: pd.DataFrame, pos: int) -> str | None:
    """The row's ID, if the sheet has one that is not personal."""
    if not sheet.key or sheet.column(sheet.key).phi:
        return None
    value = frame[sheet.key].iat[pos]
    return None if pd.isna(value) else str(value)


def _personal(sheet: Sheet, key: str) -> bool:
    return sheet.column(key).phi


CHECKS: dict[str, Callable[[Book, Focus], list[Issue]]] = {
    "references": check_references,
    "rate-scopes": check_rate_scopes,
    "periods": check_periods,
}


def run(book: Book, focus: Focus = None) -> list[Issue]:
    """Run every named check, on the whole book or on one row (``(sheet, excel_row)``)."""
    issues: list[Issue] = []
    for check in CHECKS.values():
        issues += check(book, focus)
    return issues
