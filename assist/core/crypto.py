"""Field encryption at rest and blind indexes (等保 2.0: ID and phone numbers encrypted).

Values are sealed with AES-256-GCM under a key derived (HKDF) from ``DATA_KEY``; equality and tail
searches use blind indexes, keyed HMAC-SHA256 digests under a second derived key, so the database
never holds a number in clear yet can still find a duplicate or a resident by the last digits.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "v1:"


@functools.lru_cache(maxsize=8)
def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"assist-field-keys", info=purpose).derive(
        secret.encode())


def _keys() -> tuple[bytes, bytes]:
    secret = current_app.config["DATA_KEY"]
    return _derive(secret, b"encrypt"), _derive(secret, b"blind-index")


def encrypt(plain: str) -> str:
    key, _ = _keys()
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plain.encode(), None)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise ValueError("unknown ciphertext format")
    key, _ = _keys()
    raw = base64.urlsafe_b64decode(token[len(PREFIX):])
    return AESGCM(key).decrypt(raw[:12], raw[12:], None).decode()


def blind_index(value: str, purpose: str) -> str:
    """A deterministic, keyed digest of ``value`` for lookups; ``purpose`` separates index families."""
    _, key = _keys()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


class Encrypted(sa.types.TypeDecorator):
    """A text column stored sealed; reads give the clear value back (inside an app context)."""

    impl = sa.String(255)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


def mask_id_number(id_number: str | None) -> str | None:
    """First 6 + last 4 shown: 150303********0012."""
    if not id_number:
        return id_number
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str | None) -> str | None:
    """First 3 + last 4 shown: 139****0000 (for the audit log, which keeps values for good)."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
