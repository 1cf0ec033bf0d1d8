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

Public Sub Invoice()
    RunEntry "invoice_main"
End Sub

Public Sub Estimate()
    RunEntry "estimate_main"
End Sub

Public Sub MatchDeposits()
    RunEntry "match_deposits_main"
End Sub

Public Sub ImportBankFile()
    ' The statement file typed in Home's Import bank file form (N6); when it is blank,
    ' desktop Excel asks for one and puts its path there first.
    Dim chosen As Variant
    If Trim(CStr(ThisWorkbook.Worksheets("Home").Range("N6").Value)) = "" Then
        chosen = Application.GetOpenFilename( _
            "Bank and processor statements (*.csv;*.ofx;*.qfx;*.xml),*.csv;*.ofx;*.qfx;*.xml", , _
            "Import bank file")
        If VarType(chosen) = vbBoolean Then Exit Sub
        ThisWorkbook.Worksheets("Home").Range("N6").Value = chosen
    End If
    RunEntry "import_bank_file_main"
End Sub

Public Sub Receipt()
    RunEntry "receipt_main"
End Sub
