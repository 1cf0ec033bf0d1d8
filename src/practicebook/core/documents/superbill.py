"""Superbills: what a US client sends an insurer for out-of-network reimbursement.

Only attended sessions of ``superbill_eligible`` services with a CPT code are listed,
never a late-cancellation or missed-appointment fee; each with its exact date of
service, CPT and modifiers, place of service, units, the fee charged, the amount paid
and the ICD-10 diagnoses in effect that day. Before one is issued, ``completeness``
names every missing field at its cell (``superbill-missing-npi`` at ``Clinicians!E3``…);
a superbill with an error-level issue can only be drafted. A superbill always carries
the client's details: minimal-PHI mode does not apply to it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from practicebook.core.amounts import as_money, minor_units
from practicebook.core.documents.context import Context, as_date, days, present
from practicebook.core.documents.invoice import charges_of
from practicebook.core.documents.model import (
    Block,
    Document,
    LineColumn,
    SuperbillRequest,
    Table,
    Value,
)
from practicebook.core.documents.register import billed_charges
from practicebook.core.result import Reconciliation
from practicebook.issues import Code, Issue, Severity, sort_issues
from practicebook.model import ROW
from practicebook.money import from_minor

__all__ = ["diagnoses_on", "is_cpt", "superbill", "valid_npi"]

_CPT = re.compile(r"^\d{4}[0-9A-Z]$")
_TELEHEALTH = ("02", "10")
_COLUMNS = (
    LineColumn("date", "Date of service", "date"),
    LineColumn("cpt", "CPT"),
    LineColumn("modifiers", "Modifiers"),
    LineColumn("place_of_service", "POS"),
    LineColumn("units", "Units", "count"),
    LineColumn("diagnoses", "Diagnoses"),
    LineColumn("fee", "Fee", "money"),
    LineColumn("paid", "Paid", "money"),
)


def is_cpt(code: str) -> bool:
    """True for a CPT code: four digits and a digit or letter (``90834``, ``0362T``)."""
    return bool(_CPT.match(code))


def valid_npi(text: str) -> bool:
    """True for a National Provider Identifier: ten digits whose last is the Luhn check
    digit of the other nine behind the prefix 80840.

    >>> valid_npi("1234567893"), valid_npi("1234567890"), valid_npi("12345")
    (True, False, False)
    """
    if not re.fullmatch(r"\d{10}", text):
        return False
    total = 0
    for i, ch in enumerate(reversed("80840" + text[:9])):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(text[9])


def pos_code(value: object) -> str | None:
    """A place-of-service code as two digits (``2`` read from a number cell is ``02``)."""
    text = present(value)
    return text.zfill(2) if text and text.isdigit() and len(text) < 2 else text


def diagnoses_on(ctx: Context, client_id: str, day: dt.date) -> list[tuple[str, str | None]]:
    """The client's diagnoses in effect on ``day`` (code, description), by rank."""
    dx = ctx.book.frame("Diagnoses")
    rows = dx[dx["client_id"] == client_id]
    found = []
    for code, desc, rank, start, end in zip(
        rows["icd10_code"],
        rows["description"],
        rows["rank"],
        rows["effective_from"],
        rows["effective_to"],
        strict=True,
    ):
        if present(code) is None:
            continue
        if not pd.isna(start) and as_date(start) > day:
            continue
        if not pd.isna(end) and as_date(end) < day:
            continue
        found.append((1 if pd.isna(rank) else int(rank), str(code).strip(), present(desc)))
    found.sort(key=lambda r: (r[0], r[1]))
    return [(code, desc) for _, code, desc in found]


