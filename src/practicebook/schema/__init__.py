"""The workbook schema, declared once as data.

``spec`` is the vocabulary (``Kind``, ``Column``, ``Sheet``, ``Setting``); ``workbook``
declares the standard workbook with it; ``home`` lays out the Home sheet of the macro
workbook; ``reference`` turns the schema into the workbook reference in ``docs/``.

May import: the standard library and ``practicebook.issues`` only. Every other layer
reads the schema; the schema reads none of them.
"""

from __future__ import annotations

from practicebook.schema.spec import Column, Kind, Setting, Sheet, Workbook, normalize_header
from practicebook.schema.workbook import (
    ADJUSTMENT_TYPES,
    ADJUSTMENTS,
    CLIENTS,
    CLINICIANS,
    DERIVED_SHEETS,
    FEE_TYPES,
    INPUT_SHEETS,
    LISTS_SHEET,
    PAYMENT_METHODS,
    PAYMENTS,
    POLICIES,
    POLICY_TIERS,
    PRACTICE,
    PRACTICE_SETTINGS,
    RATES,
    SCHEMA_PROPERTY,
    SCHEMA_VERSION,
    SERVICES,
    SESSIONS,
    STATUSES,
    WORKBOOK,
)

__all__ = [
    "ADJUSTMENTS",
    "ADJUSTMENT_TYPES",
    "CLIENTS",
    "CLINICIANS",
    "DERIVED_SHEETS",
    "FEE_TYPES",
    "INPUT_SHEETS",
    "LISTS_SHEET",
    "PAYMENTS",
    "PAYMENT_METHODS",
    "POLICIES",
    "POLICY_TIERS",
    "PRACTICE",
    "PRACTICE_SETTINGS",
    "RATES",
    "SCHEMA_PROPERTY",
    "SCHEMA_VERSION",
    "SERVICES",
    "SESSIONS",
    "STATUSES",
    "WORKBOOK",
    "Column",
    "Kind",
    "Setting",
    "Sheet",
    "Workbook",
    "normalize_header",
]
