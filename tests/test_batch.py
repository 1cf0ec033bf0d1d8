"""Batch reconciliation over a folder of generated workbooks, some of them broken."""

from __future__ import annotations

import hashlib
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import practicebook
from practicebook.batching import BatchResult, batch, expand_paths, summarise_workbook
from practicebook.batching import task as task_module
from practicebook.core.amounts import PRECISION, money_total
from practicebook.core.reconcile import reconcile
from practicebook.errors import MissingDependency, PracticebookError
from practicebook.generate import generate
from tests.support.batch_tasks import crashing_task, reading_changes_the_file
from tests.support.fleet import AS_OF, make_fleet


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    return make_fleet(tmp_path_factory.mktemp("fleet"))


@pytest.fixture(scope="module")
def summary(fleet):
    return batch(fleet, as_of=AS_OF)


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _row(result, name):
    frame = result.workbooks if hasattr(result, "workbooks") else result
    rows = frame[frame["file"].str.endswith(name)]
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


def test_workbooks_and_totals_come_apart(summary):
    assert isinstance(summary, BatchResult)
    assert summary.workbooks["status"].tolist() == [
        "ok",
        "issues",
        "issues",
        "unreadable",
        "unreadable",
        "unreadable",
        "unreadable",
        "ok",
    ]
    assert len(summary.totals) == 1
    total = summary.totals.iloc[0]
    assert (total["currency"], total["workbooks"]) == ("USD", 4)
    assert "TOTAL" not in summary.workbooks["practice"].dropna().str.cat()


def test_summing_a_column_of_workbooks_counts_each_once(summary):
    readable = summary.workbooks[summary.workbooks["status"] != "unreadable"]
    by_hand = Decimal(0)
    for path in readable["file"]:
        book, _ = practicebook.load(path)
        by_hand += money_total(reconcile(book, as_of=AS_OF).balances["balance"], "USD")
    assert summary.workbooks["balance"].sum() == by_hand == summary.totals["balance"].sum()


def test_money_is_exact_decimal_at_the_documented_scale(summary):
    for column in ("balance", "ar_1-30", "late_cancel_fees"):
        for frame in (summary.workbooks, summary.totals):
            dtype = frame[column].dtype
            assert isinstance(dtype, pd.ArrowDtype), column
            assert str(dtype.pyarrow_dtype) == f"decimal128({PRECISION}, 2)", column
    assert summary.scale == 2
    assert isinstance(summary.workbooks["balance"].iloc[0], Decimal)
    assert pd.isna(_row(summary, "e-notzip.xlsx")["balance"])


def test_a_run_across_currencies_keeps_the_most_digits_and_sums_per_currency(tmp_path):
    for name, seed, currency in (("a-usd", 1, "USD"), ("b-kwd", 3, "KWD"), ("c-usd", 0, "USD")):
        practice = generate(60, seed=seed)
        practice.settings["currency"] = currency
        practice.write(tmp_path / f"{name}.xlsx")
    result = batch(tmp_path, as_of=AS_OF)
    assert result.scale == 3  # the Kuwaiti dinar has three minor-unit digits
    direct = {
        p.stem: summarise_workbook(str(p), AS_OF)["balance"] for p in sorted(tmp_path.iterdir())
    }
    assert result.workbooks["balance"].tolist() == list(direct.values())
    by_currency = result.workbooks.groupby("currency")["balance"].sum()
    totals = result.totals.set_index("currency")["balance"]
    assert by_currency["USD"] == totals["USD"] == direct["a-usd"] + direct["c-usd"]
    assert totals["KWD"] == direct["b-kwd"]
    document = result.to_dict()
    assert [w["balance"] for w in document["workbooks"]] == [str(v) for v in direct.values()]
    assert len(document["workbooks"][1]["balance"].split(".")[1]) == 3
    assert len(document["workbooks"][0]["balance"].split(".")[1]) == 2


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
    assert pd.isna(_row(summary, "e-notzip.xlsx")["clients"])


