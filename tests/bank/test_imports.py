"""Importing is idempotent: the same file, an overlapping one, any split of a statement in
any order adds each line exactly once, and genuinely identical lines stay two lines."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from practicebook.core.bank import prepare_import
from practicebook.core.bank.imports import import_key, keyed
from practicebook.parse.statements import StatementLine
from tests.bank.support import appended, with_statements
from tests.support.books import book_from

BOOK = """
## BankAccounts
| account_id | kind | opening_balance | opening_date |
| CHK        | bank | 1000            | 2026-03-01   |
"""
DESCRIPTIONS = ("E-TRANSFER FROM ADA", "E-TRANSFER FROM BO", "MOBILE DEPOSIT", "SERVICE FEE")


@functools.cache
def empty_book():
    book, issues = book_from(BOOK)
    assert not [i for i in issues if i.is_error]
    return book


def csv_of(rows) -> bytes:
    body = "".join(f"{d:%Y-%m-%d},{text},{cents / 100:.2f}\n" for d, text, cents in rows)
    return ("Date,Description,Amount\n" + body).encode()


def stored(book) -> Counter:
    lines = book.frames["BankLines"]
    return Counter(
        zip(
            lines["posted_date"].dt.date,
            lines["description"],
            lines["amount"].astype(int),
            strict=True,
        )
    )


def masked(rows) -> Counter:
    from practicebook.parse.statements import mask_description

    return Counter((d, mask_description(text), cents) for d, text, cents in rows)


row = st.tuples(
    st.dates(dt.date(2026, 3, 1), dt.date(2026, 3, 20)),
    st.sampled_from(DESCRIPTIONS),
    st.sampled_from((15000, 15000, 9000, -1500)),  # repeats on purpose: identical rows
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(row, min_size=1, max_size=25),
    cuts=st.lists(st.tuples(st.integers(0, 19), st.integers(0, 19)), min_size=1, max_size=5),
    data=st.data(),
)
def test_any_split_and_overlap_in_any_order_imports_each_line_once(rows, cuts, data):
    rows = sorted(rows)  # a statement lists its lines in date order
    first = dt.date(2026, 3, 1)
    windows = [(min(a, b), max(a, b)) for a, b in cuts] + [(0, 19)]  # the whole month too
    files = {}
    for n, (a, b) in enumerate(windows):
        lo, hi = first + dt.timedelta(days=a), first + dt.timedelta(days=b)
        files[f"part-{n}.csv"] = csv_of([r for r in rows if lo <= r[0] <= hi])
    order = data.draw(st.permutations(list(files)))
    book = with_statements(empty_book(), {name: files[name] for name in order}, account="CHK")
    assert stored(book) == masked(rows)
    for name in order:  # and again: nothing more
        plan = prepare_import(book, files[name], name, account="CHK")
        assert plan.rows == [] and plan.present == files[name].count(b"\n") - 1


def test_two_identical_lines_of_one_file_are_two_lines_and_stay_two():
    rows = [(dt.date(2026, 3, 3), "E-TRANSFER DEPOSIT", 15000)] * 2
    book = with_statements(empty_book(), {"a.csv": csv_of(rows)}, account="CHK")
    assert len(book.frames["BankLines"]) == 2
    again = prepare_import(book, csv_of(rows), "a-again.csv", account="CHK")
    assert (len(again.rows), again.present) == (0, 2)
    three = prepare_import(book, csv_of(rows * 2)[: -len(b"\n")] + b"\n", "b.csv", account="CHK")
    assert (len(three.rows), three.present) == (2, 2)  # a third and fourth are new


def test_keys_use_the_statements_own_id_else_a_digest_of_the_line_and_its_occurrence():
    line = StatementLine(1, dt.date(2026, 3, 3), 15000, description="DEPOSIT")
    assert (
        import_key("CHK", StatementLine(1, dt.date(2026, 3, 3), 1, external_id="FIT9"), 0) == "FIT9"
    )
    first, second = keyed("CHK", [line, line])
    assert first[0] != second[0] and first[0].startswith("k:")
    assert keyed("CHK", [line])[0][0] == first[0]
    assert keyed("SAV", [line])[0][0] != first[0]


OFX = """OFXHEADER:100
<OFX><STMTRS><CURDEF>USD<BANKACCTFROM><ACCTID>1</BANKACCTFROM><BANKTRANLIST>
{lines}
</BANKTRANLIST><LEDGERBAL><BALAMT>{balance}<DTASOF>20260331</LEDGERBAL></STMTRS></OFX>"""


def ofx(*lines, balance="1250.00") -> bytes:
    body = "\n".join(
        f"<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>{d}<TRNAMT>{a}<FITID>{f}</STMTTRN>" for d, a, f in lines
    )
    return OFX.format(lines=body, balance=balance).encode()


def test_a_reused_id_with_another_amount_is_conflicting_and_not_added():
    book = with_statements(
        empty_book(),
        {"a.ofx": ofx(("20260303", "100.00", "F1"), ("20260304", "150.00", "F2"))},
        account="CHK",
    )
    plan = prepare_import(
        book,
        ofx(
            ("20260303", "100.00", "F1"),
            ("20260304", "175.00", "F2"),
            ("20260305", "5.00", "F3"),
            balance="1280.00",
        ),
        "b.ofx",
        account="CHK",
    )
    assert [r["external_id"] for r in plan.rows] == ["F3"]
    assert plan.present == 1
    assert [(c.row, c.line_id) for c in plan.conflicts] == [(2, "CHK-00002")]


def test_the_statements_balance_becomes_an_assertion_once():
    book = with_statements(
        empty_book(), {"a.ofx": ofx(("20260303", "250.00", "F1"))}, account="CHK"
    )
    assertions = book.frames["Assertions"]
    assert list(assertions["expected_balance"]) == [125000]
    plan = prepare_import(book, ofx(("20260303", "250.00", "F1")), "again.ofx", account="CHK")
    assert plan.assertions == []
    other = prepare_import(
        book, ofx(("20260303", "250.00", "F1"), balance="1.00"), "odd.ofx", account="CHK"
    )
    assert other.assertions == [] and other.issues[0].code.value == "assertion-failed"


def test_a_new_account_is_added_with_the_opening_balance_the_statement_implies():
    book, _ = book_from("## Clients\n| client_id | first_name | last_name |\n")
    plan = prepare_import(
        book,
        ofx(("20260303", "250.00", "F1"), ("20260310", "-50.00", "F2"), balance="700.00"),
        "new.ofx",
        account="SAV",
    )
    assert plan.ok and plan.new_account is not None
    assert plan.new_account["kind"] == "bank"
    assert str(plan.new_account["opening_balance"]) == "500.00"  # 700 - (250 - 50)
    assert plan.new_account["opening_date"] == dt.date(2026, 3, 3)


def test_a_file_in_another_currency_or_for_another_kind_of_account_is_refused():
    book = empty_book()
    cad = ofx(("20260303", "1.00", "F1")).replace(b"<CURDEF>USD", b"<CURDEF>CAD")
    assert not prepare_import(book, cad, "cad.ofx", account="CHK").ok
    stripe = b"balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category\ntxn_1,2026-03-02,usd,1.00,0.10,0.90,charge\n"
    refused = prepare_import(book, stripe, "stripe.csv", account="CHK")
    assert not refused.ok and "processor account" in refused.issues[-1].message
    assert prepare_import(book, stripe, "stripe.csv").account_id == "STRIPE"


def test_the_account_is_named_when_the_book_has_several():
    book = appended(empty_book(), "BankAccounts", [{"account_id": "SAV", "kind": "bank"}])
    plan = prepare_import(book, ofx(("20260303", "1.00", "F1")), "x.ofx")
    assert not plan.ok and "--account" in plan.issues[-1].message


def test_a_processors_file_goes_to_its_one_account_and_asks_among_several():
    stripe = b"balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category\ntxn_1,2026-03-02,usd,1.00,0.10,0.90,charge\n"
    one = appended(
        empty_book(),
        "BankAccounts",
        [{"account_id": "CARDS", "kind": "processor", "processor": "stripe"}],
    )
    assert prepare_import(one, stripe, "stripe.csv").account_id == "CARDS"
    assert prepare_import(one, ofx(("20260303", "1.00", "F1")), "x.ofx").account_id == "CHK"
    refused = prepare_import(one, ofx(("20260303", "1.00", "F1")), "x.ofx", account="CARDS")
    assert not refused.ok and "CARDS is a processor account" in refused.issues[-1].message
    two = appended(
        one, "BankAccounts", [{"account_id": "CARDS2", "kind": "processor", "processor": "stripe"}]
    )
    plan = prepare_import(two, stripe, "stripe.csv")
    assert not plan.ok
    assert plan.issues[-1].message == "several Stripe accounts: name one with --account"


def test_a_day_beyond_what_a_timestamp_holds_is_never_read_as_another_day():
    """Days a nanosecond timestamp cannot hold (before 1677, after 2262) are refused as
    pandas refuses them, never wrapped around to another day."""
    import pandas as pd
    import pytest

    for day in (dt.date(2300, 1, 4), dt.date(1600, 1, 1)):
        try:
            book = appended(
                empty_book(),
                "BankLines",
                [{"line_id": "CHK-09999", "account_id": "CHK", "posted_date": day, "amount": 1}],
            )
        except pd.errors.OutOfBoundsDatetime:
            continue
        posted = book.frames["BankLines"]["posted_date"].iloc[-1]
        pytest.fail(f"{day} was read as {posted}")
    book = appended(
        empty_book(),
        "BankLines",
        [
            {
                "line_id": "CHK-09999",
                "account_id": "CHK",
                "posted_date": dt.date(2262, 4, 11),
                "amount": 1,
            }
        ],
    )
    assert book.frames["BankLines"]["posted_date"].iloc[-1] == pd.Timestamp("2262-04-11")
