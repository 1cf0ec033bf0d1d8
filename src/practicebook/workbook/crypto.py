"""Password-protected workbooks: detect, check the protection, decrypt into memory, encrypt.

An encrypted workbook is an OLE2 container around the OOXML package (ECMA-376 agile
encryption, as Excel writes it). The decrypted package never touches the disk.

Before any key is derived, the protection itself is read here with defusedxml: an
``EncryptionInfo`` that declares a DTD or entities is refused (msoffcrypto would parse it
with minidom), and so is a key derivation set above ``MAX_SPIN_COUNT`` rounds, which
would keep the process busy for minutes (Excel uses 100,000 rounds; each 100,000 take
about a second here). msoffcrypto (with cryptography) is imported where it is used:
reading a workbook that is not encrypted never pays for loading it.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET

from practicebook.errors import UnreadableWorkbook, WrongPassword

__all__ = [
    "MAX_SPIN_COUNT",
    "OLE2_MAGIC",
    "Protection",
    "decrypt_workbook",
    "encrypt_workbook",
    "is_encrypted",
    "ole2_contents",
    "protection",
]

OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
#: Most key-derivation rounds accepted (Excel writes 100,000; the format allows 10,000,000).
MAX_SPIN_COUNT = 500_000
_STANDARD_SPIN_COUNT = 50_000  # fixed by ECMA-376 standard encryption
_MAX_INFO_BYTES = 1 << 20  # an EncryptionInfo stream is about 1 KiB
_NS_PASSWORD = "http://schemas.microsoft.com/office/2006/keyEncryptor/password"


@dataclass(frozen=True)
class Protection:
    """How an encrypted workbook is protected.

    Attributes:
        method: ``"agile"`` (what Excel 2010 and later write) or ``"standard"``.
        spin_count: rounds of hashing that derive the key from the password.
    """

    method: str
    spin_count: int


def _encryption_streams(data: bytes) -> bytes | None:
    """The ``EncryptionInfo`` stream of an OLE2 container holding an encrypted package."""
    if not data.startswith(OLE2_MAGIC):
        return None
    import olefile  # type: ignore[import-untyped]  # installed with msoffcrypto

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if not (ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage")):
                return None
            if ole.get_size("EncryptionInfo") > _MAX_INFO_BYTES:
                return b""  # damaged or hostile: no protection Excel writes is that large
            return bytes(ole.openstream("EncryptionInfo").read())
    except Exception:  # olefile raises many kinds on damaged containers
        return None


def ole2_contents(data: bytes) -> str:
    """What an OLE2 container that holds no encrypted package is: ``xls`` (an old-style
    workbook), ``damaged`` (the container cannot be read: truncated, say) or ``other``
    (a Word document, an Outlook message…)."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return "xls" if ole.exists("Workbook") or ole.exists("Book") else "other"
    except Exception:  # olefile raises many kinds on damaged containers
        return "damaged"


def is_encrypted(data: bytes) -> bool:
    """True for an OLE2 container holding an encrypted OOXML package."""
    return _encryption_streams(data) is not None


def protection(data: bytes, name: str = "workbook") -> Protection | None:
    """How ``data`` is protected, read without deriving a key; None when it is not an
    encrypted workbook.

    Raises:
        UnreadableWorkbook: the protection is damaged, of a kind Excel does not write,
            declares a DTD, or asks for more than ``MAX_SPIN_COUNT`` rounds.
    """
    info = _encryption_streams(data)
    if info is None:
        return None
    if len(info) < 8:
        raise UnreadableWorkbook(name, "the workbook's password protection is damaged")
    major, minor = struct.unpack("<HH", info[:4])
    if (major, minor) == (4, 4):
        found = Protection("agile", _agile_spin_count(info[8:], name))
    elif minor == 2 and major in (2, 3, 4):
        found = Protection("standard", _STANDARD_SPIN_COUNT)
    else:
        raise UnreadableWorkbook(
            name, f"the workbook uses a password protection Excel does not write ({major}.{minor})"
        )
    if found.spin_count > MAX_SPIN_COUNT:
        raise UnreadableWorkbook(
            name,
            f"the password protection asks for {found.spin_count:,} key-derivation rounds, "
            f"over the limit of {MAX_SPIN_COUNT:,} (Excel uses 100,000); "
            "open it in Excel and save it with a new password",
        )
    return found


def _agile_spin_count(xml: bytes, name: str) -> int:
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except Exception:  # a DTD, entities, or not XML at all
        raise UnreadableWorkbook(
            name, "the workbook's password protection is damaged or declares a DTD"
        ) from None
    key = next(root.iter(f"{{{_NS_PASSWORD}}}encryptedKey"), None)
    text = "" if key is None else str(key.get("spinCount", ""))
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise UnreadableWorkbook(name, "the workbook's password protection is damaged")
    return int(text)


def decrypt_workbook(data: bytes, password: str, *, name: str = "workbook") -> bytes:
    """Decrypt a password-protected workbook into memory (never to disk).

    Raises:
        WrongPassword: The password does not open the workbook.
        UnreadableWorkbook: the protection is damaged or asks for too much work
            (see ``protection``); ``name`` is the file named in the message.
    """
    if protection(data, name) is None:
        raise UnreadableWorkbook(name, "the workbook is not password-protected")
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
