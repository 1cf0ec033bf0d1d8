"""The workbook file: the pre-flight guard and encryption, the reader, the part-level
OOXML editor, the safe-write protocol, the writer and the template.

May import: ``practicebook.render`` and below; fastexcel, openpyxl (templates only),
XlsxWriter, msoffcrypto, filelock. Never a front door.
"""
