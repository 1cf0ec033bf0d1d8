"""The documents as a therapist issues them: the documented commands, run on a workbook
file, with the figures in the PDFs compared with the core's."""

from __future__ import annotations

from click.testing import CliRunner

import practicebook
from practicebook.frontends.cli import main
from practicebook.l10n import format_money
from practicebook.money import to_minor
from tests.documents.helpers import pdf_lines, pdf_text, write_practice


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def money(amount) -> str:
    return format_money(to_minor(amount, "USD"), "USD", "en_US")


def test_journey_month_end_statements_for_every_client(tmp_path):
    book = write_practice(tmp_path / "practice.xlsx")
    done = run("statement", book, "--all", "--month", "2026-03")
    assert done.exit_code == 0, done.output
    folder = tmp_path / "documents"
    assert "issued ST-00001: " + str(folder / "ST-00001_statement_C1_2026-03.pdf") in done.output
    assert "issued ST-00002: " + str(folder / "ST-00002_statement_C2_2026-03.pdf") in done.output
    loaded, _ = practicebook.load(book)
    rec = practicebook.reconcile(loaded, "2026-03-31")
    for number, client in (("ST-00001", "C1"), ("ST-00002", "C2")):
        text = pdf_text(next(folder.glob(f"{number}_*")).read_bytes())
        lines = rec.explain(client).lines
        lines = lines[lines["date"] >= "2026-03-01"]
        for amount in (*lines["amount"], *lines["balance"]):
            assert money(amount) in text
        closing = rec.balances.set_index("client_id").loc[client, "balance"]
        printed = pdf_lines(next(folder.glob(f"{number}_*")).read_bytes())
        assert printed[printed.index("Amount due") + 1] == money(closing)
    listed = run("documents", book)
    assert listed.exit_code == 0
    assert "ST-00001" in listed.output and "ST-00002" in listed.output
    again = run("statement", book, "--all", "--month", "2026-03")  # nobody gets a second one
    assert again.exit_code == 0
    assert "2 clients have a statement for this period already" in again.output
    assert "no statement to issue" in again.output and "issued" not in again.output
    run("void", book, "ST-00002", "--reason", "address")
    reissued = run("statement", book, "--all", "--month", "2026-03")
    assert "1 client has a statement for this period already" in reissued.output
    assert (
        "issued ST-00003: " + str(folder / "ST-00003_statement_C2_2026-03.pdf") in reissued.output
    )
    single = run("statement", book, "--client", "C1", "--month", "2026-03")  # asked by name
    assert "issued ST-00004" in single.output


def test_journey_invoice_then_void_and_reissue(tmp_path):
    book = write_practice(tmp_path / "practice.xlsx")
    first = run("invoice", book, "--client", "C1", "--session", "S2")
    assert first.exit_code == 0 and "issued INV-00001" in first.output
    twice = run("invoice", book, "--client", "C1", "--session", "S2")
    assert twice.exit_code == 1
    assert "Documents!L2: error: charge S2 is already on invoice INV-00001" in twice.output
    voided = run("void", book, "INV-00001", "--reason", "typo")
    assert voided.exit_code == 0 and "voided INV-00001 (VOID-00001)" in voided.output
    again = run("invoice", book, "--client", "C1", "--session", "S2")
    assert again.exit_code == 0 and "issued INV-00002" in again.output
    listed = run("documents", book).output
    assert "void (VOID-00001)" in listed
    import json

    register = json.loads(run("documents", book, "--format", "json").output)["documents"]
    assert [(d["document_number"], d["total"], d["voided_by"]) for d in register] == [
        ("INV-00001", "150.00", "VOID-00001"),
        ("VOID-00001", None, None),
        ("INV-00002", "150.00", None),
    ]


def test_journey_superbill_is_refused_with_every_missing_field_then_drafted(tmp_path):
    book = write_practice(tmp_path / "practice.xlsx")
    refused = run("superbill", book, "--client", "C2", "--month", "2026-03")
    assert refused.exit_code == 1
    for cell in ("Clients!G3", "Clients!O3", "Clients!Q3", "Clients!S3", "Sessions!E8"):
        assert cell in refused.output, cell
    assert not (tmp_path / "documents").exists() or not list((tmp_path / "documents").glob("SB-*"))
    drafted = run("superbill", book, "--client", "C2", "--month", "2026-03", "--draft")
    assert drafted.exit_code == 0 and "wrote draft (not issued)" in drafted.output
    issued = run("superbill", book, "--client", "C1", "--month", "2026-03")
    assert issued.exit_code == 0 and "issued SB-00001" in issued.output
    text = pdf_text((tmp_path / "documents" / "SB-00001_superbill_C1_2026-03.pdf").read_bytes())
    assert "Mar 2, 2026" in text and "Mar 23, 2026" in text and "Mar 9, 2026" not in text


def test_journey_receipt_and_estimate(tmp_path):
    book = write_practice(tmp_path / "practice.xlsx")
    receipt = run("receipt", book, "--payment", "P3", "--minimal")
    assert receipt.exit_code == 0 and "issued RC-00001" in receipt.output
    text = pdf_text((tmp_path / "documents" / "RC-00001_receipt_C1_P3.pdf").read_bytes())
    assert "$300.00" in text and "$175.00" in text and "Ada" not in text
    estimate = run(
        "estimate",
        book,
        "--client",
        "C2",
        "--from",
        "2026-04-01",
        "--to",
        "2026-06-30",
        "--service",
        "90834",
        "--frequency",
        "weekly",
    )
    assert estimate.exit_code == 0 and "issued GFE-00001" in estimate.output
    text = pdf_text(next((tmp_path / "documents").glob("GFE-00001_*")).read_bytes())
    assert "$1,560.00" in text  # 13 weekly sessions at C2's own rate, $120.00


def test_journey_an_old_workbook_is_upgraded_then_issues(tmp_path):
    from tests.documents.test_upgrade import version_1_book

    book = version_1_book(tmp_path / "old.xlsx")
    refused = run("statement", book, "--client", "C1", "--month", "2026-03")
    assert refused.exit_code == 1 and "practicebook upgrade" in refused.output
    upgraded = run("upgrade", book)
    assert upgraded.exit_code == 0
    assert "added sheets: Diagnoses, Documents" in upgraded.output
    assert "now records schema 2" in upgraded.output
    assert "is up to date" in run("upgrade", book).output
    issued = run("statement", book, "--client", "C1", "--month", "2026-03")
    assert issued.exit_code == 0 and "issued ST-00001" in issued.output


def test_journey_mistakes_get_one_line(tmp_path):
    book = write_practice(tmp_path / "practice.xlsx")
    unknown = run("receipt", book, "--payment", "P404")
    assert unknown.exit_code == 2 and "P404" in unknown.output and "Traceback" not in unknown.output
    client = run("statement", book, "--client", "C9", "--month", "2026-03")
    assert client.exit_code == 2 and "C9" in client.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    broken = run("statement", bad, "--client", "C1", "--month", "2026-03")
    assert broken.exit_code == 2 and len(broken.output.strip().splitlines()) == 1
    usage = run("statement", book, "--client", "C1")
    assert usage.exit_code == 2
