"""The cyclic collector is paused only for the block, resumed also when it fails, and
left as it was when something else had paused it."""

from __future__ import annotations

import gc

import pytest

from practicebook.core.collector import collector_paused


def test_resumed_after_a_failure() -> None:
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        assert not gc.isenabled()
        _ = 1 / 0
    assert gc.isenabled()


def test_left_paused_when_paused_by_someone_else() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # not resumed behind the caller's back
    finally:
        gc.enable()


def test_as_a_decorator_each_call_pauses_and_resumes() -> None:
    seen = []

    @collector_paused()
    def work(n: int) -> int:
        seen.append(gc.isenabled())
        return n * 2

    assert [work(1), work(2)] == [2, 4]
    assert seen == [False, False]
    assert gc.isenabled()


def test_bank_import_and_matching_run_with_the_collector_paused(monkeypatch) -> None:
    from practicebook.core import bank
    from practicebook.core.bank import imports
    from tests.bank.support import generated

    _, book, made = generated(60)
    name, data = next(iter(made.files.items()))
    seen = []
    for module, attr in ((imports, "plan_import"), (bank, "match_lines")):
        real = getattr(module, attr)
        monkeypatch.setattr(
            module, attr, lambda *a, _real=real, **k: seen.append(gc.isenabled()) or _real(*a, **k)
        )
    plan = bank.prepare_import(book, data, name, account="CHK" if "chk" in name else None)
    bank.match(imports.with_import(book, plan), "2026-12-31")
    assert seen == [False, False]
    assert gc.isenabled()
