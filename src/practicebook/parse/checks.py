"""Named checks across sheets: references, effective periods, rate scopes.

Each check is a plain function ``Book -> list[Issue]`` listed in ``CHECKS``; ``run``
applies them all. Single-cell rules (types, required, unique) live in ``parse``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from practicebook.issues import UNKNOWN_REFERENCE, Code, Issue, Severity
from practicebook.model import ROW, Book
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
    issues = []
    col = sheet.column(key)
    code = UNKNOWN_REFERENCE[target]
    row_key = sheet.key
    for pos in np.flatnonzero(missing):
        value = values.iat[int(pos)]
        issues.append(
            Issue(
                code,
                Severity.ERROR,
                f"{col.header} {value!r} is not on the {target} sheet",
                book.cell(sheet.name, key, int(frame[ROW].iat[int(pos)])),
                f"Add {value!r} to the {target} sheet, or correct the {col.header}.",
                str(frame[row_key].iat[int(pos)]) if row_key else None,
                client_id=_client_of(frame, int(pos)),
            )
        )
    return issues


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
    if focus is None and default and default not in set(book.policies["policy_id"]):
        layout = book.layouts.get("Practice")
        row = _setting_row(book, "default_policy_id")
        issues.append(
            Issue(
                Code.UNKNOWN_POLICY,
                Severity.ERROR,
                f"default_policy_id {default!r} is not on the Policies sheet",
                layout.cell("value", row) if layout and row else book.cell("Practice", None, 0),
                "Add the policy to the Policies sheet, or correct default_policy_id.",
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
                what = " / ".join(str(row[k]) for k in sheet.periods if pd.notna(row[k]))
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
    return str(frame[sheet.key].iat[pos]) if sheet.key else None


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
