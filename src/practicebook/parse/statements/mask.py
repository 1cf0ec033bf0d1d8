"""Statement descriptions masked as far as matching allows.

A bank's description of a deposit often carries the payer's name ("ZELLE FROM ADA
EXAMPLE", "E-TRANSFER ADA"), and the workbook must not keep it. Matching never reads a
description; people read it to recognise the kind of line. So the description keeps
the words that say what kind of line it is (a fixed list of banking words, in any
case), short numbers (cheque and branch numbers) and the processors' own IDs; every
other word becomes ``***`` (runs of them one ``***``).

>>> mask_description("ZELLE FROM ADA EXAMPLE 8841")
'ZELLE FROM *** 8841'
>>> mask_description("Mobile deposit - cheque 1042")
'MOBILE DEPOSIT - CHEQUE 1042'
>>> mask_description("STRIPE TRANSFER ST-K3J9X2 ada@example.com 5551234567")
'STRIPE TRANSFER ***'
"""

from __future__ import annotations

import functools
import re

__all__ = ["MASK", "mask_description"]

MASK = "***"
#: Longest description kept: enough for the kind of line and its numbers.
MAX_LENGTH = 60

#: Words that say what kind of line it is and never name anyone.
_KEEP = frozenset(
    """
    ach atm auto autopay bank banking bill bpay branch cash charge cheque check chq cr
    credit debit dep deposit direct dividend dr e-transfer echeck eft etransfer fee fees
    from giro incoming interac interest internal inward mobile monthly online outgoing
    overdraft payment payout payouts paypal pos purchase received refund remote returned
    reversal service settlement sq square stripe sweep to transfer transfers trf venmo
    wire withdrawal xfer zelle faster payments sepa bacs chaps int'l international
    card visa mastercard amex merchant batch net gross adj adjustment correction funds
    """.split()
)
#: A processor's own ID (``po_1Qx…``, ``txn_…``, ``ch_…``): says which payout it is.
_PROCESSOR_ID = re.compile(r"^(po|py|tr|txn|ch|pi|re|pyr)_[A-Za-z0-9]{4,}$")
_NUMBER = re.compile(r"^#?\d{1,6}$")
_TOKEN = re.compile(r"[^\s/|,;:]+|[/|,;:]")
_PUNCT = frozenset("-/|,;:")


def _kept(word: str) -> str | None:
    if word in _PUNCT:
        return word
    plain = word.strip(".()[]*#'\"").casefold()
    if plain in _KEEP or plain.rstrip("s") in _KEEP:
        return word.upper()
    if _NUMBER.match(word) or _PROCESSOR_ID.match(word):
        return word
    return None


@functools.lru_cache(maxsize=8192)  # a statement repeats its descriptions
def mask_description(text: str) -> str:
    """``text`` with every word that could name someone replaced (see the module)."""
    out: list[str] = []
    for word in _TOKEN.findall(" ".join(text.split())):
        kept = _kept(word)
        if kept is None:
            if not out or out[-1] != MASK:
                out.append(MASK)
        elif kept in _PUNCT and out and out[-1] == MASK:
            continue  # "ADA / EXAMPLE" is one name
        else:
            out.append(kept)
    while out and out[-1] in _PUNCT:
        out.pop()
    masked = " ".join(out)
    return masked if len(masked) <= MAX_LENGTH else masked[: MAX_LENGTH - 1] + "…"
