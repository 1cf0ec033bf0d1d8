"""Reading statement files: every format, its amounts and days to the cent, the columns
that can name a client never read, and damaged or hostile files refused with one issue."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from practicebook.parse.statements import (
    detect_format,
    mask_description,
    parse_mapping,
    read_statement,
)

D = dt.date


def lines(statement):
    return [
        (ln.posted, ln.amount, ln.fee, ln.type, ln.external_id, ln.payout_id)
        for ln in statement.lines
    ]


# --- a bank's CSV --------------------------------------------------------------------------


def test_bank_csv_with_usual_headers_preamble_and_running_balance():
    text = (
        b"Account,Everyday Checking\n"
        b"\n"
        b"Date,Description,Amount,Balance\n"
        b'03/01/2026,ZELLE FROM ADA EXAMPLE,150.00,"1,150.00"\n'
        b'03/02/2026,MOBILE DEPOSIT,"1,200.50","2,350.50"\n'
        b'03/15/2026,CHECK 1042,-20.00,"2,330.50"\n'
    )
    s = read_statement(text, "march.csv")
    assert s.ok and s.format == "csv"
    assert [(ln.posted, ln.amount) for ln in s.lines] == [
        (D(2026, 3, 1), 15000),
        (D(2026, 3, 2), 120050),
        (D(2026, 3, 15), -2000),
    ]
    assert [ln.description for ln in s.lines] == ["ZELLE FROM ***", "MOBILE DEPOSIT", "CHECK 1042"]
    assert [(b.date, b.amount) for b in s.balances] == [(D(2026, 3, 15), 233050)]
    assert s.mapping == "date=Date; description=Description; amount=Amount; balance=Balance"


def test_bank_csv_newest_first_takes_the_first_row_balance():
    text = b"Date,Description,Amount,Balance\n2026-03-15,FEE,-5.00,95.00\n2026-03-01,DEPOSIT,100.00,100.00\n"
    s = read_statement(text, "x.csv")
    assert [(b.date, b.amount) for b in s.balances] == [(D(2026, 3, 15), 9500)]


def test_bank_csv_debit_credit_columns_comma_decimals_and_day_first():
    text = (
        "Buchungstag;Text;Soll;Haben\n"
        "25.03.2026;UEBERWEISUNG;;1.234,50\n"
        "26.03.2026;GEBUEHR;12,00;\n"
    ).encode("cp1252")
    mapping = parse_mapping(
        "date=Buchungstag; description=Text; debit=Soll; credit=Haben; decimal=,"
    )
    s = read_statement(text, "konto.csv", mapping=mapping, locale="de_DE", currency="EUR")
    assert s.ok
    assert [(ln.posted, ln.amount) for ln in s.lines] == [
        (D(2026, 3, 25), 123450),
        (D(2026, 3, 26), -1200),
    ]


def test_a_day_column_is_read_in_the_order_it_shows():
    text = b"Date,Description,Amount\n03/04/2026,A,1.00\n25/04/2026,B,2.00\n"
    s = read_statement(text, "x.csv", date_order="MDY")
    assert [ln.posted for ln in s.lines] == [D(2026, 4, 3), D(2026, 4, 25)]


def test_days_with_a_time_read_as_their_day_and_a_bad_one_is_named_whole():
    from practicebook.parse.statements.text import DayReader, TextProblem

    read = DayReader("MDY").day
    assert [read(t) for t in ("2026-03-04 23:59:59", "2026-03-04T00:00:01", "2026-03-04")] == [
        D(2026, 3, 4)
    ] * 3
    assert read("2026-03-05 00:00") == D(2026, 3, 5)
    with pytest.raises(TextProblem, match="'2026-13-04 10:00' is not a day"):
        read("2026-13-04 10:00")


def test_invert_reads_a_card_account_that_writes_purchases_positive():
    text = b"Date,Amount\n2026-03-01,45.00\n"
    s = read_statement(
        text, "card.csv", mapping=parse_mapping("date=Date; amount=Amount; invert=yes")
    )
    assert [ln.amount for ln in s.lines] == [-4500]


def test_unrecognised_columns_ask_for_a_mapping():
    s = read_statement(b"When,What,How much\n2026-03-01,x,1\n", "odd.csv")
    assert not s.ok and s.unreadable
    assert "--mapping" in s.issues[0].hint


def test_a_bad_amount_is_reported_at_its_cell_and_nothing_is_read_around_it():
    s = read_statement(b"Date,Description,Amount\n2026-03-01,X,12..5\n", "x.csv")
    assert not s.ok
    (issue,) = s.issues
    assert str(issue.where) == "'x.csv'!C2" and issue.code.value == "bad-money"


@pytest.mark.parametrize(
    "text",
    ["date=Date", "date=Date; amount=A; colour=red", "amount=A", "date=D; amount=A; decimal=;"],
)
def test_a_mapping_that_cannot_be_used_says_why(text):
    from practicebook.parse.statements import MappingProblem

    with pytest.raises(MappingProblem):
        parse_mapping(text)


# --- OFX and CAMT --------------------------------------------------------------------------

OFX_SGML = b"""OFXHEADER:100
DATA:OFXSGML
VERSION:102
CHARSET:1252

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS></SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STMTRS><CURDEF>USD
<BANKACCTFROM><BANKID>021000021<ACCTID>000123<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20260301<DTEND>20260331
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20260304120000.000[-5:EST]<TRNAMT>150.00<FITID>2026030401
<NAME>ZELLE FROM ADA &amp; BO<MEMO>for March</STMTTRN>
<STMTTRN><TRNTYPE>CHECK<DTPOSTED>20260305<TRNAMT>-20,00<FITID>2026030502<CHECKNUM>1042</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>1130.00<DTASOF>20260331</LEDGERBAL></STMTRS></STMTTRNRS>
</BANKMSGSRSV1></OFX>
"""

OFX_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<?OFX OFXHEADER="200" VERSION="220"?>
<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>CAD</CURDEF>
<BANKACCTFROM><ACCTID>9</ACCTID></BANKACCTFROM><BANKTRANLIST>
<STMTTRN><TRNTYPE>DEP</TRNTYPE><DTPOSTED>20260304</DTPOSTED><TRNAMT>150.00</TRNAMT><FITID>A1</FITID><NAME></NAME></STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>-10.50</BALAMT><DTASOF>20260331083000</DTASOF></LEDGERBAL>
</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"""


