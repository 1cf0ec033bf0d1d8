"""The Month end tab: the bookkeeper's walk through a period, one step after another.

1. **Sessions**: the past sessions still marked scheduled get an outcome (``outcomes``).
2. **Findings**: each finding not yet reviewed is fixed or marked reviewed; the mark is
   stored on the Reviews sheet, so a reviewed finding is not shown as new again.
3. **Balances**: what clients owe at the period's end, and how old it is.
4. **Deposits**: the bank lines matched to payments (``practicebook.bank``), and the
   payments not yet seen in the bank.
5. **Close**: ``lock_through_date`` set to the period's last day, audited.

An empty workbook says what to enter first.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pandas as pd

from practicebook.core.amounts import minor_units
from practicebook.frontends.jupyter.forms import message_style
from practicebook.frontends.jupyter.markup import note
from practicebook.frontends.jupyter.tabs.base import Tab
from practicebook.frontends.jupyter.tabs.outcomes import OutcomesPanel
from practicebook.frontends.jupyter.widgets import hook
from practicebook.money import from_minor

#: Findings step 1 resolves: not offered for review.
_RESOLVED_FIRST = ("unresolved-past-session",)


class MonthEndTab(Tab):
    """Walk a period: sessions, findings, balances, deposits, close."""

    title = "Month end"

    def build(self, w: Any) -> Any:
        self.period = hook(w.Dropdown(description="Period", options=[]), "monthend-period")
        self.empty = hook(w.HTML(), "monthend-empty")
        self.outcomes = OutcomesPanel(self, w)
        # findings
        self.findings_summary = hook(w.HTML(), "monthend-findings")
        self.finding = hook(
            w.Select(rows=8, layout={"width": "760px"}, description="New"), "monthend-finding"
        )
        self.review_note = hook(
            w.Text(description="Note", placeholder="why it needs no change (optional)"),
            "monthend-review-note",
        )
        self.review = hook(w.Button(description="Mark reviewed", icon="check"), "monthend-review")
        self.review_messages = hook(w.HTML(), "monthend-review-messages")
        self.review.on_click(lambda _b: self.mark_reviewed())
        # balances, deposits, close
        self.balances = hook(w.HTML(), "monthend-balances")
        self.deposits = hook(w.HTML(), "monthend-deposits")
        self.store = hook(w.Button(description="Record the matches"), "monthend-store-matches")
        self.store.on_click(lambda _b: self.store_matches())
        self.closing = hook(w.HTML(), "monthend-closing")
        self.close = hook(w.Button(description="Close the period…", icon="lock"), "monthend-close")
        self.close_question = hook(w.HTML(), "monthend-close-question")
        self.close_confirm = hook(
            w.Button(description="Confirm close", button_style="danger"), "monthend-close-confirm"
        )
        self.close_confirm.layout.display = "none"
        self.close.on_click(lambda _b: self.ask_close())
        self.close_confirm.on_click(lambda _b: self.close_period())
        self.period.observe(lambda _c: self.show(), names="value")
        self.steps = w.VBox(
            [
                w.HTML("<h4>1 · Sessions without an outcome</h4>"),
                self.outcomes.box,
                w.HTML("<h4>2 · Findings to review</h4>"),
                self.findings_summary,
                self.finding,
                self.review_note,
                self.review,
                self.review_messages,
                w.HTML("<h4>3 · Balances and aging at the period's end</h4>"),
                self.balances,
                w.HTML("<h4>4 · Deposits matched</h4>"),
                self.deposits,
                self.store,
                w.HTML("<h4>5 · Close the period</h4>"),
                self.closing,
                self.close,
                self.close_question,
                self.close_confirm,
            ]
        )
        return w.VBox([self.period, self.empty, self.steps])

    # --- the period -----------------------------------------------------------------

    def periods(self) -> list[tuple[str, dt.date]]:
        """Each month from the first session to the current one, latest first, as (name,
        last day); the month before the current one comes first when it has ended."""
        today = self.state.result.as_of
        starts = self.state.book.sessions["scheduled_start"].dropna()
        first = pd.Timestamp(starts.min()).date() if len(starts) else today
        months = pd.period_range(pd.Period(first, "M"), pd.Period(today, "M"), freq="M")
        out = [(m.strftime("%B %Y"), m.end_time.date()) for m in reversed(months)]
        if len(out) > 1 and out[0][1] >= today:
            out = [out[1], out[0], *out[2:]]  # the period to close is the last one ended
        return out

    @property
    def through(self) -> dt.date:
        """The last day of the chosen period."""
        value = self.period.value
        return value if isinstance(value, dt.date) else self.state.result.as_of

    def update(self) -> None:
        periods = self.periods()
        keep = self.period.value
        self.period.options = periods
        ends = [end for _name, end in periods]
        self.period.value = keep if keep in ends else ends[0]
        self.show()

    def show(self) -> None:
        book = self.state.book
        missing = [
            text
            for frame, text in (
                (book.services, "your services and fees on the Services sheet of the workbook"),
                (book.clients, "your first client in the Clients tab"),
                (book.sessions, "sessions in the Sessions tab"),
            )
            if frame.empty
        ]
        if missing:
            items = "".join(f"<li>{html.escape(m)}</li>" for m in missing)
            self.empty.value = (
                "<div class='pb-monthend-first'>Nothing to close yet. Enter first:"
                f"<ol>{items}</ol>The month-end steps appear once there are sessions.</div>"
            )
            self.steps.layout.display = "none"
            return
        self.empty.value = ""
        self.steps.layout.display = None
        self.outcomes.update(self.through)
        self.show_findings()
        self.show_balances()
        self.show_deposits()
        self.show_closing()

    # --- findings --------------------------------------------------------------------

    def new_findings(self) -> pd.DataFrame:
        """The findings not marked reviewed (those step 1 resolves left out)."""
        from practicebook.core.edits import finding_key, reviewed_keys

        flags = self.state.findings
        done = reviewed_keys(self.state.book)
        keys = [
            finding_key(c, s, cell, r)
            for c, s, cell, r in zip(
                flags["code"], flags["sheet"], flags["cell"], flags["row_id"], strict=True
            )
        ]
        fresh = pd.Series([k not in done for k in keys], index=flags.index, dtype=bool)
        return flags[fresh & ~flags["code"].isin(_RESOLVED_FIRST)]

    def show_findings(self) -> None:
        fresh = self.new_findings()
        reviewed = len(self.state.book.frame("Reviews"))
        counts = fresh["severity"].value_counts()
        parts = ", ".join(
            f"{int(counts[s])} {s}s" for s in ("error", "warning", "note") if s in counts
        )
        self.findings_summary.value = (
            f"<div class='pb-step-status'>{len(fresh)} new finding{'s' if len(fresh) != 1 else ''}"
            f"{f' ({parts})' if parts else ''}; {reviewed} marked reviewed. Fix what is wrong "
            "in the tabs or the workbook; mark the rest reviewed.</div>"
        )
        options = [
            (f"{r.severity} · {r.code} · {r.sheet}!{r.cell} · {r.message}", i)
            for i, r in zip(fresh.index, fresh.itertuples(index=False), strict=True)
        ]
        self.finding.options = options
        self.finding.value = options[0][1] if options else None

    def mark_reviewed(self) -> None:
        """Store the chosen finding's "reviewed" mark."""
        from practicebook.workbook import edits

        at = self.finding.value
        if at is None or at not in self.state.findings.index:
            self.review_messages.value = note("Choose a finding first.", "error")
            return
        finding = self.state.findings.loc[at].to_dict()
        text = self.review_note.value.strip() or None
        done = self.write_row(
            self.review_messages,
            lambda: edits.add_review(
                self.state.path, finding, note=text, **self.dash.write_options
            ),
        )
        if done is None:
            return
        self.review_note.value = ""
        self.review_messages.value = note(
            f"Marked reviewed: {finding['code']} at {finding['sheet']}!{finding['cell']}."
        )

    # --- balances, deposits ------------------------------------------------------------

    def show_balances(self) -> None:
        from practicebook.core import summary

        rec = self.state.reconcile_as_of(self.through)
        units = minor_units(rec.balances["balance"])
        owed, credit = int(units[units > 0].sum()), int(-units[units < 0].sum())
        money = self.state.money
        aging = summary.aging_totals(rec)
        cells = "".join(
            f"<tr><td>{html.escape(str(k))}</td><td class='pb-money'>{html.escape(money(v))}</td>"
            "</tr>"
            for k, v in aging.items()
        )
        currency = rec.currency
        self.balances.value = message_style() + (
            f"<div class='pb-monthend-owed'>On {html.escape(self.state.day(rec.as_of))} clients "
            f"owe {html.escape(money(from_minor(owed, currency)))} in all; the practice holds "
            f"{html.escape(money(from_minor(credit, currency)))} of credit.</div>"
            "<table class='pb-monthend-aging'><thead><tr><th>Days past due</th><th>Open</th>"
            f"</tr></thead><tbody>{cells}</tbody></table>"
        )

    def show_deposits(self) -> None:
        from practicebook import bank
        from practicebook.issues import Code

        self.store.layout.display = "none"
        if self.state.book.frame("BankLines").empty:
            self.deposits.value = (
                "<div class='pb-monthend-bank'>No bank statement in the workbook: import one "
                "(Bank tab, or <code>practicebook bank import</code>) to match deposits to "
                "payments; skip this step if you do not reconcile a bank account here.</div>"
            )
            return
        result = bank.match(self.state.book, self.through)
        status = result.lines["status"].value_counts()
        undeposited = sum(1 for i in result.issues if i.code is Code.UNDEPOSITED_PAYMENT)
        unmatched = int(status.get("unmatched", 0))
        self.deposits.value = (
            f"<div class='pb-monthend-bank'>Bank lines through "
            f"{html.escape(self.state.day(self.through))}: {int(status.get('matched', 0))} "
            f"matched, {unmatched} unmatched, {int(status.get('reconciled', 0))} reconciled; "
            f"{undeposited} payment{'s' if undeposited != 1 else ''} not yet seen in the bank."
            "</div>"
        )
        self.store.layout.display = None if result.updates() else "none"

    def store_matches(self) -> None:
        from practicebook import bank

        stored = self.write_row(
            self.review_messages,
            lambda: bank.store_matches(
                self.state.path, as_of=self.through, **self.dash.write_options
            ),
        )
        if stored is not None:
            self.deposits.value += note(f"Recorded the matches of {stored.lines} bank lines.")

    # --- closing ---------------------------------------------------------------------

    def show_closing(self) -> None:
        lock = self.state.book.settings.lock_through_date
        self.closing.value = (
            f"<div class='pb-monthend-lock'>The books are closed through "
            f"{html.escape(self.state.day(lock))}.</div>"
            if lock
            else "<div class='pb-monthend-lock'>The books have never been closed.</div>"
        )
        self.close.description = f"Close through {self.state.day(self.through)}…"
        self.close_question.value = ""
        self.close_confirm.layout.display = "none"

    def ask_close(self) -> None:
        """Check the period can be closed, and ask for a confirmation."""
        from practicebook.core.edits import close_period

        self.dash.refresh()
        closing = close_period(self.state.book, self.through, self.state.result.as_of)
        if not closing.accepted:
            errors = [i for i in closing.issues if i.is_error]
            shown = "".join(f"<li>{html.escape(i.message)}</li>" for i in errors[:10])
            more = f"<li>… and {len(errors) - 10} more</li>" if len(errors) > 10 else ""
            self.close_question.value = (
                "<div class='pb-msg-error'>The period cannot be closed yet:</div>"
                f"<ul class='pb-msg-error'>{shown}{more}</ul>"
            )
            return
        self.close_question.value = (
            f"<div class='pb-msg-warning'>Closing sets Lock through date to "
            f"{html.escape(self.state.day(self.through))} and records what the period holds, "
            "so a row entered or changed in it later is reported (locked-period); "
            "corrections are dated after that day. Confirm?</div>"
        )
        self.close_confirm.layout.display = None

    def close_period(self) -> None:
        from practicebook.workbook import edits

        through = self.through
        done = self.write_row(
            self.close_question,
            lambda: edits.close_period(
                self.state.path, through, as_of=self.state.result.as_of, **self.dash.write_options
            ),
        )
        if done is None:
            return
        self.close_question.value = note(
            f"Closed: the books are locked through {self.state.day(through)}."
        )
