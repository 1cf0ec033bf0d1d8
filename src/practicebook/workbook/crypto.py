"""Password-protected workbooks: detect, decrypt into memory, encrypt again.

An encrypted workbook is an OLE2 container around the OOXML package (ECMA-376 agile
encryption, as Excel writes it). The decrypted package never touches the disk.
msoffcrypto (with cryptography) is imported where it is used: reading a workbook that
is not encrypted never pays for loading it.
"""

from __future__ import annotations

import io

from practicebook.errors import WrongPassword

__all__ = ["OLE2_MAGIC", "decrypt_workbook", "encrypt_workbook", "is_encrypted"]

OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


def is_encrypted(data: bytes) -> bool:
    """True for an OLE2 container holding an encrypted OOXML package."""
    if not data.startswith(OLE2_MAGIC):
        return False
    import msoffcrypto

    try:
        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:  # msoffcrypto raises many kinds on OLE files it does not know
        return False


def decrypt_workbook(data: bytes, password: str) -> bytes:
    """Decrypt a password-protected workbook into memory (never to disk).

    Raises:
        WrongPassword: The password does not open the workbook.
    """
    import msoffcrypto
    from msoffcrypto.exceptions import DecryptionError, InvalidKeyError

    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    out = io.BytesIO()
    try:
        office.load_key(password=password, verify_password=True)
        office.decrypt(out)
    except (InvalidKeyError, DecryptionError) as exc:
        raise WrongPassword() from exc
    return out.getvalue()


def encrypt_workbook(data: bytes, password: str) -> bytes:
    """Encrypt a plain package with `password` (ECMA-376 agile encryption, as Excel does)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()
