"""Minimal-PHI mode shows no personal value; file names never hold a name; the same
document gives the same bytes; names in other scripts and currency signs survive
extraction in the workbook's locale."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from practicebook import documents
from practicebook.core.documents import StatementRequest
from practicebook.schema import WORKBOOK
from tests.documents.helpers import pdf_text, practice_text, small_book, write_practice
from tests.support.books import book_from

DAY = dt.date(2026, 4, 2)
#: A marker per personal column of C1's rows (names, contact, address, DOB, memos, dx).
MARKERS = {
    "first_name": "Zqfirst",
    "last_name": "Zqlast",
    "preferred_name": "Zqpreferred",
    "email": "zq@marker.invalid",
    "phone": "555-9999-77",
    "address_line1": "77 Zqstreet",
    "address_line2": "Zqsuite",
    "city": "Zqcity",
    "postal_code": "99977",
}


def marked_text() -> str:
    text = practice_text()
    clients = (
        "## Clients\n| client_id | first_name | last_name | preferred_name | email | phone | "
        "dob | address_line1 | address_line2 | city | postal_code |\n"
        f"| C1 | {MARKERS['first_name']} | {MARKERS['last_name']} | "
        f"{MARKERS['preferred_name']} | {MARKERS['email']} | {MARKERS['phone']} | 1977-07-17 | "
        f"{MARKERS['address_line1']} | {MARKERS['address_line2']} | {MARKERS['city']} | "
        f"{MARKERS['postal_code']} |\n| C2 | Bo | Sample | | | | | | | | |\n"
    )
    head, rest = text.split("## Clients", 1)
    rest = rest.split("## Services", 1)[1]
    text = head + clients + "\n## Services" + rest
    text = text.replace("Generalized anxiety disorder", "Zqdiagnosis").replace("F41.1", "Z99.9")
    return _with_memos(text)


#: A marker per memo: never printed on any document, in any mode.
MEMOS = {"Sessions": "Zqsessionmemo", "Payments": "Zqpaymentmemo"}


def _with_memos(text: str) -> str:
    """Every session and payment row given a memo marker."""
    rows = {"Sessions": re.compile(r"^\| S\d"), "Payments": re.compile(r"^\| P\d")}
    out, sheet = [], None
    for line in text.splitlines():
        if line.startswith("## "):
            sheet = line[3:].strip()
        elif sheet in rows and line.startswith(("| session_id", "| payment_id")):
            line += " memo |"
        elif sheet in rows and rows[sheet].match(line):
            line += f" {MEMOS[sheet]} |"
        out.append(line)
    return "\n".join(out) + "\n"


def test_every_personal_column_is_covered_by_a_marker():
    personal = {
        (s.name, c.key)
        for s in WORKBOOK.sheets
        if s.name in ("Clients", "Sessions", "Payments", "Diagnoses")
        for c in s.columns
        if c.phi
    }
    covered = {("Clients", k) for k in MARKERS} | {("Clients", "dob")}
    covered |= {(s, "memo") for s in MEMOS} | {("Diagnoses", "icd10_code")}
    covered |= {("Diagnoses", "description")}
    assert personal == covered
    book, _ = book_from(marked_text())
    for sheet, marker in MEMOS.items():
        assert (book.frame(sheet)["memo"] == marker).all()


@pytest.mark.parametrize("kind", ["statement", "receipt", "invoice", "estimate"])
def test_minimal_documents_show_no_personal_value(kind):
    book, issues = book_from(marked_text())
    assert not [i for i in issues if i.is_error], issues
    build = {
        "statement": lambda: documents.statement(
            book, "C1", month="2026-03", minimal=True, issued_on=DAY
        ),
        "receipt": lambda: documents.receipt(book, "P3", minimal=True, issued_on=DAY),
        "invoice": lambda: documents.invoice(
            book, "C1", month="2026-03", minimal=True, issued_on=DAY
        ),
        "estimate": lambda: documents.estimate(
            book,
            "C1",
            services=[("90834", 4)],
            start=dt.date(2026, 4, 1),
            end=dt.date(2026, 4, 30),
            minimal=True,
            issued_on=DAY,
        ),
    }[kind]
    doc = build()
    text = pdf_text(documents.to_pdf(doc))
    for key, marker in MARKERS.items():
        assert marker not in text, key
    for marker in ("Zqdiagnosis", "Z99.9", "1977", "Psychotherapy", *MEMOS.values()):
        assert marker not in text
    assert "C1" in text and ("Counselling" in text or kind == "receipt")
    full = pdf_text(documents.to_pdf(_full(book, kind)))
    assert MARKERS["last_name"] in full  # the same document in full mode does name the client
    assert not any(memo in full for memo in MEMOS.values())  # memos: never, in any mode


def _full(book, kind):
    if kind == "receipt":
        return documents.receipt(book, "P3", minimal=False, issued_on=DAY)
    if kind == "estimate":
        return documents.estimate(
            book,
            "C1",
            services=[("90834", 4)],
            start=dt.date(2026, 4, 1),
            end=dt.date(2026, 4, 30),
            minimal=False,
            issued_on=DAY,
        )
    return getattr(documents, kind)(book, "C1", month="2026-03", minimal=False, issued_on=DAY)


def test_phi_mode_minimal_is_the_default_for_documents_that_allow_it():
    text = marked_text().replace(
        "## Practice\n| key | value |\n", "## Practice\n| key | value |\n| phi_mode | minimal |\n"
    )
    book, _ = book_from(text)
    doc = documents.statement(book, "C1", month="2026-03", issued_on=DAY)
    assert doc.minimal and MARKERS["last_name"] not in pdf_text(documents.to_pdf(doc))
    superbill = documents.superbill(book, "C1", month="2026-03", issued_on=DAY)
    assert not superbill.minimal  # a superbill carries the client's details
    text = pdf_text(documents.to_pdf(superbill))
    assert MARKERS["last_name"] in text and "Jul 17, 1977" in text
    assert not any(memo in text for memo in MEMOS.values())


def test_a_superbill_cannot_be_minimal_and_says_so(tmp_path):
    from click.testing import CliRunner

    from practicebook.frontends.cli import main

    book, _ = book_from(marked_text())
    with pytest.raises(ValueError, match="a superbill cannot be minimal"):
        documents.superbill(book, "C1", month="2026-03", minimal=True)
    path = write_practice(tmp_path / "p.xlsx", phi_mode="minimal")
    args = ["superbill", str(path), "--client", "C1", "--month", "2026-03"]
    refused = CliRunner().invoke(main, [*args, "--minimal"])
    assert refused.exit_code == 2
    assert "a superbill cannot be minimal" in refused.output
    assert not (tmp_path / "documents").exists()
    issued = CliRunner().invoke(main, args)
    assert issued.exit_code == 0, issued.output
    assert "note: phi_mode is minimal, but a superbill cannot be minimal" in issued.output
    assert "issued SB-00001" in issued.output


def test_file_names_never_hold_a_name(tmp_path):
    from practicebook.workbook.documents import file_name

    book, _ = book_from(marked_text())
    doc = documents.statement(book, "C1", month="2026-03", issued_on=DAY)
    name = file_name("ST-00001", doc)
    assert name == "ST-00001_statement_C1_2026-03.pdf"
    assert not any(m.casefold() in name.casefold() for m in MARKERS.values())


def test_the_same_document_gives_the_same_bytes(tmp_path):
    book, _ = small_book()
    first = documents.to_pdf(documents.statement(book, "C1", month="2026-03", issued_on=DAY))
    again = documents.to_pdf(documents.statement(book, "C1", month="2026-03", issued_on=DAY))
    assert first == again
    other = documents.to_pdf(
        documents.statement(book, "C1", month="2026-03", issued_on=dt.date(2026, 4, 3))
    )
    assert other != first


def test_issued_bytes_are_reproducible_across_workbooks(tmp_path):
    import hashlib

    at = dt.datetime(2026, 4, 2, 9, 0)
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_practice(tmp_path / "a" / "p.xlsx")
    b = write_practice(tmp_path / "b" / "p.xlsx")
    one = documents.issue(a, StatementRequest("C1", *march), issued_at=at)
    two = documents.issue(b, StatementRequest("C1", *march), issued_at=at)
    assert one.sha256 == two.sha256 == hashlib.sha256(two.path.read_bytes()).hexdigest()


SCRIPTS = [
    ("de_DE", "EUR", "Zoë", "Ångström-Müller", "€"),
    ("en_GB", "GBP", "Σοφία", "Παπαδοπούλου", "£"),
    ("ru_RU", "RUB", "Дмитрий", "Иванов", "₽"),
    ("ja_JP", "JPY", "花子", "山田", "￥"),
    ("zh_CN", "CNY", "小明", "王", "¥"),
    ("ko_KR", "KRW", "민준", "김", "₩"),
    ("en_IN", "INR", "Ravi", "Kumar", "₹"),
    ("he_IL", "ILS", "Noa", "Levi", "₪"),
]


@pytest.mark.parametrize(("locale", "currency", "first", "last", "sign"), SCRIPTS)
def test_names_in_other_scripts_and_currency_signs_survive(locale, currency, first, last, sign):
    text = f"""
