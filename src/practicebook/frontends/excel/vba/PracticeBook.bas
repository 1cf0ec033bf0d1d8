Attribute VB_Name = "PracticeBook"
' The buttons of the workbook (on Home, and on Sessions, Clients and Payments, where
' they act on the selected row). Each macro runs one entry point of the Python module
' practicebook.frontends.excel through xlwings' RunPython (module "xlwings" in this
' project), which
' needs Python with practicebook[excel] installed; see the README, "Excel front door".
' This file is the source: python -m practicebook.frontends.excel.build builds it into the template.
Option Explicit

Private Sub RunEntry(entry As String)
    RunPython "import practicebook.frontends.excel as pb; pb." & entry & "()"
End Sub

Public Sub Reconcile()
    RunEntry "reconcile_main"
End Sub

Public Sub AddSession()
    RunEntry "add_session_main"
End Sub

Public Sub RecordPayment()
    RunEntry "record_payment_main"
End Sub

Public Sub PreviewCancellation()
    RunEntry "preview_cancellation_main"
End Sub

Public Sub MarkLateCancellation()
    RunEntry "mark_cancellation_main"
End Sub

Public Sub ExplainBalance()
    RunEntry "explain_balance_main"
End Sub

Public Sub CheckWorkbook()
    RunEntry "check_workbook_main"
End Sub

Public Sub Statement()
    RunEntry "statement_main"
End Sub

Public Sub Superbill()
    RunEntry "superbill_main"
End Sub

Public Sub MatchDeposits()
    RunEntry "match_deposits_main"
End Sub

Public Sub Receipt()
    RunEntry "receipt_main"
End Sub
