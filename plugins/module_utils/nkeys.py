# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NATS nkeys: generate seeds and derive public keys, without the nkeys package.

The PyPI ``nkeys`` package has no curve (xkey) support, while plugNmeet's auth callout needs one.  Ed25519 and
X25519 come from ``cryptography``, which ansible-core already depends on.

Encoding (as NATS defines it): a public key is base32 (no padding) of ``prefix byte + 32 key bytes + CRC16``;
a seed is base32 of ``two prefix bytes (seed marker + key type) + 32 seed bytes + CRC16``.  The CRC is
CRC-16/XMODEM, little endian.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - ansible-core itself requires cryptography
    HAS_CRYPTOGRAPHY = False

PREFIX_SEED = 18 << 3
# Key types plugNmeet's NATS setup uses, plus the other NATS types so any key can be decoded.
PREFIXES = {
    'account': 0,
    'cluster': 2 << 3,
    'server': 13 << 3,
    'operator': 14 << 3,
    'user': 20 << 3,
    'curve': 23 << 3,
}
KIND_BY_PREFIX = dict((value, key) for key, value in PREFIXES.items())


class NkeyError(ValueError):
    """A seed or key that is not a valid NATS nkey."""


def _crc16(data):
    crc = 0
    for byte in bytearray(data):
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _encode(raw):
    raw = bytes(raw)
    crc = _crc16(raw)
    raw += bytes(bytearray([crc & 0xFF, crc >> 8]))
    return base64.b32encode(raw).decode('ascii').rstrip('=')


def _decode(text):
    if not isinstance(text, str) or not text:
        raise NkeyError('an nkey must be a non-empty string')
    padded = text + '=' * (-len(text) % 8)
    try:
        raw = bytearray(base64.b32decode(padded.encode('ascii')))
    except (ValueError, TypeError, UnicodeEncodeError):
        # Never echo the input: a password pasted into a seed field would leak.
        raise NkeyError('not base32')
    if len(raw) < 3:
        raise NkeyError('too short to be an nkey')
    body, crc = raw[:-2], raw[-2] | (raw[-1] << 8)
    if _crc16(body) != crc:
        raise NkeyError('checksum mismatch (the key was mistyped or truncated)')
    return body


def _require_crypto():
    if not HAS_CRYPTOGRAPHY:
        raise NkeyError('the Python library cryptography is required')


def encode_seed(kind, raw_seed):
    """The seed text for 32 raw seed bytes of the given kind ('account', 'user', 'curve', ...)."""
    if kind not in PREFIXES:
        raise NkeyError('unknown nkey kind %r; use one of %s' % (kind, ', '.join(sorted(PREFIXES))))
    if len(raw_seed) != 32:
        raise NkeyError('a seed has 32 bytes, got %d' % len(raw_seed))
    prefix = PREFIXES[kind]
    head = bytearray([PREFIX_SEED | (prefix >> 5), (prefix & 31) << 3])
    return _encode(bytes(head) + bytes(raw_seed))


def decode_seed(seed):
    """Return (kind, raw 32 seed bytes) of a seed, or raise NkeyError."""
    body = _decode(seed)
    if len(body) != 34:
        raise NkeyError('a seed decodes to 34 bytes, got %d' % len(body))
    if body[0] & 0xF8 != PREFIX_SEED:
        raise NkeyError('not a seed (seeds start with S)')
    prefix = ((body[0] & 7) << 5) | ((body[1] & 0xF8) >> 3)
    if prefix not in KIND_BY_PREFIX:
        raise NkeyError('unknown key type in seed')
    return KIND_BY_PREFIX[prefix], bytes(body[2:])


def generate_seed(kind):
    """A new random seed of the given kind."""
    return encode_seed(kind, os.urandom(32))


def encode_public(kind, raw_public):
    if kind not in PREFIXES:
        raise NkeyError('unknown nkey kind %r' % kind)
    return _encode(bytes(bytearray([PREFIXES[kind]])) + bytes(raw_public))


def decode_public(public_key):
    """Return (kind, raw 32 key bytes) of a public key, or raise NkeyError."""
    body = _decode(public_key)
    if len(body) != 33 or body[0] not in KIND_BY_PREFIX:
        raise NkeyError('not a public nkey')
    return KIND_BY_PREFIX[body[0]], bytes(body[1:])


def raw_public_key(kind, raw_seed):
    _require_crypto()
    raw = serialization.Encoding.Raw
    if kind == 'curve':
        key = x25519.X25519PrivateKey.from_private_bytes(raw_seed).public_key()
    else:
        key = ed25519.Ed25519PrivateKey.from_private_bytes(raw_seed).public_key()
    return key.public_bytes(raw, serialization.PublicFormat.Raw)


def public_key(seed):
    """The public key (A..., U..., X...) of a seed."""
    kind, raw_seed = decode_seed(seed)
    return encode_public(kind, raw_public_key(kind, raw_seed))


def sign(seed, data):
    """Ed25519 signature of data with an account/user/... seed (not curve)."""
    _require_crypto()
    kind, raw_seed = decode_seed(seed)
    if kind == 'curve':
        raise NkeyError('curve keys cannot sign')
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw_seed).sign(data)
