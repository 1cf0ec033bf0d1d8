"""Matching: each rule on the smallest book that shows it, ties never guessed, choices
and reconciled periods kept, and the properties — no line or payment matched twice,
results independent of row order, the statement identity after matching."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practicebook.core import bank
from practicebook.core.bank.match import line_channels
from tests.support.books import book_from

HEAD = """
## Clients
| client_id | first_name | last_name |
| C1        | Ada        | Example   |
| C2        | Bo         | Example   |
## BankAccounts
| account_id | kind      | processor | payout_account | opening_balance | opening_date |
| CHK        | bank      |           |                | 1000            | 2026-03-01   |
| STRIPE     | processor | stripe    | CHK            | 0               | 2026-03-01   |
"""


def matched(text: str, as_of: str = "2026-03-31"):
    book, issues = book_from(HEAD + text)
    assert not [i for i in issues if i.is_error], [i.message for i in issues]
    return bank.match(book, as_of)


def pairs(result) -> dict[str, tuple[str, ...]]:
    return {
        k: m.payments or m.lines
        for k, m in result.matching.matches.items()
        if m.payments or m.lines
    }


def rules(result) -> dict[str, str]:
    return {k: m.rule for k, m in result.matching.matches.items()}


def codes(result) -> list[tuple[str, str]]:
    return sorted((i.code.value, str(i.where)) for i in result.issues)


def test_one_candidate_and_nearest_date_on_both_sides():
    r = matched("""
## Payments
| payment_id | received_date | client_id | amount | method     |
| P1         | 2026-03-02    | C1        | 150    | e_transfer |
| P2         | 2026-03-06    | C2        | 150    | e_transfer |
| P3         | 2026-03-09    | C1        | 90     | zelle      |
## BankLines
| line_id | account_id | posted_date | amount | description |
| L1      | CHK        | 2026-03-03  | 150    | E-TRANSFER  |
| L2      | CHK        | 2026-03-06  | 150    | E-TRANSFER  |
| L3      | CHK        | 2026-03-10  | 90     | ZELLE       |
""")
    assert pairs(r) == {"L1": ("P1",), "L2": ("P2",), "L3": ("P3",)}
    assert rules(r)["L3"] == "amount-date (one candidate)"
    assert rules(r)["L1"] == "amount-date (nearest date)"


def test_a_tie_is_reported_never_guessed():
    r = matched(
        """
## Payments
| payment_id | received_date | client_id | amount | method     |
| P1         | 2026-03-02    | C1        | 150    | e_transfer |
| P2         | 2026-03-02    | C2        | 150    | e_transfer |
## BankLines
| line_id | account_id | posted_date | amount | description |
| L1      | CHK        | 2026-03-03  | 150    | E-TRANSFER  |
""",
        "2026-03-05",
    )
    assert pairs(r) == {}
    (tie,) = r.matching.ambiguous
    assert (tie.lines, tie.payments) == (("L1",), ("P1", "P2"))
    assert codes(r) == [("ambiguous-match", "BankLines!D2")]
    assert "P1, P2" in r.issues[0].message


def test_identical_lines_are_interchangeable_so_two_for_two_is_no_guess():
    r = matched("""
## Payments
| payment_id | received_date | client_id | amount | method     |
| P1         | 2026-03-02    | C1        | 150    | e_transfer |
| P2         | 2026-03-02    | C2        | 150    | e_transfer |
## BankLines
| line_id | account_id | posted_date | amount | description        |
| L1      | CHK        | 2026-03-03  | 150    | E-TRANSFER DEPOSIT |
| L2      | CHK        | 2026-03-03  | 150    | E-TRANSFER DEPOSIT |
""")
    assert pairs(r) == {"L1": ("P1",), "L2": ("P2",)}
    assert r.matching.ambiguous == []


def test_a_source_with_one_candidate_gets_it_before_the_nearest_date_decides():
    # P2's only candidate is L1, which is also P1's nearest
    r = matched("""