def superbill(
    ctx: Context, rec: Reconciliation, request: SuperbillRequest, issued_on: dt.date
) -> Document:
    """The superbill ``request`` asks for, from ``rec``, with every missing field as an
    issue (its ``blocked`` is then true unless it is a draft).

    Raises:
        UnknownClient: the client is not on the Clients sheet.
        LookupError: no session of the period can go on a superbill.
    """
    cur, client_id = rec.currency, request.client_id
    chosen = charges_of(ctx, rec, client_id, request.start, request.end, ())
    codes = chosen["code"].to_numpy(dtype=object)
    eligible = (
        (chosen["kind"] == "session").to_numpy(dtype=bool)
        & chosen["superbill_eligible"].to_numpy(dtype=bool)
        & np.array([is_cpt(str(c)) for c in codes], dtype=bool)
    )
    if request.paid_only:
        eligible &= chosen["open"].to_numpy(dtype=np.int64) == 0
    chosen = chosen[eligible]
    issues: list[Issue] = []
    billed = billed_charges(ctx.book, "superbill")
    on_other = np.array([str(c) in billed for c in chosen["charge_id"]], dtype=bool)
    for charge in chosen["charge_id"][on_other]:
        on = billed[str(charge)]
        issues.append(
            Issue(
                Code.SUPERBILL_SESSION_TWICE,
                Severity.NOTE,
                f"session {charge} is already on superbill {on.number}; it is left out",
                on.where,
                f"To list it again, void {on.number} first (practicebook void).",
                row_id=str(charge),
                client_id=client_id,
            )
        )
    chosen = chosen[~on_other]
    if chosen.empty:
        paid = " paid in full" if request.paid_only else ""
        raise LookupError(
            f"{client_id} has no attended{paid} session of a superbill-eligible CPT code from "
            f"{request.start} to {request.end} that is not on a superbill already"
        )
    lines, clinicians, dx_issues, legend = _lines(ctx, chosen, cur)
    issues += dx_issues + completeness(ctx, client_id, clinicians)
    fee = minor_units(lines["fee"])
    paid_total = int(minor_units(lines["paid"]).sum())
    client = ctx.client(client_id) or {}
    dob = client.get("dob")
    return Document(
        kind="superbill",
        title="Superbill",
        client_id=client_id,
        period=(request.start, request.end),
        as_of=rec.as_of,
        issued_on=issued_on,
        currency=cur,
        locale=rec.locale,
        minimal=False,
        issuer=ctx.issuer,
        recipient=ctx.recipient(client_id, False),
        facts=(
            ("Date", issued_on),
            ("Period", (request.start, request.end)),
            ("Client", client_id),
            ("Date of birth", None if pd.isna(dob) else as_date(dob)),
        ),
        lines=lines,
        columns=_COLUMNS,
        summary=(
            ("Total charged", from_minor(int(fee.sum()), cur)),
            ("Total paid", from_minor(paid_total, cur)),
            ("Balance", from_minor(int(fee.sum()) - paid_total, cur)),
        ),
        total=from_minor(int(fee.sum()), cur),
        sections=(
            _practice_block(ctx),
            _providers(ctx, clinicians),
            Table(
                "Diagnoses (ICD-10)",
                (LineColumn("code", "Code"), LineColumn("description", "Description")),
                tuple((code, desc or "") for code, desc in legend),
            ),
        ),
        notes=(
            "Paid by the client. Submit this superbill to the insurer for out-of-network "
            "reimbursement.",
            *ctx.tax_lines,
        ),
        signature="Provider signature",
        issues=tuple(sort_issues(issues)),
        charge_ids=tuple(str(c) for c in lines["charge_id"]),
        draft=request.draft,
    )