@pytest.mark.parametrize(
    "name", ["a-clean.xlsx", "b-clean.xlsx", "c-warning.xlsx", "d-problems.xlsx"]
)
def test_each_row_agrees_with_reconcile_run_directly(summary, fleet, name):
    path = next(fleet.rglob(name))
    book, issues = practicebook.load(path)
    rec = reconcile(book, as_of=AS_OF)
    row = _row(summary, name)

    def money(column):
        return money_total(column, "USD")

    assert row["practice"] == book.settings.practice_name
    assert (row["clients"], row["sessions"]) == (len(book.clients), len(book.sessions))
    for column in ("charges", "payments", "refunds", "adjustments", "balance", "credit"):
        assert row[column] == money(rec.balances[column]), column
    for bucket in ("current", "1-30", "31-60", "61-90", "91-120", "120+"):
        assert row[f"ar_{bucket}"] == money(rec.aging[bucket]), bucket
    assert row["ar_total"] - row["credit"] == row["balance"]
    kinds = rec.charges["kind"]
    assert row["late_cancel_charged"] == (kinds == "late_cancel_fee").sum()
    assert row["no_show_fees"] == money(rec.charges.loc[kinds == "no_show_fee", "amount"])
    codes = [i.code.value for i in issues] + rec.flags["code"].tolist()
    for code in set(codes):
        assert row[f"flag_{code}"] == codes.count(code), code
    errors = sum(i.is_error for i in issues) + (rec.flags["severity"] == "error").sum()
    assert row["errors"] == errors
    assert row["status"] == ("issues" if row["errors"] or row["warnings"] else "ok")
    assert row["complete"] == (errors == 0)
    assert row["left_out"] == sum(len(f) for f in book.rejected.values())


def test_a_workbook_with_errors_is_marked_provisional(summary, fleet):
    book, _ = practicebook.load(fleet / "d-problems.xlsx")
    rejected = sum(len(f) for f in book.rejected.values())
    row = _row(summary, "d-problems.xlsx")
    assert rejected > 0 and row["left_out"] == rejected
    assert not row["complete"] and row["errors"] > 0
    assert f"figures provisional, {rejected} rows left out" in row["reason"]
    assert not summary.totals.iloc[0]["complete"]
    assert _row(summary, "a-clean.xlsx")["complete"]


def test_waived_counts_cancellations_without_a_fee(summary, fleet):
    book, _ = practicebook.load(fleet / "c-warning.xlsx")
    log = reconcile(book, as_of=AS_OF).cancellations
    late = log[log["fee_code"] == "LATECXL"]
    row = _row(summary, "c-warning.xlsx")
    assert row["late_cancel_waived"] == (late["fee"] == 0).sum() > 0
    assert row["late_cancel_charged"] + row["late_cancel_waived"] == len(late)


def test_totals_add_up_the_readable_rows(summary):
    rows, total = summary.workbooks, summary.totals.iloc[0]
    readable = rows[rows["status"] != "unreadable"]
    assert total["balance"] == sum(readable["balance"], Decimal(0))
    assert total["ar_1-30"] == sum(readable["ar_1-30"], Decimal(0))
    assert total["clients"] == readable["clients"].sum() == 32
    assert total["flag_grace-applied"] == readable["flag_grace-applied"].sum()
    assert isinstance(total["balance"], Decimal)


def test_the_password_opens_protected_workbooks(fleet):
    result = batch(
        [fleet / "h-locked.xlsx", fleet / "a-clean.xlsx"], as_of=AS_OF, password="s3cret"
    )
    assert result.workbooks["status"].tolist() == ["ok", "ok"]
    assert result.workbooks.iloc[0]["balance"] == result.workbooks.iloc[1]["balance"]


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


def _same(a, b) -> bool:
    return a.workbooks.equals(b.workbooks) and a.totals.equals(b.totals)


def test_process_pool_gives_the_serial_result(fleet, summary):
    assert _same(batch(fleet, as_of=AS_OF, jobs=2), summary)


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
    assert _same(on_dask, summary)


@pytest.mark.slow
def test_dask_scheduler_starts_its_own_local_cluster(fleet, summary):
    pytest.importorskip("dask.distributed")
    assert _same(batch(fleet, as_of=AS_OF, jobs=2, scheduler="dask"), summary)


