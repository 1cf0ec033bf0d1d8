"""The pure core: a ``Book`` in, every figure and finding out, with no file I/O.

Session rates, the cancellation-policy engine (``policy``), the ledger, allocation,
balances and aging, ledger controls, the explanation of a client's balance, the
what-if (``simulate``), new rows and stamps (``entry``), chart totals (``summary``) and
the audit chain (``audit``). Money is ``int64`` minor units inside.

May import: ``practicebook.parse``, ``practicebook.schema`` and the base modules; pandas,
numpy, pyarrow and babel. Never a spreadsheet, widget, CLI or file library.
"""
