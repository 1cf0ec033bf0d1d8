"""Batch reconciliation over a folder of generated workbooks, some of them broken."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import practicebook
from practicebook.batch import batch, expand_paths, is_total, summarise_workbook
from practicebook.core.reconcile import reconcile
from practicebook.errors import MissingDependency, PracticebookError
from practicebook.frontends.cli import main
from practicebook.generate import generate
from practicebook.money import from_minor

AS_OF = "2026-06-30"
#: Generated practices (120 sessions) by seed: 1 and 3 are clean, 0 has one warning.
CLEAN_SEEDS, WARNING_SEED = (1, 3), 0


def _zip_bomb(src: Path, dst: Path) -> Path:
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(b"</sheetData>", row * 300_000 + b"</sheetData>")
            zout.writestr(info.filename, data)
    return dst


def _encrypted(src: Path, dst: Path, password: str) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with src.open("rb") as plain, dst.open("wb") as out:
        OOXMLFile(plain).encrypt(password, out)
    return dst


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    """Four readable practices (one in a subfolder, one with planted problems) and four
    files practicebook must refuse: not a zip, truncated, a zip bomb, encrypted."""
    root = tmp_path_factory.mktemp("fleet")
    (root / "north").mkdir()
    generate(120, seed=1).write(root / "a-clean.xlsx")
    generate(120, seed=3).write(root / "north" / "b-clean.xlsx")
    generate(120, seed=WARNING_SEED).write(root / "c-warning.xlsx")
    generate(120, seed=5, problems=True).write(root / "d-problems.xlsx")
    (root / "e-notzip.xlsx").write_text("client,amount\nC1,150\n")
    data = (root / "a-clean.xlsx").read_bytes()
    (root / "f-truncated.xlsx").write_bytes(data[: len(data) // 2])
    _zip_bomb(root / "a-clean.xlsx", root / "g-bomb.xlsx")
    _encrypted(root / "a-clean.xlsx", root / "h-locked.xlsx", "s3cret")
    (root / "notes.txt").write_text("not a workbook")
    (root / "~$a-clean.xlsx").write_bytes(b"lock file")
    return root


@pytest.fixture(scope="module")
def summary(fleet):
    return batch(fleet, as_of=AS_OF)


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _row(frame, name):
    rows = frame[frame["file"].fillna("").str.endswith(name)]
    assert len(rows) == 1, name
    return rows.iloc[0]


def test_paths_are_files_folders_and_globs(fleet):
    found = [p.name for p in expand_paths([fleet])]
    assert found == [
        "a-clean.xlsx",
        "c-warning.xlsx",
        "d-problems.xlsx",
        "e-notzip.xlsx",
        "f-truncated.xlsx",
        "g-bomb.xlsx",
        "h-locked.xlsx",
        "b-clean.xlsx",
    ]
    assert [p.name for p in expand_paths([str(fleet / "**" / "*-clean.xlsx")])] == [
        "a-clean.xlsx",
        "b-clean.xlsx",
    ]
    both = expand_paths([fleet / "a-clean.xlsx", str(fleet / "*.xlsx"), fleet / "absent.xlsx"])
    assert both[0].name == "a-clean.xlsx" and both[-1].name == "absent.xlsx"
    assert len(both) == len(set(both)) == 8  # seven top-level workbooks + the absent name


def test_one_row_per_workbook_then_totals(summary, fleet):
    assert len(summary) == 9
    assert is_total(summary).tolist() == [False] * 8 + [True]
    assert summary["status"].tolist() == [
        "ok",
        "issues",
        "issues",
        "unreadable",
        "unreadable",
        "unreadable",
        "unreadable",
        "ok",
        "issues",
    ]
    total = summary.iloc[-1]
    assert total["practice"] == "TOTAL (4 workbooks)" and total["currency"] == "USD"


def test_broken_and_hostile_files_are_reported_with_their_reason(summary):
    reasons = {
        name: _row(summary, name)["reason"]
        for name in ("e-notzip.xlsx", "f-truncated.xlsx", "g-bomb.xlsx", "h-locked.xlsx")
    }
    assert "not a zip" in reasons["e-notzip.xlsx"]
    assert "damaged or truncated" in reasons["f-truncated.xlsx"]
    assert "zip bomb" in reasons["g-bomb.xlsx"]
    assert "password-protected" in reasons["h-locked.xlsx"]
    assert _row(summary, "e-notzip.xlsx")["practice"] is None
    assert _row(summary, "e-notzip.xlsx")["clients"] is None


@pytest.mark.parametrize(
    "name", ["a-clean.xlsx", "b-clean.xlsx", "c-warning.xlsx", "d-problems.xlsx"]
)
def test_each_row_agrees_with_reconcile_run_directly(summary, fleet, name):
    path = next(fleet.rglob(name))
    book, issues = practicebook.load(path)
    rec = reconcile(book, as_of=AS_OF)
    row = _row(summary, name)

    def money(minor):
        return from_minor(int(minor), "USD")

    assert row["practice"] == book.settings.practice_name
    assert (row["clients"], row["sessions"]) == (len(book.clients), len(book.sessions))
    for column in ("charges", "payments", "refunds", "adjustments", "balance", "credit"):
        assert row[column] == money(rec.balances[column].sum()), column
    for bucket in ("current", "1-30", "31-60", "61-90", "91-120", "120+"):
        assert row[f"ar_{bucket}"] == money(rec.aging[bucket].sum()), bucket
    assert row["ar_total"] - row["credit"] == row["balance"]
    kinds = rec.charges["kind"]
    assert row["late_cancel_charged"] == (kinds == "late_cancel_fee").sum()
    assert row["no_show_fees"] == money(rec.charges.loc[kinds == "no_show_fee", "amount"].sum())
    codes = [i.code.value for i in issues] + rec.flags["code"].tolist()
    for code in set(codes):
        assert row[f"flag_{code}"] == codes.count(code), code
    errors = sum(i.is_error for i in issues) + (rec.flags["severity"] == "error").sum()
    assert row["errors"] == errors
    assert row["status"] == ("issues" if row["errors"] or row["warnings"] else "ok")


def test_waived_counts_cancellations_without_a_fee(summary, fleet):
    book, _ = practicebook.load(fleet / "c-warning.xlsx")
    log = reconcile(book, as_of=AS_OF).cancellations
    late = log[log["fee_code"] == "LATECXL"]
    row = _row(summary, "c-warning.xlsx")
    assert row["late_cancel_waived"] == (late["fee"] == 0).sum() > 0
    assert row["late_cancel_charged"] + row["late_cancel_waived"] == len(late)


def test_totals_add_up_the_readable_rows(summary):
    rows, total = summary[~is_total(summary)], summary.iloc[-1]
    readable = rows[rows["status"] != "unreadable"]
    assert total["balance"] == sum(readable["balance"], Decimal(0))
    assert total["ar_1-30"] == sum(readable["ar_1-30"], Decimal(0))
    assert total["clients"] == readable["clients"].sum() == 32
    assert total["flag_grace-applied"] == readable["flag_grace-applied"].sum()
    assert isinstance(total["balance"], Decimal)


def test_the_password_opens_protected_workbooks(fleet):
    frame = batch([fleet / "h-locked.xlsx", fleet / "a-clean.xlsx"], as_of=AS_OF, password="s3cret")
    assert frame["status"].tolist() == ["ok", "ok", "ok"]
    assert frame.iloc[0]["balance"] == frame.iloc[1]["balance"]


def test_inputs_are_never_modified(fleet):
    before = _digest(fleet)
    batch(fleet, as_of=AS_OF)
    assert _digest(fleet) == before


def test_the_task_returns_plain_data_and_never_raises(fleet):
    result = summarise_workbook(str(fleet / "f-truncated.xlsx"), AS_OF)
    assert result == {
        "file": str(fleet / "f-truncated.xlsx"),
        "practice": None,
        "status": "unreadable",
        "reason": result["reason"],
    }
    assert summarise_workbook(str(fleet / "absent.xlsx"))["reason"] == "no such file"


def test_process_pool_gives_the_serial_result(fleet, summary):
    pooled = batch(fleet, as_of=AS_OF, jobs=2)
    assert pooled.equals(summary)


def test_results_are_reported_as_each_workbook_finishes(fleet):
    seen = []
    batch(fleet / "north", as_of=AS_OF, on_result=seen.append)
    assert [s["status"] for s in seen] == ["ok"]


def test_dask_local_cluster_gives_the_serial_result(fleet, summary):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        on_dask = batch(fleet, as_of=AS_OF, scheduler=cluster.scheduler_address)
    assert on_dask.equals(summary)


@pytest.mark.slow
def test_dask_scheduler_starts_its_own_local_cluster(fleet, summary):
    pytest.importorskip("dask.distributed")
    assert batch(fleet, as_of=AS_OF, jobs=2, scheduler="dask").equals(summary)


def test_dask_without_the_extra_says_how_to_install_it(fleet, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(MissingDependency, match="batch"):
        batch(fleet / "north", scheduler="dask")


def test_usage_errors(tmp_path, fleet):
    with pytest.raises(PracticebookError, match="no workbooks"):
        batch(str(tmp_path / "*.xlsx"))
    with pytest.raises(PracticebookError, match="scheduler"):
        batch(fleet / "north", scheduler="udp://nowhere")


# --- the command ----------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(main, ["batch", *map(str, args)])


def test_exit_0_when_every_workbook_is_clean(fleet):
    result = run(fleet / "a-clean.xlsx", fleet / "north", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "reconciling" not in result.output and "\x1b[" not in result.output
    lines = [line.split("\t") for line in result.output.splitlines()]
    assert lines[0][:3] == ["file", "practice", "status"]
    assert [Path(line[0]).name for line in lines[1:]] == ["a-clean.xlsx", "b-clean.xlsx", ""]
    assert lines[-1][1] == "TOTAL (2 workbooks)"


def test_exit_1_for_unreadable_or_errors_and_fail_on_warning(fleet):
    assert run(fleet, "--as-of", AS_OF).exit_code == 1
    assert run(fleet / "d-problems.xlsx", "--as-of", AS_OF).exit_code == 1
    warned = fleet / "c-warning.xlsx"
    assert run(warned, "--as-of", AS_OF).exit_code == 0
    assert run(warned, "--as-of", AS_OF, "--fail-on", "warning").exit_code == 1


def test_exit_2_when_nothing_is_readable_or_usage_is_wrong(fleet, tmp_path):
    assert run(fleet / "e-notzip.xlsx", fleet / "g-bomb.xlsx").exit_code == 2
    assert run(tmp_path / "*.xlsx").exit_code == 2
    assert run(fleet / "north", "--out", tmp_path / "s.txt").exit_code == 2
    assert run(fleet / "north", "--as-of", "June").exit_code == 2
    assert run(fleet / "north", "--jobs", "0").exit_code == 2
    before = _digest(fleet)
    assert run(fleet / "north", "--out", fleet / "north" / "b-clean.xlsx").exit_code == 2
    assert _digest(fleet) == before


def test_json_output(fleet):
    result = run(fleet, "--as-of", AS_OF, "--format", "json")
    doc = json.loads(result.output)
    assert result.exit_code == doc["exit_code"] == 1
    assert len(doc["workbooks"]) == 8 and len(doc["totals"]) == 1
    clean = next(w for w in doc["workbooks"] if w["file"].endswith("a-clean.xlsx"))
    direct = summarise_workbook(str(fleet / "a-clean.xlsx"), AS_OF)
    assert clean["balance"] == str(direct["balance"])
    assert clean["status"] == "ok" and clean["as_of"] == AS_OF


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A practice whose name a spreadsheet would run as a formula."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.xlsx"
    practice = generate(60, seed=1)
    practice.settings["practice_name"] = '=HYPERLINK("http://example.invalid","x")'
    practice.write(path)
    return path


def test_csv_out_defuses_formula_text(hostile, tmp_path):
    out = tmp_path / "summary.csv"
    assert run(hostile, "--as-of", AS_OF, "--out", out).exit_code == 0
    with out.open(encoding="utf-8", newline="") as text:
        rows = list(csv.DictReader(text))
    assert rows[0]["practice"] == '\'=HYPERLINK("http://example.invalid","x")'
    assert rows[0]["balance"] == str(summarise_workbook(str(hostile), AS_OF)["balance"])
    assert rows[1]["practice"] == "TOTAL (1 workbook)"


def test_xlsx_out_is_values_and_text_never_formulas(hostile, fleet, tmp_path):
    out = tmp_path / "summary.xlsx"
    run(hostile, fleet / "north", fleet / "e-notzip.xlsx", "--as-of", AS_OF, "--out", out)
    sheet = openpyxl.load_workbook(out)["Summary"]
    header = [c.value for c in sheet[1]]
    practice = sheet.cell(2, header.index("practice") + 1)
    assert practice.data_type == "s" and practice.value.startswith("=HYPERLINK")
    balance = sheet.cell(3, header.index("balance") + 1)
    direct = summarise_workbook(str(fleet / "north" / "b-clean.xlsx"), AS_OF)["balance"]
    assert Decimal(str(balance.value)) == direct and balance.number_format == "#,##0.00"
    assert sheet.cell(4, header.index("status") + 1).value == "unreadable"
    assert sheet.max_row == 5


def test_json_out_matches_the_frame(fleet, summary, tmp_path):
    out = tmp_path / "summary.json"
    run(fleet, "--as-of", AS_OF, "--out", out)
    records = json.loads(out.read_text(encoding="utf-8"))
    assert len(records) == len(summary)
    assert records[-1]["balance"] == str(summary.iloc[-1]["balance"])


def test_terminal_table_shows_workbook_text_literally(fleet, capsys, monkeypatch):
    from practicebook.frontends.cli.batch import _show_table

    monkeypatch.setenv("COLUMNS", "250")
    frame = batch(fleet / "north", as_of=AS_OF)
    frame.loc[0, "practice"] = "[red]Practice[/red]"
    _show_table(frame)
    shown = capsys.readouterr().out
    assert "[red]Practice[/red]" in shown and "b-clean.xlsx" in shown
    assert "TOTAL (1 workbook)" in shown


@pytest.fixture
def writable(tmp_path, fleet) -> Path:
    """Copies of one clean workbook and one unreadable file, free to change."""
    folder = tmp_path / "writable"
    folder.mkdir()
    for name in ("a-clean.xlsx", "e-notzip.xlsx"):
        (folder / name).write_bytes((fleet / name).read_bytes())
    return folder


def test_write_puts_the_results_into_each_readable_workbook(writable):
    frame = batch(writable, as_of=AS_OF, write=True)
    assert frame["written"].tolist()[:2] == [True, None]
    sheets = openpyxl.load_workbook(writable / "a-clean.xlsx", read_only=True).sheetnames
    assert {"Balances", "Aging", "Flags", "Ledger", "CancellationLog"} <= set(sheets)
    assert (writable / "e-notzip.xlsx").read_text() == "client,amount\nC1,150\n"
    again = batch(writable / "a-clean.xlsx", as_of=AS_OF)
    assert again.iloc[0]["balance"] == frame.iloc[0]["balance"]
    assert "written" not in again.columns


def test_a_failed_write_is_reported_and_fails_the_run(writable, monkeypatch):
    from practicebook.errors import WriteError
    from practicebook.workbook import writer

    def refuse(path, *args, **kwargs):
        raise WriteError("the workbook is open in Excel")

    monkeypatch.setattr(writer, "write_results", refuse)
    row = batch(writable / "a-clean.xlsx", as_of=AS_OF, write=True).iloc[0]
    assert row["written"] is False and row["status"] == "issues"
    assert "results not written" in row["reason"] and "open in Excel" in row["reason"]
    assert run(writable / "a-clean.xlsx", "--as-of", AS_OF, "--write").exit_code == 1


def test_command_write(writable):
    before = _digest(writable)
    result = run(writable / "a-clean.xlsx", "--as-of", AS_OF, "--write", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["workbooks"][0]["written"] is True
    assert _digest(writable)["a-clean.xlsx"] != before["a-clean.xlsx"]