## Payments
| payment_id | received_date | client_id | amount | method     |
| P1         | 2026-03-05    | C1        | 150    | e_transfer |
| P2         | 2026-03-07    | C2        | 150    | e_transfer |
## BankLines
| line_id | account_id | posted_date | amount | description |
| L1      | CHK        | 2026-03-06  | 150    | E-TRANSFER  |
| L2      | CHK        | 2026-03-01  | 150    | E-TRANSFER  |
""")
    assert pairs(r) == {"L1": ("P2",), "L2": ("P1",)}
    assert rules(r)["L1"] == "amount-date (one candidate)"


def test_a_group_tied_on_nearest_dates_is_solved_when_one_assignment_is_best():
    # both payments are nearest to L1; giving it to P2 leaves P1 3 days from L2, which
    # beats P1 on L1 and P2 4 days from L3
    r = matched("""
## Payments
| payment_id | received_date | client_id | amount | method     |
| P1         | 2026-03-05    | C1        | 150    | e_transfer |
| P2         | 2026-03-07    | C2        | 150    | e_transfer |
## BankLines
| line_id | account_id | posted_date | amount | description |
| L1      | CHK        | 2026-03-06  | 150    | E-TRANSFER  |
| L2      | CHK        | 2026-03-02  | 150    | E-TRANSFER  |
| L3      | CHK        | 2026-03-11  | 150    | E-TRANSFER  |
""")
    assert pairs(r) == {"L1": ("P2",), "L2": ("P1",)}
    assert set(rules(r).values()) == {"amount-date (best overall)"}


def test_same_day_payments_fill_same_day_lines_whichever_goes_where():
    # three identical payments, two lines that day and one the next: all three deposited
    r = matched("""
## Payments
| payment_id | received_date | client_id | amount | method     |
| P1         | 2026-03-05    | C1        | 150    | e_transfer |
| P2         | 2026-03-05    | C2        | 150    | e_transfer |
| P3         | 2026-03-05    | C1        | 150    | e_transfer |
## BankLines
| line_id | account_id | posted_date | amount | description |
| L1      | CHK        | 2026-03-05  | 150    | E-TRANSFER  |
| L2      | CHK        | 2026-03-05  | 150    | E-TRANSFER  |
| L3      | CHK        | 2026-03-06  | 150    | E-TRANSFER  |
""")
    assert pairs(r) == {"L1": ("P1",), "L2": ("P2",), "L3": ("P3",)}
    assert r.matching.ambiguous == []


def test_cash_and_cheques_are_never_matched_to_an_e_transfer_line():
    r = matched("""
## Payments
| payment_id | received_date | client_id | amount | method     |
| P1         | 2026-03-13    | C1        | 340    | e_transfer |
| P2         | 2026-03-14    | C2        | 340    | cash       |
## BankLines
| line_id | account_id | posted_date | amount | description          |
| L1      | CHK        | 2026-03-16  | 340    | E-TRANSFER FROM ***  |
| L2      | CHK        | 2026-03-20  | 340    | BRANCH DEPOSIT       |
""")
    assert pairs(r) == {"L1": ("P1",), "L2": ("P2",)}
    assert rules(r)["L2"] == "deposit (everything since the last deposit)"


@pytest.mark.parametrize(
    ("text", "channels"),
    [
        ("MOBILE DEPOSIT", ("paper",)),
        ("E-TRANSFER DEPOSIT", ("e_transfer",)),
        ("ZELLE FROM ***", ("zelle",)),
        ("ACH CREDIT", ("ach",)),
        ("STRIPE TRANSFER ST-***", ("electronic",)),
        ("CHECK 1042", ("paper",)),
        ("DEPOSIT", ("paper",)),
        ("", ("paper", "electronic", "e_transfer", "zelle", "ach", "venmo")),
    ],
)
def test_how_money_came_is_read_from_the_masked_description(text, channels):
    assert line_channels(text) == channels


def test_a_deposit_of_several_cash_and_cheque_payments():
    r = matched("""