def test_ofx_sgml():
    s = read_statement(OFX_SGML, "march.qfx")
    assert s.ok and s.format == "ofx" and s.currency == "USD"
    assert lines(s) == [
        (D(2026, 3, 4), 15000, 0, None, "2026030401", None),
        (D(2026, 3, 5), -2000, 0, None, "2026030502", None),
    ]
    assert s.lines[0].description == "CREDIT ZELLE FROM ***"
    assert s.lines[1].reference == ("1042",)
    assert [(b.date, b.amount) for b in s.balances] == [(D(2026, 3, 31), 113000)]


def test_ofx_xml():
    s = read_statement(OFX_XML, "march.ofx")
    assert s.ok and s.currency == "CAD"
    assert lines(s) == [(D(2026, 3, 4), 15000, 0, None, "A1", None)]
    assert [(b.date, b.amount) for b in s.balances] == [(D(2026, 3, 31), -1050)]


def test_ofx_of_two_accounts_is_refused():
    two = OFX_XML.replace(
        b"</STMTRS></STMTTRNRS>",
        b"</STMTRS><STMTRS><BANKACCTFROM><ACCTID>8</ACCTID></BANKACCTFROM></STMTRS></STMTTRNRS>",
    )
    s = read_statement(two, "two.ofx")
    assert s.unreadable and "2 accounts" in s.issues[0].message


@pytest.mark.parametrize(
    "hostile",
    [
        b'<?xml version="1.0"?><!DOCTYPE OFX [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<OFX><STMTRS><STMTTRN><DTPOSTED>20260301<TRNAMT>1.00<NAME>&b;</STMTTRN></STMTRS></OFX>",
        b"OFXHEADER:100\n<OFX>" + b"<A>" * 5000 + b"</OFX>",
        b"OFXHEADER:100\n<OFX><STMTRS><STMTTRN><DTPOSTED>yesterday<TRNAMT>lots</STMTTRN></STMTRS></OFX>",
    ],
    ids=["entities", "deep", "garbage-values"],
)
def test_hostile_ofx_reads_as_nothing_worse_than_issues(hostile):
    s = read_statement(hostile, "evil.ofx")
    assert not s.ok or all(ln.description.count("a") < 20 for ln in s.lines)
    assert all(len(i.message) < 300 for i in s.issues)


CAMT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">230.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-31</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">150.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-04</Dt></BookgDt>
<AcctSvcrRef>REF-1</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>E2E-9</EndToEndId></Refs>
<RltdPties><Dbtr><Nm>Ada Example</Nm></Dbtr></RltdPties><RmtInf><Ustrd>Therapy Ada Example</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">20.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-05</Dt></BookgDt><NtryRef>N-2</NtryRef></Ntry>
<Ntry><Amt Ccy="EUR">99.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts><BookgDt><Dt>2026-03-06</Dt></BookgDt></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def test_camt053_booked_entries_and_closing_balance():
    s = read_statement(CAMT, "march.xml", currency="EUR")
    assert s.ok and s.format == "camt" and s.currency == "EUR"
    assert lines(s) == [
        (D(2026, 3, 4), 15000, 0, None, "REF-1", None),
        (D(2026, 3, 5), -2000, 0, None, "N-2", None),
    ]
    assert s.lines[0].reference == ("E2E-9",)
    assert "Ada" not in repr(s) and "Example" not in repr(s)
    assert [(b.date, b.amount) for b in s.balances] == [(D(2026, 3, 31), 23000)]


