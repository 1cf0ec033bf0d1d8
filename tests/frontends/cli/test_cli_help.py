"""What the commands' help and the command reference promise: each option shows the form
of its value, and every command line of docs/cli.md is one the command accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from practicebook.frontends.cli import main
from tests.frontends.cli.test_cli_output import _commands

CLI_MD = Path(__file__).parents[3] / "docs" / "cli.md"


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def _shown(words) -> dict[str, str]:
    """Each option of ``practicebook WORDS --help`` and what it shows after its name."""
    result = run(*words, "--help")
    assert result.exit_code == 0, (words, result.output)
    options = result.output.split("Options:", 1)[1]
    found = re.findall(r"^\s+(?:-\w, )?(--[\w-]+)(?: ([^\s]+))?", options, re.MULTILINE)
    return {name: value for name, value in found}


# --- the form of each value -------------------------------------------------------------

FORMS = {
    ("statement", "--month"): "YYYY-MM",
    ("invoice", "--month"): "YYYY-MM",
    ("superbill", "--month"): "YYYY-MM",
    ("batch", "--statements"): "YYYY-MM",
    ("new", "--currency"): "CODE",
    ("new", "--locale"): "LOCALE",
    ("new", "--timezone"): "ZONE",
    ("bank reconcile", "--balance"): "AMOUNT",
    ("bank import", "--mapping"): "FIELD=COLUMN;…",
    ("estimate", "--service"): "CODE[=COUNT]",
}


@pytest.mark.parametrize(("where", "form"), FORMS.items(), ids=lambda v: " ".join(v))
def test_an_option_that_takes_a_format_shows_it(where, form):
    command, option = where
    assert _shown(command.split())[option] == form


def test_every_month_option_shows_yyyy_mm_not_text():
    months = 0
    for words, command in _commands():
        shown = _shown(words)
        for param in command.params:
            if not isinstance(param, click.Option) or param.is_flag:
                continue
            says = param.help or ""
            name = param.opts[-1]
            if "YYYY-MM" in says and "YYYY-MM-DD" not in says:
                months += 1
                assert shown[name] == "YYYY-MM", (words, name)
            if any(hint in says for hint in ("ISO 4217", "IANA", "Locale", "e.g. 'date=")):
                assert shown[name] != "TEXT", (words, name)
    assert months >= 3  # statement, invoice, superbill --month (batch: in FORMS)


# --- the command reference ----------------------------------------------------------------


def _reference_lines() -> list[list[str]]:
    """The ``practicebook …`` command lines of docs/cli.md's ``sh`` blocks, as words."""
    text = CLI_MD.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    lines = [line for block in blocks for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("practicebook ")]


def _command_of(words: list[str]) -> tuple[tuple[str, ...], click.Command]:
    command: click.Command = main
    path: list[str] = []
    for word in words:
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            break
        command, path = sub, [*path, word]
    return tuple(path), command


def _documented_options(words: list[str]) -> dict[str, str | None]:
    """Each option a command line names and the value written after it (its form), if any."""
    cleaned = [w.strip("[]()|") for w in words]
    found: dict[str, str | None] = {}
    for i, word in enumerate(cleaned):
        if word.startswith("--"):
            after = cleaned[i + 1] if i + 1 < len(cleaned) else ""
            found[word] = None if (not after or after.startswith("--")) else after
    return found


def test_the_reference_shows_every_documents_and_bank_command():
    shown = {_command_of(words)[0] for words in _reference_lines()}
    wanted = {
        ("statement",),
        ("receipt",),
        ("invoice",),
        ("superbill",),
        ("estimate",),
        ("void",),
        ("documents",),
        ("export",),
        *((("bank", name)) for name in main.commands["bank"].commands),  # type: ignore[attr-defined]
    }
    assert wanted - shown == set()


@pytest.mark.parametrize("words", _reference_lines(), ids=lambda w: " ".join(w[:2]))
def test_every_command_line_of_the_reference_is_one_the_command_accepts(words):
    path, command = _command_of(words)
    assert path, f"no command {words[0]!r}"
    shown = _shown(path)
    params = {opt: p for p in command.params for opt in p.opts}
    for option, value in _documented_options(words[len(path) :]).items():
        assert option in params, (path, option)
        param = params[option]
        if isinstance(param, click.Option) and param.is_flag:
            assert value is None or value.isupper() or not value.startswith("-"), (path, option)
            continue
        if isinstance(param.type, click.Choice) and value is not None:
            # the alternatives written are the ones the command takes
            assert set(value.split("|")) == set(param.type.choices), (path, option, value)
        elif value in ("YYYY-MM", "YYYY-MM-DD"):
            assert shown[option] == value, (path, option)


# --- bank status in the workbook's locale -----------------------------------------------


@pytest.fixture(scope="module")
def banked(tmp_path_factory):
    from practicebook.generate import generate
    from practicebook.generate.bank import statements

    folder = tmp_path_factory.mktemp("bank")
    practice = generate(120, locale="en_GB", currency="GBP", timezone="Europe/London")
    practice.write(folder / "book.xlsx")
    made = statements(practice)
    name = "chk-2026-03.csv"
    (folder / name).write_bytes(made.files[name])
    done = run("bank", "import", folder / "book.xlsx", folder / name, "--account", "CHK")
    assert done.exit_code == 0, done.output
    return folder / "book.xlsx"


def test_bank_status_shows_days_in_the_workbooks_locale_and_json_keeps_iso(banked):
    import json

    import practicebook
    from practicebook import bank

    book = practicebook.load(banked)[0]
    result = bank.match(book, "2026-03-31")
    last = result.accounts.set_index("account_id").loc["CHK", "last_posted"].date()
    assert last.month == 3  # the statement's last line

    text = run("bank", "status", banked, "--as-of", "2026-03-31", env={"COLUMNS": "200"})
    shown = text.output
    assert "bank as of 31 Mar 2026, amounts in GBP" in shown  # en_GB's medium form
    assert f" {last.day} Mar 2026 " in shown  # CHK's last posted day, in its row
    assert not re.search(r"\b2026-\d\d-\d\d\b", shown.split("lines:")[0])

    data = json.loads(
        run("bank", "status", banked, "--as-of", "2026-03-31", "--format", "json").output
    )
    assert data["as_of"] == "2026-03-31"
    chk = next(a for a in data["accounts"] if a["account_id"] == "CHK")
    assert chk["last_posted"] == last.isoformat()


def test_every_door_offers_the_cores_estimate_frequencies():
    """The CLI spells its choices out (it imports no pandas to draw its help); they and
    the dashboard's list are the core's."""
    from typing import get_args

    from practicebook.core.documents import Frequency

    option = next(p for p in main.commands["estimate"].params if p.name == "frequency")
    assert tuple(option.type.choices) == get_args(Frequency)
    pytest.importorskip("ipywidgets")
    from practicebook.frontends.jupyter.tabs.documents import FREQUENCIES

    assert tuple(value for _, value in FREQUENCIES) == get_args(Frequency)