## Payments
| payment_id | received_date | client_id | amount | method |
| P1         | 2026-03-02    | C1        | 100    | cash   |
| P2         | 2026-03-03    | C2        | 70     | check  |
| P3         | 2026-03-04    | C1        | 55     | check  |
| P4         | 2026-03-09    | C2        | 80     | cash   |
## BankLines
| line_id | account_id | posted_date | amount | description    |
| L1      | CHK        | 2026-03-06  | 225    | BRANCH DEPOSIT |
""")
    assert pairs(r) == {"L1": ("P1", "P2", "P3")}  # P4 came after the deposit


def test_two_sets_adding_up_to_a_deposit_are_a_tie():
    r = matched("""
## Payments
| payment_id | received_date | client_id | amount | method |
| P1         | 2026-03-02    | C1        | 100    | cash   |
| P2         | 2026-03-03    | C2        | 50     | check  |
| P3         | 2026-03-04    | C1        | 50     | check  |
## BankLines
| line_id | account_id | posted_date | amount | description    |
| L1      | CHK        | 2026-03-12  | 150    | BRANCH DEPOSIT |
""")
    assert pairs(r) == {}
    assert r.matching.ambiguous[0].payments == ("P1", "P2", "P3")


STRIPE_BOOK = """
## Payments
| payment_id | received_date | client_id | amount | method | reference | processor_fee |
| P1         | 2026-03-02    | C1        | 150    | card   | ch_1      | 4.65          |
| P2         | 2026-03-02    | C2        | 80     | card   |           |               |
| P3         | 2026-03-03    | C1        | 20     | card   |           |               |
## BankLines
| line_id | account_id | posted_date | amount  | fee  | type    | reference | payout_id | description     |
| S1      | STRIPE     | 2026-03-02  | 150     | 4.65 | payment | ch_1      | po_A      |                 |
| S2      | STRIPE     | 2026-03-02  | 80      | 2.62 | payment | ch_2      | po_A      |                 |
| S4      | STRIPE     | 2026-03-04  | -223.73 |      | payout  |           | po_A      |                 |
| L1      | CHK        | 2026-03-05  | 223.73  |      |         |           |           | STRIPE TRANSFER |
"""


def test_card_payments_to_processor_lines_and_the_payout_to_the_deposit():
    r = matched(STRIPE_BOOK)
    assert pairs(r) == {"S1": ("P1",), "S2": ("P2",), "S4": ("L1",), "L1": ("S4",)}
    assert rules(r)["S1"] == "reference"
    assert rules(r)["L1"] == "payout (one candidate)"
    payments = r.payments.set_index("payment_id")
    assert payments.loc["P1", "deposit_date"] == pd.Timestamp("2026-03-05")
    assert payments.loc["P3", "state"] == "not found"
    updates = r.updates()
    assert updates.payments[3] == {
        "deposit_date": dt.date(2026, 3, 5),
        "payout_id": "po_A",
        "processor_fee": Decimal("2.62"),
        "processor": "stripe",
    }


def test_explain_names_the_rule_and_every_row_joined():
    r = matched(STRIPE_BOOK)
    text = str(r.explain("L1"))
    assert "payout po_A (line S4)" in text
    assert "payment P1: $150.00 from client C1" in text and "Payments!A2" in text
    assert "payment P2: $80.00 from client C2" in text
    with pytest.raises(KeyError):
        r.explain("NOPE")


def test_payout_groups_when_no_processor_statement_holds_the_payments():
    r = matched("""
