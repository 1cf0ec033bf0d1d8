"""What people and programs read: issues and tables as text (``text``), JSON
(``json``), and the derived sheets as ``SheetSpec``s (``sheets``, ``cells``). Pure.

May import: ``practicebook.core`` and below; never a file, spreadsheet or widget library.
"""
