"""``practicebook reconcile`` and ``practicebook explain`` from the command line."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from practicebook.frontends.cli import main
from practicebook.workbook.template import write_workbook


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def small_book(tmp_path, locale="en_US", currency="USD"):
    path = tmp_path / "small.xlsx"
    write_workbook(
        path,
        {
            "Clients": [{"client_id": "C1", "first_name": "Ada", "last_name": "Example"}],
            "Services": [{"service_code": "90834", "description": "Therapy", "base_fee": 1500}],
            "Policies": [{"policy_id": "P1", "notice_hours": 24}],
            "Sessions": [
                {
                    "session_id": "S1",
                    "client_id": "C1",
                    "service_code": "90834",
                    "scheduled_start": "2026-03-02 10:00",
                    "status": "attended",
                }
            ],
            "Payments": [
                {
                    "payment_id": "P1",
                    "received_date": "2026-03-03",
                    "client_id": "C1",
                    "amount": 1000,
                    "method": "card",
                }
            ],
        },
        settings={"locale": locale, "currency": currency, "default_policy_id": "P1"},
    )
    return path


def test_reconcile_text_shows_balances_aging_in_the_workbook_locale(tmp_path):
    result = run("reconcile", small_book(tmp_path, "de_DE", "EUR"), "--as-of", "2026-03-31")
    assert result.exit_code == 0, result.output
    assert "Balances" in result.output and "Aging" in result.output
    assert "1.500,00\xa0€" in result.output and "500,00\xa0€" in result.output
    assert "31.03.2026" in result.output


def test_reconcile_json_and_exit_codes(tmp_path, damaged_book):
    result = run("reconcile", small_book(tmp_path), "--as-of", "2026-03-31", "--format", "json")
    data = json.loads(result.output)
    assert result.exit_code == 0
    assert data["balances"][0]["balance"] == "500.00"
    assert data["aging"][0]["1-30"] == "500.00"
    damaged = run("reconcile", damaged_book, "--as-of", "2026-11-25", "--format", "json")
    assert damaged.exit_code == 1  # the workbook's own errors count
    codes = {f["code"] for f in json.loads(damaged.output)["flags"]}
    assert {"unknown-client", "bad-date"} <= codes
    assert json.loads(damaged.output)["totals"]["flags"]["error"] >= 10


def test_reconcile_of_an_unusable_file_exits_2(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")
    result = run("reconcile", junk)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_explain_prints_each_line_with_its_row(tmp_path):
    book = small_book(tmp_path)
    result = run("explain", book, "C1", "--as-of", "2026-03-31")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.search(r"Mar 2, 2026\s+S1\s+\$1,500\.00\s+\$1,500\.00\s+Sessions!A2", lines[2])
    assert "payment card → S1 $1,000.00" in lines[3]
    assert run("explain", book, "C404").exit_code == 2