def test_camt_with_a_dtd_is_refused():
    evil = CAMT.replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]>',
    )
    s = read_statement(evil, "evil.xml")
    assert s.unreadable


# --- processors ----------------------------------------------------------------------------

STRIPE = b"""balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,charge_id,payment_intent_id,customer_name,customer_email,description,automatic_payout_id,automatic_payout_effective_at_utc
txn_1,2026-03-02 10:00:00,usd,150.00,4.65,145.35,charge,ch_1,pi_1,Ada Example,ada@example.invalid,Therapy for Ada,po_A,2026-03-04 00:00:00
txn_2,2026-03-02 11:00:00,usd,80.00,2.62,77.38,charge,ch_2,,Bo Example,bo@example.invalid,,po_A,2026-03-04 00:00:00
txn_3,2026-03-03 09:00:00,usd,-20.00,0.00,-20.00,refund,ch_1,pi_1,Ada Example,,,po_A,2026-03-04 00:00:00
txn_4,2026-03-03 09:30:00,usd,-2.00,0.00,-2.00,fee,,,,,Radar,po_A,2026-03-04 00:00:00
txn_5,2026-03-05 09:30:00,usd,60.00,2.04,57.96,charge,ch_5,,Cy Example,,,,
"""


def test_stripe_itemized_payout_report():
    s = read_statement(STRIPE, "stripe.csv")
    assert s.ok and s.format == "stripe" and s.processor == "stripe" and s.currency == "USD"
    assert lines(s) == [
        (D(2026, 3, 2), 15000, 465, "payment", "txn_1", "po_A"),
        (D(2026, 3, 2), 8000, 262, "payment", "txn_2", "po_A"),
        (D(2026, 3, 3), -2000, 0, "refund", "txn_3", "po_A"),
        (D(2026, 3, 3), 0, 200, "fee", "txn_4", "po_A"),
        (D(2026, 3, 5), 6000, 204, "payment", "txn_5", None),
        # the payout: -(145.35 + 77.38 - 20.00 - 2.00), on its effective day
        (D(2026, 3, 4), -20073, 0, "payout", "po_A", "po_A"),
    ]
    assert s.lines[0].reference == ("ch_1", "pi_1")
    text = repr(s)
    for personal in ("Ada", "Example", "example.invalid", "Therapy"):
        assert personal not in text


SQUARE = b"""Date,Time,Time Zone,Gross Sales,Tip,Total Collected,Cash,Fees,Net Total,Transaction ID,Payment ID,Event Type,Customer Name,Deposit ID,Deposit Date
2026-03-02,10:00:00,Eastern,$150.00,$0.00,$150.00,$0.00,-$4.20,$145.80,T1,P1,Payment,Ada Example,D1,2026-03-03
2026-03-02,11:00:00,Eastern,$40.00,$0.00,$40.00,$40.00,$0.00,$40.00,T2,P2,Payment,Bo Example,,
2026-03-02,12:00:00,Eastern,$90.00,$10.00,$100.00,$0.00,($2.90),$97.10,T3,P3,Payment,Cy Example,D1,2026-03-03
2026-03-03,09:00:00,Eastern,-$50.00,$0.00,-$50.00,$0.00,$1.40,-$48.60,T1,R1,Refund,Ada Example,D2,2026-03-04
"""


def test_square_transactions_fees_negative_cash_left_out_deposits_made():
    s = read_statement(SQUARE, "square.csv")
    assert s.ok and s.format == "square"
    assert [(ln.posted, ln.amount, ln.fee, ln.type, ln.payout_id) for ln in s.lines] == [
        (D(2026, 3, 2), 15000, 420, "payment", "D1"),
        (D(2026, 3, 2), 10000, 290, "payment", "D1"),
        (D(2026, 3, 3), -5000, -140, "refund", "D2"),
        (D(2026, 3, 3), -(14580 + 9710), 0, "payout", "D1"),
        (D(2026, 3, 4), 4860, 0, "payout", "D2"),
    ]
    assert "Example" not in repr(s)


