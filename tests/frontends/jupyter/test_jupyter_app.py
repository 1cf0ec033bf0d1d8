"""The dashboard with the real writer, the ``app`` command, and the notebooks run by nbclient."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.books import ROOT

pytest.importorskip("ipywidgets")

import practicebook
from practicebook.core.reconcile import reconcile
from practicebook.errors import MissingDependency
from practicebook.frontends.cli import main
from practicebook.frontends.jupyter import APP_NOTEBOOK, BOOK_ENV, Dashboard, voila_command
from practicebook.frontends.jupyter.launch import (
    CULL_IDLE_SECONDS,
    CULL_INTERVAL_SECONDS,
    MAX_KERNELS,
)
from practicebook.generate import generate
from practicebook.l10n import format_money
from practicebook.money import to_minor

AS_OF = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("app") / "template.xlsx"
    generate(300).write(path)
    return path


@pytest.fixture
def book_path(template, tmp_path):
    path = tmp_path / "practice.xlsx"
    shutil.copy(template, path)
    return path


def enter_session(dash, client="C0002", start=dt.datetime(2026, 11, 20, 10, 0)):
    form = dash.sessions.form
    for key, value in {
        "client_id": client,
        "service_code": "90834",
        "scheduled_start": start,
        "scheduled_minutes": "50",
        "status": "attended",
    }.items():
        form.widget(key).value = value
    dash.sessions.save.click()


def test_session_and_payment_reach_the_workbook(book_path):
    dash = Dashboard(book_path, as_of=AS_OF)
    before = dash.state.balance_of("C0002")
    enter_session(dash)
    assert "Saved session S0000301 at Sessions row 302" in dash.sessions.messages.value
    after_session = dash.state.balance_of("C0002")
    assert after_session - before == Decimal("95.00")  # the client's rate for 90834 (R0002)
    pay = dash.payments
    pay.form.widget("client_id").value = "C0002"
    pay.form.widget("amount").value = "40.00"
    pay.form.widget("method").value = "card"
    pay.save.click()
    book, _ = practicebook.load(book_path)
    session = book.sessions.iloc[-1]
    assert (
        session["session_id"],
        session["client_id"],
        session["status"],
        int(session["scheduled_minutes"]),
    ) == ("S0000301", "C0002", "attended", 50)
    payment = book.payments.iloc[-1]
    assert (payment["client_id"], int(payment["amount"])) == ("C0002", 4000)
    balance = reconcile(book, AS_OF).balances.set_index("client_id").loc["C0002", "balance"]
    assert balance == after_session - Decimal("40.00")
    shown = pay.messages.value
    assert f"before {_money(after_session)}" in shown
    assert f"<b class='pb-balance-after'>{_money(balance)}</b>" in shown


def _money(amount: Decimal) -> str:
    return format_money(to_minor(amount, "USD"), "USD", "en_US")


def test_marked_cancellation_is_stamped_on_the_row(book_path):
    dash = Dashboard(book_path, as_of=AS_OF)
    tab = dash.sessions
    tab.cancel_session.value = "S0000179"
    tab.requested_at.value = dt.datetime(2026, 12, 1, 3, 0)
    tab.preview.click()
    tab.confirm.click()
    assert "Marked S0000179 cancelled; fee $190.00" in tab.cancel_messages.value
    row = practicebook.load(book_path)[0].sessions.set_index("session_id").loc["S0000179"]
    assert row["status"] == "late_cancelled"
    assert row["cancel_requested_at"] == dt.datetime(2026, 12, 1, 3, 0)


def test_two_stale_dashboards_both_keep_their_rows(book_path):
    first, second = Dashboard(book_path, as_of=AS_OF), Dashboard(book_path, as_of=AS_OF)
    enter_session(first, "C0003")
    enter_session(second, "C0004")  # its state still shows the workbook before the first row
    ids = practicebook.load(book_path)[0].sessions.set_index("session_id")["client_id"]
    assert ids.loc["S0000301"] == "C0003" and ids.loc["S0000302"] == "C0004"


def test_two_dashboards_saving_at_the_same_moment_lose_no_row(book_path):
    dashes = [Dashboard(book_path, as_of=AS_OF) for _ in range(2)]
    start = threading.Barrier(2)

    def save(dash, client):
        start.wait()
        enter_session(dash, client)

    threads = [
        threading.Thread(target=save, args=(d, c))
        for d, c in zip(dashes, ("C0005", "C0006"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    sessions = practicebook.load(book_path)[0].sessions
    assert len(sessions) == 302
    assert sorted(sessions["client_id"].iloc[-2:]) == ["C0005", "C0006"]
    assert sessions["session_id"].is_unique


def test_voila_command_serves_the_packaged_notebook_on_loopback(book_path):
    argv, env = voila_command(book_path, port=8123, open_browser=False, environ={})
    assert argv[:4] == [sys.executable, "-m", "voila", str(APP_NOTEBOOK)]
    assert {"--Voila.ip=127.0.0.1", "--port=8123", "--no-browser", "--Voila.port_retries=0"} <= set(
        argv
    )
    assert env[BOOK_ENV] == str(book_path.resolve())
    assert APP_NOTEBOOK.is_file()
    # the page template is found through JUPYTER_PATH, and is served from this machine
    template = Path(env["JUPYTER_PATH"]) / "voila" / "templates" / "practicebook"
    assert "--template=practicebook" in argv and (template / "index.html.j2").is_file()
    assert "://" not in (template / "index.html.j2").read_text()  # no asset from elsewhere
    # one pre-heated kernel; kernels of closed pages culled within a minute; a bound
    assert "--VoilaConfiguration.preheat_kernel=True" in argv
    assert f"--BoundedKernelManager.max_kernels={MAX_KERNELS}" in argv
    assert CULL_IDLE_SECONDS + CULL_INTERVAL_SECONDS <= 60
    assert "--BoundedKernelManager.cull_connected=False" in argv


def test_the_launcher_loads_no_dashboard_code():
    import subprocess

    probe = (
        "import sys\n"
        "from practicebook.frontends.jupyter import voila_command\n"
        "loaded = [m for m in sys.modules if m == 'ipywidgets'"
        " or m.startswith(('practicebook.frontends.jupyter.dashboard',"
        " 'practicebook.frontends.jupyter.tabs'))]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_package_names_come_from_their_modules():
    from practicebook.frontends import jupyter
    from practicebook.frontends.jupyter import dashboard, forms, launch, state

    assert jupyter.Dashboard is dashboard.Dashboard and jupyter.SchemaForm is forms.SchemaForm
    assert jupyter.WorkbookState is state.WorkbookState
    assert jupyter.voila_command is launch.voila_command
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        jupyter.Nope  # noqa: B018


def test_voila_command_without_voila(book_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "voila" else real(name, *a)
    )
    with pytest.raises(MissingDependency, match=r"voila is not installed.*\[jupyter\]"):
        voila_command(book_path)


def test_app_command_runs_voila_with_the_book(book_path, monkeypatch):
    from click.testing import CliRunner

    seen = {}

    def call(argv, env):
        seen.update(argv=argv, env=env)
        return 0

    monkeypatch.setattr("subprocess.call", call)
    result = CliRunner().invoke(main, ["app", str(book_path), "--port", "8124", "--no-browser"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8124/" in result.output
    assert "--port=8124" in seen["argv"] and seen["env"][BOOK_ENV] == str(book_path.resolve())


def test_app_command_refuses_a_missing_book(tmp_path):
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["app", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 2 and "does not exist" in result.output


def _run_notebook(path: Path, cwd: Path):
    """Execute a notebook in a fresh kernel (which inherits this process's environment)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        startup_timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    return outputs


@pytest.mark.timeout(180)
def test_example_notebook_executes(tmp_path):
    shutil.copy(ROOT / "examples" / "example-practice.xlsx", tmp_path)
    outputs = _run_notebook(ROOT / "examples" / "dashboard.ipynb", tmp_path)
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 2  # the dashboard and the what-if result
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert printed.startswith("client C0001, as of Dec 31, 2026 (USD)")
    table = "".join(
        o["data"].get("text/plain", "") for o in outputs if o.output_type == "execute_result"
    )
    assert "client_id" in table and "C0001" in table
    # the what-if answers the 48-hour question with the replayed fees, not "$0.00", and
    # the sessions that change are listed with their new fees (tests/core/test_simulate.py)
    assert "2247.50 → 3032.50" in printed
    assert "S0000322" in table and "late_cancelled" in table and "200.00" in table


@pytest.mark.timeout(180)
def test_app_notebook_executes_with_the_book_from_the_environment(book_path, monkeypatch):
    monkeypatch.setenv(BOOK_ENV, str(book_path))
    outputs = _run_notebook(APP_NOTEBOOK, book_path.parent)
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