## Payments
| payment_id | received_date | client_id | amount | method | processor | processor_fee | payout_id |
| P1         | 2026-03-02    | C1        | 150    | card   | square    | 4.20          | D1        |
| P2         | 2026-03-02    | C2        | 80     | card   | square    | 2.62          | D1        |
## BankLines
| line_id | account_id | posted_date | amount | description  |
| L1      | CHK        | 2026-03-03  | 223.18 | SQ DEPOSIT   |
""")
    assert pairs(r) == {"L1": ("P1", "P2")}
    assert rules(r)["L1"].startswith("payout-group")


def test_stored_choices_are_kept_while_they_add_up_and_dropped_when_not():
    text = """
## Payments
| payment_id | received_date | client_id | amount | method     |
| P1         | 2026-03-02    | C1        | 150    | e_transfer |
| P2         | 2026-03-02    | C2        | {p2}   | e_transfer |
## BankLines
| line_id | account_id | posted_date | amount | description | status  | matched_payment_ids | match_rule |
| L1      | CHK        | 2026-03-03  | 150    | E-TRANSFER  | matched | P2                  | chosen     |
"""
    kept = matched(text.format(p2=150), "2026-03-05")
    assert pairs(kept) == {"L1": ("P2",)} and rules(kept)["L1"] == "chosen"
    assert kept.updates().lines == {}
    dropped = matched(text.format(p2=160), "2026-03-05")
    assert pairs(dropped) == {"L1": ("P1",)}
    assert dropped.updates().lines[2]["matched_payment_ids"] == "P1"


def test_not_client_money_and_reconciled_lines_stay_as_they_are():
    r = matched("""
## Payments
| payment_id | received_date | client_id | amount | method     |
| P1         | 2026-03-02    | C1        | 150    | e_transfer |
## BankLines
| line_id | account_id | posted_date | amount | description | status           | matched_payment_ids |
| L1      | CHK        | 2026-03-03  | 150    | E-TRANSFER  | not_client_money |                     |
| L2      | CHK        | 2026-03-04  | 150    | E-TRANSFER  | reconciled       | P1                  |
""")
    assert pairs(r) == {"L2": ("P1",)}
    assert r.updates().lines == {}


def test_findings_say_expected_actual_and_difference():
    r = matched("""
## BankLines
| line_id | account_id | posted_date | amount | status           |
| L1      | CHK        | 2026-03-10  | 100    | not_client_money |
## Assertions
| account_id | date       | expected_balance |
| CHK        | 2026-03-31 | 1150             |
| CHK        | 2026-03-09 | 1000             |
""")
    (failed,) = [i for i in r.issues if i.code.value == "assertion-failed"]
    assert str(failed.where) == "Assertions!C2"
    assert "expected $1,150.00, the lines make $1,100.00, difference $50.00" in failed.message
    assert failed.is_error


def test_undeposited_only_once_the_statements_reach_past_it():
    text = """