## Practice
| key | value |
| practice_name | Ørsted Praxis |
| currency | {currency} |
| locale | {locale} |
## Clients
| client_id | first_name | last_name |
| C1        | {first}    | {last}    |
## Services
| service_code | description | base_fee |
| 90834        | Therapie    | 1500     |
## Sessions
| session_id | client_id | service_code | scheduled_start  | status   |
| S1         | C1        | 90834        | 2026-03-02 10:00 | attended |
"""
    book, issues = book_from(text)
    assert not [i for i in issues if i.is_error], issues
    doc = documents.statement(book, "C1", month="2026-03", issued_on=DAY)
    extracted = pdf_text(documents.to_pdf(doc))
    assert first in extracted and last in extracted and "Ørsted Praxis" in extracted
    assert sign in extracted
    from practicebook.l10n import format_money
    from practicebook.money import to_minor

    shown = format_money(to_minor(doc.total, currency), currency, locale)
    assert shown.replace("\xa0", " ") in extracted.replace("\xa0", " ")


def test_text_is_never_read_as_markup():
    text = practice_text().replace(
        "| C1        | Ada        | Example   |", "| C1        | <b>Ada</b> & | Ex<font>ample   |"
    )
    book, _ = book_from(text)
    doc = documents.statement(book, "C1", month="2026-03", issued_on=DAY)
    assert "<b>Ada</b> & Ex<font>ample" in pdf_text(documents.to_pdf(doc))


def test_paper_follows_the_locale_unless_set():
    from practicebook.render.pdf import default_paper

    assert default_paper("en_US") == "letter" and default_paper("de_DE") == "a4"
    book, _ = small_book()
    doc = documents.statement(book, "C1", month="2026-03", issued_on=DAY)
    import io

    from pypdf import PdfReader

    letter = PdfReader(io.BytesIO(documents.to_pdf(doc))).pages[0].mediabox
    a4 = PdfReader(io.BytesIO(documents.to_pdf(doc, paper="a4"))).pages[0].mediabox
    assert (round(letter.width), round(letter.height)) == (612, 792)
    assert (round(a4.width), round(a4.height)) == (595, 842)