def _lines(
    ctx: Context, chosen: pd.DataFrame, currency: str
) -> tuple[pd.DataFrame, list[str], list[Issue], list[tuple[str, str | None]]]:
    """The superbill's lines, the clinicians they name, the per-session issues and the
    diagnoses the lines cite (in order of first citation)."""
    sessions = ctx.book.sessions
    at = {str(s): i for i, s in reversed(list(enumerate(sessions["session_id"])))}
    issues: list[Issue] = []
    rows: list[dict[str, object]] = []
    legend: dict[str, str | None] = {}
    clinicians: list[str] = []
    for charge, sid, day, amount, open_ in zip(
        chosen["charge_id"].to_numpy(dtype=object),
        chosen["session_id"].to_numpy(dtype=object),
        days(chosen["date"]),
        minor_units(chosen["amount"]),
        chosen["open"].to_numpy(dtype=np.int64),
        strict=True,
    ):
        session: Mapping[str, object] = sessions.iloc[at[str(sid)]].to_dict()
        line = _session_line(ctx, session, as_date(day), issues)
        clinician = str(line["clinician_id"])
        if clinician and clinician not in clinicians:
            clinicians.append(clinician)
        for code, desc in line.pop("_dx"):  # type: ignore[attr-defined]
            legend.setdefault(code, desc)
        rows.append(
            {
                **line,
                "charge_id": str(charge),
                "_fee": int(amount),
                "_paid": int(amount) - int(open_),
            }
        )
    frame = pd.DataFrame(rows)
    frame["units"] = frame["units"].astype(np.int64)
    frame = frame.assign(
        fee=as_money(frame.pop("_fee").to_numpy(dtype=np.int64), currency),
        paid=as_money(frame.pop("_paid").to_numpy(dtype=np.int64), currency),
    )
    return frame, clinicians, issues, list(legend.items())


def _session_line(
    ctx: Context, session: Mapping[str, object], when: dt.date, issues: list[Issue]
) -> dict[str, object]:
    """One session's superbill line; what it lacks is added to ``issues``."""
    sid, client_id = str(session["session_id"]), str(session["client_id"])
    row = int(session[ROW])  # type: ignore[call-overload]

    def field(key: str, code: Code, message: str, **kw: object) -> None:
        issues.append(
            ctx.field_issue(
                code,
                "Sessions",
                key,
                row,
                message,
                row_id=sid,
                client_id=client_id,
                **kw,  # type: ignore[arg-type]
            )
        )

    clinician = present(session.get("clinician_id"))
    if clinician is None:
        field("clinician_id", Code.SUPERBILL_MISSING_FIELD, f"session {sid} names no clinician")
    pos = pos_code(session.get("place_of_service")) or pos_code(ctx.setting("place_of_service"))
    if pos is None:
        field(
            "place_of_service",
            Code.SUPERBILL_MISSING_FIELD,
            f"session {sid} has no place of service (and the practice has no default)",
        )
    parts = (present(session.get("modifiers")) or "").split(",")
    modifiers = ", ".join(p.strip() for p in parts if p.strip())
    if pos in _TELEHEALTH and not modifiers:
        field(
            "modifiers",
            Code.SUPERBILL_MISSING_FIELD,
            f"telehealth session {sid} (place of service {pos}) has no modifier: insurers "
            "usually expect 95 (video) or 93 (audio only)",
            severity=Severity.WARNING,
        )
    dx = diagnoses_on(ctx, client_id, when)
    if not dx:
        field(
            "scheduled_start",
            Code.SUPERBILL_MISSING_DIAGNOSIS,
            f"no diagnosis of {client_id} is in effect on {when.isoformat()} (session {sid})",
            hint=f"Add a row for {client_id} to the Diagnoses sheet whose effective period "
            f"includes {when.isoformat()} (blank dates: always in effect).",
        )
    return {
        "date": np.datetime64(when, "ns"),
        "session_id": sid,
        "cpt": str(session.get("service_code")),
        "modifiers": modifiers,
        "place_of_service": pos or "",
        "units": 1,
        "diagnoses": ", ".join(code for code, _ in dx),
        "clinician_id": clinician or "",
        "_dx": dx,
    }