## Payments
| payment_id | received_date | client_id | amount | method     |
| P1         | 2026-03-02    | C1        | 150    | e_transfer |
## BankLines
| line_id | account_id | posted_date | amount | status           |
| L1      | CHK        | {day}       | -5     | not_client_money |
"""
    early = matched(text.format(day="2026-03-10"))
    assert "undeposited-payment" not in [c for c, _ in codes(early)]
    late = matched(text.format(day="2026-03-20"))
    assert ("undeposited-payment", "Payments!A2") in codes(late)


def test_a_payout_short_of_its_deposit_is_a_fee_mismatch_on_the_deposit():
    r = matched(
        STRIPE_BOOK.replace(
            "| 223.73  |      |         |           |           | STRIPE",
            "| 223.23  |      |         |           |           | STRIPE",
        )
    )
    found = [i for i in r.issues if i.code.value == "fee-mismatch"]
    assert [str(i.where) for i in found] == ["BankLines!D5"]
    assert "differs by -$0.50 from payout po_A ($223.73)" in found[0].message


# --- properties -----------------------------------------------------------------------------


def random_book(draw):
    """Payments and bank lines of a few amounts and close dates: many near-ties."""
    amounts = (15000, 9000, 4000)
    n = draw(st.integers(1, 14))
    payments, lines = [], []
    methods = ("e_transfer", "zelle", "cash", "check")
    for i in range(n):
        day = draw(st.integers(1, 20))
        amount = draw(st.sampled_from(amounts))
        method = draw(st.sampled_from(methods))
        payments.append(
            (f"P{i:02d}", dt.date(2026, 3, day), f"C{1 + i % 2}", Decimal(amount) / 100, method)
        )
        if draw(st.booleans()):
            lag = draw(st.integers(0, 6))
            text = "BRANCH DEPOSIT" if method in ("cash", "check") else "E-TRANSFER DEPOSIT"
            lines.append(
                (f"L{i:02d}", dt.date(2026, 3, min(day + lag, 28)), Decimal(amount) / 100, text)
            )
    for j in range(draw(st.integers(0, 3))):
        lines.append(
            (
                f"X{j}",
                f"2026-03-{draw(st.integers(1, 28)):02d}",
                draw(st.sampled_from(amounts)) / 100,
                "DEPOSIT",
            )
        )
    return payments, lines


@functools.cache
def base_book():
    book, _ = book_from(HEAD)
    return book


def book_in_order(payments, lines, order):
    """The base book with the payments and lines added in the given row order."""
    from practicebook.core.bank.imports import with_rows

    book = with_rows(
        base_book(),
        "Payments",
        [
            dict(
                zip(
                    ("payment_id", "received_date", "client_id", "amount", "method"),
                    payments[i],
                    strict=True,
                )
            )
            for i in order[0]
        ],
    )
    return with_rows(
        book,
        "BankLines",
        [
            dict(
                zip(("line_id", "posted_date", "amount", "description"), lines[i], strict=True),
                account_id="CHK",
            )
            for i in order[1]
        ],
    )


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_no_line_or_payment_twice_and_the_same_result_in_any_row_order(data):
    payments, lines = random_book(data.draw)
    forward = (list(range(len(payments))), list(range(len(lines))))
    shuffled = (data.draw(st.permutations(forward[0])), data.draw(st.permutations(forward[1])))
    a = bank.match(book_in_order(payments, lines, forward), "2026-03-31")
    b = bank.match(book_in_order(payments, lines, shuffled), "2026-03-31")
    assert pairs(a) == pairs(b)
    assert a.matching.ambiguous == b.matching.ambiguous or sorted(
        map(repr, a.matching.ambiguous)
    ) == sorted(map(repr, b.matching.ambiguous))
    used = [p for m in a.matching.matches.values() for p in m.payments]
    assert len(used) == len(set(used))
    held_lines, held_payments = a.matching.ambiguous_ids()
    assert not held_lines & set(a.matching.matches) and not held_payments & set(used)
    amounts = {p[0]: round(p[3] * 100) for p in payments}
    by_line = {ln[0]: round(ln[2] * 100) for ln in lines}
    for line_id, m in a.matching.matches.items():
        assert sum(amounts[p] for p in m.payments) == by_line[line_id]
    # the statement identity: opening + every line = closing, and what matching leaves
    # unexplained is exactly the difference left to reconcile
    closing = 100_000 + sum(by_line.values())  # CHK opens at 1,000.00 on March 1st
    check = a.statement("CHK", dt.date(2026, 3, 31), closing)
    assert check.opening + check.total == check.closing == closing
    assert check.difference == sum(by_line[x] for x in check.unexplained)
    assert set(check.unexplained) == set(by_line) - set(a.matching.matches)


def test_the_statement_identity_holds_after_matching_a_year(year):
    book, result = year
    assertions = book.frames["Assertions"]
    assert len(assertions) == 11  # one stated balance a month
    assert not [i for i in result.issues if i.code.value == "assertion-failed"]
    for day, expected in zip(
        assertions["date"].dt.date, assertions["expected_balance"], strict=True
    ):
        check = result.statement("CHK", day, int(expected), start=dt.date(2026, 1, 1))
        assert check.opening + check.total == check.closing


@pytest.fixture(scope="module")
def year():
    from tests.bank.support import generated, with_statements

    _, book, statements = generated()
    book = with_statements(book, statements.files)
    return book, bank.match(book, "2026-11-30")


def test_the_generated_year_is_explained_but_for_what_was_planted(year):
    from tests.bank.support import generated

    _, result = year
    _, _, statements = generated()
    planted = statements.planted
    assert sorted(i.code.value for i in result.issues) == [
        "fee-mismatch",
        "stale-reconciliation",
        "unrecorded-receipt",
    ]
    (fee,) = [i for i in result.issues if i.code.value == "fee-mismatch"]
    assert fee.row_id == planted["fee"][0] and f"${planted['fee'][1]}" in fee.message
    (zelle,) = [i for i in result.issues if i.code.value == "unrecorded-receipt"]
    assert f"{planted['zelle'][0].isoformat()}" in zelle.message and "$180.00" in zelle.message
    pair = planted["same_day"]
    lines = [result.matching.payment_line[p] for p in pair]
    assert len(set(lines)) == 2
    payments = result.payments.set_index("payment_id")
    recorded = year[0].frames["Payments"]
    till = recorded[(recorded["kind"] == "refund") & (recorded["method"] == "cash")]
    assert len(till) > 0  # the generator pays cash refunds from the till, never the bank
    assert sorted(payments.index[payments["state"] != "in the bank"]) == sorted(till["payment_id"])
    assert set(payments.loc[list(till["payment_id"]), "state"]) == {"paid out in cash"}
    left = result.lines[result.lines["status"] == "unmatched"]
    assert sorted(left["amount"].astype(str)) == ["-15.00"] * 11 + ["180.00"]


def test_records_read_alike_from_arrow_text_and_from_python_objects():
    """The bank's records are read from Arrow text in bulk; the same cells held as Python
    objects (text padded with spaces, blank text, blanks) read to the same records."""
    import dataclasses

    from practicebook.core.bank.inputs import bank_book

    book, _ = book_from(STRIPE_BOOK)
    as_arrow, as_objects = {}, {}
    for sheet in ("BankLines", "Payments"):
        arrow, objects = book.frames[sheet].copy(), book.frames[sheet].copy()
        for column in arrow.columns:
            if str(arrow[column].dtype) == "str":
                cells = [
                    None if i % 3 == 2 else f" {v} " if isinstance(v, str) else "   "
                    for i, v in enumerate(arrow[column].astype(object))
                ]
                if column.endswith("_id") and column != "payout_id":
                    cells = [f" {v} " for v in arrow[column]]  # IDs are required
                arrow[column] = pd.Series(cells, index=arrow.index, dtype="str")
                objects[column] = pd.Series(cells, index=arrow.index, dtype=object)
        as_arrow[sheet], as_objects[sheet] = arrow, objects
    day = dt.date(2026, 3, 31)
    read_arrow = bank_book(dataclasses.replace(book, frames={**book.frames, **as_arrow}), day)
    read_objects = bank_book(dataclasses.replace(book, frames={**book.frames, **as_objects}), day)
    assert str(as_objects["BankLines"]["type"].dtype) == "object"
    assert str(as_arrow["BankLines"]["type"].dtype) == "str"
    assert read_arrow.lines == read_objects.lines and len(read_arrow.lines) == 4
    assert read_arrow.payments == read_objects.payments and len(read_arrow.payments) == 3
    assert [ln.type for ln in read_arrow.lines] == ["payment", "payment", None, None]
    assert read_arrow.lines[0].line_id == " S1 "  # IDs are read as written


def test_records_are_refused_when_their_columns_do_not_fit_their_fields():
    from practicebook.core.bank.inputs import Payment, _records_of

    with pytest.raises(TypeError, match="Payment has 11 fields, not 2"):
        _records_of(Payment, ["P1"], ["C1"])