PAYPAL = b""""Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","From Email Address","To Email Address","Transaction ID","Reference Txn ID","Balance","Balance Impact"
"03/02/2026","10:00:00","EST","Ada Example","Express Checkout Payment","Completed","USD","150.00","-4.79","145.21","ada@example.invalid","p@example.invalid","1AB","","145.21","Credit"
"03/02/2026","10:05:00","EST","Ada Example","General Authorization","Pending","USD","5.00","0.00","5.00","","","1AC","","145.21","Memo"
"03/03/2026","09:00:00","EST","Ada Example","Payment Refund","Completed","USD","-20.00","0.64","-19.36","","","1AD","1AB","125.85","Debit"
"03/04/2026","09:00:00","EST","","General Withdrawal","Completed","USD","-125.85","0.00","-125.85","","","1AE","","0.00","Debit"
"03/05/2026","09:00:00","EST","Bo","Express Checkout Payment","Completed","EUR","10.00","-0.50","9.50","","","1AF","","0.00","Credit"
"""


def test_paypal_activity():
    s = read_statement(PAYPAL, "paypal.csv")
    assert s.format == "paypal" and s.ok
    assert lines(s) == [
        (D(2026, 3, 2), 15000, 479, "payment", "1AB", None),
        (D(2026, 3, 3), -2000, -64, "refund", "1AD", None),
        (D(2026, 3, 4), -12585, 0, "payout", "1AE", "1AE"),
    ]
    assert [(b.date, b.amount) for b in s.balances] == [(D(2026, 3, 4), 0)]
    assert any("EUR line is left out" in i.message for i in s.issues)
    assert "Example" not in repr(s.lines) and "example.invalid" not in repr(s)


# --- recognising and refusing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (OFX_SGML, "ofx"),
        (OFX_XML, "ofx"),
        (CAMT, "camt"),
        (STRIPE, "stripe"),
        (SQUARE, "square"),
        (PAYPAL, "paypal"),
        (b"Date,Amount\n2026-03-01,1\n", "csv"),
    ],
)
def test_formats_are_recognised_by_content(data, fmt):
    assert detect_format(data.decode("utf-8")) == fmt


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04\x00\x00binary", b"%PDF-1.7\n\x00\x00", b"", b"\xff\xfe\x00A\x00B"],
    ids=["zip", "pdf", "empty", "utf16"],
)
def test_what_is_not_a_statement_is_one_clear_issue(data):
    s = read_statement(data, "not-a-statement.csv")
    assert not s.ok and not s.lines
    assert len([i for i in s.issues if i.is_error]) == 1


def test_a_file_over_the_limit_is_refused_unread(monkeypatch):
    from practicebook.parse import statements

    monkeypatch.setattr(statements, "MAX_BYTES", 10)
    s = statements.read_statement(b"Date,Amount\n2026-03-01,1\n", "big.csv")
    assert s.unreadable and "at most" in s.issues[0].message


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ZELLE FROM ADA EXAMPLE 8841", "ZELLE FROM *** 8841"),
        ("E-TRANSFER ada@example.invalid", "E-TRANSFER ***"),
        ("Interac e-Transfer From: Ada / Example", "INTERAC E-TRANSFER FROM : ***"),
        ("STRIPE PAYOUT po_1QxAbCdE", "STRIPE PAYOUT po_1QxAbCdE"),
        ("MONTHLY SERVICE FEE", "MONTHLY SERVICE FEE"),
        ("Venmo 5551234567", "VENMO ***"),
    ],
)
def test_descriptions_keep_the_kind_of_line_and_nothing_that_names_anyone(text, masked):
    assert mask_description(text) == masked


@given(
    whole=st.integers(min_value=0, max_value=10**13 - 1),
    fraction=st.text(alphabet="0123456789", max_size=3),
    negative=st.booleans(),
    currency=st.sampled_from(["USD", "JPY", "BHD", "CLF"]),
)
def test_plain_amounts_read_as_decimal_reads_them(whole, fraction, negative, currency):
    """The reader's shortcut for plain amounts (and amounts grouped by thousands) agrees
    with Decimal, the largest amount included: an amount is the same cent either way."""
    from decimal import Decimal

    from practicebook.money import digits, to_minor, within_limit
    from practicebook.parse.statements.text import AmountReader, TextProblem

    places = digits(currency)
    cents = f".{fraction[:places]}" if fraction[:places] else ""
    text = ("-" if negative else "") + str(whole) + cents
    grouped = ("-" if negative else "") + f"{whole:,}" + cents  # 1,234.56 in en_US
    value = Decimal(text)
    for written in {text, grouped}:
        reader = AmountReader(currency, "en_US")
        if within_limit(value, currency):
            assert reader.minor(written) == to_minor(value, currency)
        else:
            with pytest.raises(TextProblem, match="larger than an amount can be"):
                reader.minor(written)


def test_a_day_with_a_time_is_read_the_same_whatever_was_read_before():
    from practicebook.parse.statements.text import DayReader, TextProblem

    read = DayReader("MDY").day
    assert read("2026-03-01 10:00") == D(2026, 3, 1)
    with pytest.raises(TextProblem):
        read("2026-03-01 10:00\nnote")  # a second line is not a time of day
    assert read("2026-03-01 23:59 ") == D(2026, 3, 1)