def completeness(ctx: Context, client_id: str, clinicians: Iterable[str]) -> list[Issue]:
    """Every field of the practice, the client and the clinicians a superbill needs and
    the workbook leaves blank, each at its cell."""
    issues: list[Issue] = []
    for key, what in (
        ("tax_id", "tax ID (TIN)"),
        ("address_line1", "street address"),
        ("city", "city"),
        ("postal_code", "postal code"),
        ("phone", "phone number"),
    ):
        if ctx.setting(key) is None:
            issues.append(
                ctx.missing_setting(Code.SUPERBILL_MISSING_FIELD, key, what, Severity.ERROR)
            )
    if not ctx.settings.practice_name:
        issues.append(
            ctx.missing_setting(
                Code.SUPERBILL_MISSING_FIELD, "practice_name", "name", Severity.ERROR
            )
        )
    group_npi = ctx.setting("npi")
    if group_npi is not None and not valid_npi(group_npi):
        issues.append(
            Issue(
                Code.SUPERBILL_MISSING_NPI,
                Severity.ERROR,
                "the practice's NPI (npi) is not a valid NPI (ten digits ending in the "
                "check digit)",
                ctx.setting_cell("npi"),
                "Copy the organisation NPI from the NPPES registry, or leave it blank if the "
                "practice has none.",
            )
        )
    client = ctx.client(client_id) or {}
    row = int(client.get(ROW, 0))  # type: ignore[call-overload]
    for key, what in (
        ("dob", "date of birth"),
        ("address_line1", "street address"),
        ("city", "city"),
        ("postal_code", "postal code"),
    ):
        if present(client.get(key)) is None:
            issues.append(
                ctx.field_issue(
                    Code.SUPERBILL_MISSING_FIELD,
                    "Clients",
                    key,
                    row,
                    f"client {client_id} has no {what}",
                    row_id=client_id,
                    client_id=client_id,
                )
            )
    for clinician_id in clinicians:
        issues += _clinician_issues(ctx, clinician_id, client_id)
    return issues


def _clinician_issues(ctx: Context, clinician_id: str, client_id: str) -> list[Issue]:
    clinician = ctx.clinician(clinician_id)
    if clinician is None:  # an unknown clinician is reported by check already
        return []
    row = int(clinician[ROW])  # type: ignore[call-overload]
    issues: list[Issue] = []

    def issue(key: str, code: Code, message: str) -> None:
        issues.append(
            ctx.field_issue(
                code, "Clinicians", key, row, message, row_id=clinician_id, client_id=client_id
            )
        )

    npi = present(clinician.get("npi"))
    if npi is None:
        issue("npi", Code.SUPERBILL_MISSING_NPI, f"clinician {clinician_id} has no individual NPI")
    elif not valid_npi(npi):
        issue(
            "npi",
            Code.SUPERBILL_MISSING_NPI,
            f"the NPI of clinician {clinician_id} is not a valid NPI (ten digits ending in "
            "the check digit)",
        )
    for key, what in (
        ("credentials", "credentials"),
        ("license_number", "licence number"),
        ("license_state", "licence state"),
    ):
        if present(clinician.get(key)) is None:
            issue(key, Code.SUPERBILL_MISSING_FIELD, f"clinician {clinician_id} has no {what}")
    return issues


def _practice_block(ctx: Context) -> Block:
    items: list[tuple[str, Value]] = [("Tax ID (TIN)", ctx.setting("tax_id"))]
    if ctx.setting("npi"):
        items.append(("Group NPI", ctx.setting("npi")))
    return Block("Billing provider", tuple(items))


def _providers(ctx: Context, clinicians: Iterable[str]) -> Table:
    rows: list[tuple[Value, ...]] = []
    for clinician_id in clinicians:
        c = ctx.clinician(clinician_id) or {}
        registration = " ".join(
            p
            for p in (present(c.get("registration_body")), present(c.get("registration_number")))
            if p
        )
        rows.append(
            (
                present(c.get("display_name")) or clinician_id,
                present(c.get("credentials")) or "",
                present(c.get("npi")) or "",
                present(c.get("license_number")) or "",
                present(c.get("license_state")) or "",
                registration,
            )
        )
    columns: tuple[LineColumn, ...] = (
        LineColumn("name", "Rendering provider"),
        LineColumn("credentials", "Credentials"),
        LineColumn("npi", "NPI"),
        LineColumn("license", "Licence"),
        LineColumn("state", "State"),
        LineColumn("registration", "Registration"),
    )
    if not any(r[-1] for r in rows):  # no clinician has a registration: no such column
        columns, rows = columns[:-1], [r[:-1] for r in rows]
    return Table("Provider", columns, tuple(rows))