def test_dask_without_the_extra_says_how_to_install_it(fleet, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(MissingDependency, match="batch"):
        batch(fleet / "north", scheduler="dask")


def test_usage_errors(tmp_path, fleet):
    with pytest.raises(PracticebookError, match="no workbooks"):
        batch(str(tmp_path / "*.xlsx"))
    with pytest.raises(PracticebookError, match="scheduler"):
        batch(fleet / "north", scheduler="udp://nowhere")
    with pytest.raises(ValueError, match=r"'31/03/2026' is not a day: write it as YYYY-MM-DD"):
        batch(fleet / "north", as_of="31/03/2026")


def test_the_function_survives_importing_its_module():
    import practicebook.batching

    assert practicebook.batch is practicebook.batching.batch


# --- a workbook that ends its worker process ----------------------------------------


@pytest.fixture(scope="module")
def crashing(tmp_path_factory, fleet) -> Path:
    """Two clean workbooks around four that end the process reading them."""
    folder = tmp_path_factory.mktemp("crashing")
    clean = (fleet / "a-clean.xlsx").read_bytes()
    for name in ("a-first", "abort-b", "b-middle", "killed-c", "segfault-d", "z-last"):
        (folder / f"{name}.xlsx").write_bytes(clean)
    return folder


def _crash_reasons(result) -> dict[str, str]:
    frame = result.workbooks
    return {Path(f).stem: r for f, r in zip(frame["file"], frame["reason"], strict=True)}


#: The status of each workbook of ``crashing``, in the order found (sorted by name).
CRASHING = ["ok", "unreadable", "ok", "unreadable", "unreadable", "ok"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_workbook_that_crashes_its_worker_is_its_own_unreadable_row(crashing, monkeypatch, jobs):
    monkeypatch.setattr(task_module, "summarise_workbook", crashing_task)
    result = batch(crashing, as_of=AS_OF, jobs=jobs)
    assert result.workbooks["status"].tolist() == CRASHING
    reasons = _crash_reasons(result)
    assert reasons["abort-b"] == "reading it crashed the worker process (SIGABRT)"
    assert reasons["segfault-d"] == "reading it crashed the worker process (SIGSEGV)"
    assert reasons["killed-c"] == (
        "the worker process reading it was killed (SIGKILL; out of memory?)"
    )
    assert result.totals.iloc[0]["workbooks"] == 3
    direct = summarise_workbook(str(crashing / "z-last.xlsx"), AS_OF)
    assert _row(result, "z-last.xlsx")["balance"] == direct["balance"]


def test_a_crash_on_dask_is_one_unreadable_row(crashing, monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    monkeypatch.setattr(task_module, "summarise_workbook", crashing_task)
    with distributed.LocalCluster(
        n_workers=1, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        result = batch(crashing, as_of=AS_OF, scheduler=cluster.scheduler_address)
    reasons = _crash_reasons(result)
    assert reasons["abort-b"] == "reading it crashed the worker process (SIGABRT)"
    assert result.workbooks["status"].tolist() == CRASHING


def test_a_workbook_that_takes_too_long_is_stopped(tmp_path, fleet, monkeypatch):
    monkeypatch.setattr(task_module, "summarise_workbook", crashing_task)
    for name in ("hang-a.xlsx", "z-clean.xlsx"):
        (tmp_path / name).write_bytes((fleet / "a-clean.xlsx").read_bytes())
    result = batch(tmp_path, as_of=AS_OF, timeout=5)
    assert result.workbooks["reason"].tolist()[0] == "reading it took longer than 5 s"
    assert result.workbooks["status"].tolist() == ["unreadable", "ok"]


# --- writing back ---------------------------------------------------------------------


@pytest.fixture
def writable(tmp_path, fleet) -> Path:
    """Copies of one clean workbook and one unreadable file, free to change."""
    folder = tmp_path / "writable"
    folder.mkdir()
    for name in ("a-clean.xlsx", "e-notzip.xlsx"):
        (folder / name).write_bytes((fleet / name).read_bytes())
    return folder


def test_write_puts_the_results_into_each_readable_workbook(writable):
    result = batch(writable, as_of=AS_OF, write=True)
    assert result.workbooks["written"].tolist()[0] is True
    assert pd.isna(result.workbooks["written"].tolist()[1])
    sheets = openpyxl.load_workbook(writable / "a-clean.xlsx", read_only=True).sheetnames
    assert {"Balances", "Aging", "Flags", "Ledger", "CancellationLog"} <= set(sheets)
    assert (writable / "e-notzip.xlsx").read_text() == "client,amount\nC1,150\n"
    again = batch(writable / "a-clean.xlsx", as_of=AS_OF)
    assert again.workbooks.iloc[0]["balance"] == result.workbooks.iloc[0]["balance"]
    assert "written" not in again.workbooks.columns


def test_results_are_not_written_over_a_file_changed_since_it_was_read(writable):
    path = writable / "a-clean.xlsx"
    summary = reading_changes_the_file(str(path), as_of=AS_OF, write=True)
    assert summary["written"] is False and summary["status"] == "issues"
    assert "results not written" in summary["reason"]
    assert "changed by another program" in summary["reason"]
    assert "Balances" not in openpyxl.load_workbook(path, read_only=True).sheetnames


def test_a_refused_write_is_reported_and_fails_the_run(writable, monkeypatch):
    from practicebook.errors import WorkbookBusy
    from practicebook.workbook import writer

    def refuse(path, *args, **kwargs):
        raise WorkbookBusy(Path(path), by="Excel")

    monkeypatch.setattr(writer, "write_results", refuse)
    row = summarise_workbook(str(writable / "a-clean.xlsx"), AS_OF, write=True)
    assert row["written"] is False and row["status"] == "issues"
    assert "results not written" in row["reason"] and "open in Excel" in row["reason"]
