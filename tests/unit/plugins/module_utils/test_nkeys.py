# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/nkeys.py, cross-checked against the PyPI nkeys package and PyNaCl."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import os

import pytest

from ansible_collections.plugnmeet.deploy.plugins.module_utils import nkeys

try:  # The PyPI nkeys package (it depends on PyNaCl) is the reference implementation.
    import nkeys as reference
    import nacl.exceptions as nacl_exceptions
    import nacl.public as nacl_public
    import nacl.signing as nacl_signing
except ImportError:  # pragma: no cover - e.g. ansible-test's unit test venv
    reference = nacl_exceptions = nacl_public = nacl_signing = None

needs_reference = pytest.mark.skipif(reference is None, reason='the PyPI nkeys package and PyNaCl are not installed')

# The user seed of the NATS documentation and nats.go examples, with its well-known public key.
DOC_USER_SEED = 'SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY'
DOC_USER_PUBLIC = 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4'

# Signing kinds the reference package knows, with its prefix constant and the public key's first letter.
# The prefix bytes are NATS's constants (PREFIX_BYTE_ACCOUNT, ... in the nkeys package).
SIGNING_KINDS = {
    'account': (0, 'A'),
    'user': (20 << 3, 'U'),
    'server': (13 << 3, 'N'),
    'operator': (14 << 3, 'O'),
    'cluster': (2 << 3, 'C'),
}
FIRST_LETTER = dict((kind, letter) for kind, (_prefix, letter) in SIGNING_KINDS.items())
FIRST_LETTER['curve'] = 'X'

RAW_SEEDS = [
    bytes(bytearray(range(32))),
    b'\x00' * 32,
    b'\xff' * 32,
    hashlib.sha256(b'plugnmeet').digest(),
]


def _with_valid_crc(body):
    """Encode arbitrary body bytes as an nkey string with a correct checksum (to reach the checks behind the CRC)."""
    return nkeys._encode(bytes(body))  # pylint: disable=protected-access


def test_documented_user_seed_gives_documented_public_key():
    """The NATS documentation's example seed yields its published public key."""
    assert nkeys.public_key(DOC_USER_SEED) == DOC_USER_PUBLIC
    kind, _raw = nkeys.decode_seed(DOC_USER_SEED)
    assert kind == 'user'


@pytest.mark.parametrize('data', [b'', b'1', b'123456789', hashlib.sha256(b'x').digest()[:17], bytes(bytearray(range(256))) * 2],
                         ids=['empty', 'one', 'check', 'odd-length', 'all-bytes'])
@needs_reference
def test_crc16_matches_reference(data):
    """The CRC-16/XMODEM implementation equals the reference package's."""
    assert nkeys._crc16(data) == reference.crc16(bytearray(data))  # pylint: disable=protected-access


def test_crc16_check_value():
    """CRC-16/XMODEM of '123456789' is the catalogued check value 0x31C3."""
    assert nkeys._crc16(b'123456789') == 0x31C3  # pylint: disable=protected-access


@pytest.mark.parametrize('kind', sorted(SIGNING_KINDS))
@pytest.mark.parametrize('raw', RAW_SEEDS, ids=['counting', 'zeros', 'ones', 'hash'])
@needs_reference
def test_encode_seed_matches_reference(kind, raw):
    """encode_seed produces exactly the text the reference package produces for the same bytes and kind."""
    prefix, _letter = SIGNING_KINDS[kind]
    assert nkeys.encode_seed(kind, raw) == reference.encode_seed(raw, prefix).decode('ascii')


@pytest.mark.parametrize('kind', sorted(SIGNING_KINDS))
@needs_reference
def test_generated_seed_public_key_matches_reference(kind):
    """For every signing kind a generated seed's public key equals nkeys.from_seed(seed).public_key."""
    seed = nkeys.generate_seed(kind)
    prefix, letter = SIGNING_KINDS[kind]
    assert seed[0] == 'S' and seed[1] == letter
    ref_prefix, ref_raw = reference.decode_seed(seed.encode('ascii'))
    assert ref_prefix == prefix
    assert nkeys.decode_seed(seed) == (kind, bytes(ref_raw))
    expected = reference.from_seed(seed.encode('ascii')).public_key.decode('ascii')
    assert nkeys.public_key(seed) == expected
    assert expected.startswith(letter)


@pytest.mark.parametrize('kind', sorted(SIGNING_KINDS))
@pytest.mark.parametrize('raw', RAW_SEEDS, ids=['counting', 'zeros', 'ones', 'hash'])
@needs_reference
def test_fixed_seed_public_key_matches_reference(kind, raw):
    """Public keys of fixed seed bytes equal the reference package's, so the result is not luck of random input."""
    seed = nkeys.encode_seed(kind, raw)
    assert nkeys.public_key(seed) == reference.from_seed(seed.encode('ascii')).public_key.decode('ascii')


@pytest.mark.parametrize('kind', sorted(SIGNING_KINDS))
@needs_reference
def test_signature_verifies_with_reference_and_nacl(kind):
    """sign() makes Ed25519 signatures the reference package and the public key (through PyNaCl) accept."""
    seed = nkeys.generate_seed(kind)
    data = b'plugNmeet auth callout ' + os.urandom(8)
    signature = nkeys.sign(seed, data)
    assert len(signature) == 64
    assert reference.from_seed(seed.encode('ascii')).verify(data, signature) is True
    decoded_kind, raw_public = nkeys.decode_public(nkeys.public_key(seed))
    assert decoded_kind == kind
    verify_key = nacl_signing.VerifyKey(raw_public)
    assert verify_key.verify(data, signature) == data
    with pytest.raises(nacl_exceptions.BadSignatureError):
        verify_key.verify(data + b'!', signature)


@needs_reference
def test_signature_of_documented_seed_is_deterministic():
    """Ed25519 is deterministic: our signature equals the reference package's byte for byte."""
    data = b'nonce-1234'
    assert nkeys.sign(DOC_USER_SEED, data) == reference.from_seed(DOC_USER_SEED.encode('ascii')).sign(data)


@pytest.mark.parametrize('raw', RAW_SEEDS, ids=['counting', 'zeros', 'ones', 'hash'])
@needs_reference
def test_curve_public_key_matches_nacl(raw):
    """A curve (xkey) seed's public key is the X25519 public key PyNaCl derives from the same 32 bytes."""
    seed = nkeys.encode_seed('curve', raw)
    assert seed.startswith('SX')
    public = nkeys.public_key(seed)
    assert public.startswith('X')
    kind, raw_public = nkeys.decode_public(public)
    assert kind == 'curve'
    assert raw_public == bytes(nacl_public.PrivateKey(raw).public_key)


@needs_reference
def test_generated_curve_seed_matches_nacl():
    """A generated curve seed decodes to bytes whose X25519 public key PyNaCl agrees with."""
    seed = nkeys.generate_seed('curve')
    kind, raw = nkeys.decode_seed(seed)
    assert kind == 'curve' and len(raw) == 32
    assert nkeys.decode_public(nkeys.public_key(seed))[1] == bytes(nacl_public.PrivateKey(raw).public_key)


def test_curve_seed_cannot_sign():
    """Curve keys are for encryption; sign() refuses them."""
    with pytest.raises(nkeys.NkeyError, match='curve'):
        nkeys.sign(nkeys.generate_seed('curve'), b'data')


@pytest.mark.parametrize('kind', sorted(FIRST_LETTER))
def test_seed_round_trip_and_lengths(kind):
    """encode_seed/decode_seed and encode_public/decode_public are inverse; texts have NATS's lengths."""
    raw = os.urandom(32)
    seed = nkeys.encode_seed(kind, raw)
    assert len(seed) == 58 and '=' not in seed
    assert nkeys.decode_seed(seed) == (kind, raw)
    public = nkeys.public_key(seed)
    assert len(public) == 56 and public[0] == FIRST_LETTER[kind]
    assert nkeys.encode_public(*nkeys.decode_public(public)) == public


def test_generated_seeds_are_random():
    """Two generated seeds of the same kind differ."""
    assert nkeys.generate_seed('user') != nkeys.generate_seed('user')


def test_unknown_kind_is_refused():
    """encode_seed and encode_public name the allowed kinds for an unknown one."""
    with pytest.raises(nkeys.NkeyError, match='unknown nkey kind') as info:
        nkeys.encode_seed('private', b'\x00' * 32)
    assert 'account' in str(info.value) and 'curve' in str(info.value)
    with pytest.raises(nkeys.NkeyError):
        nkeys.generate_seed('bogus')
    with pytest.raises(nkeys.NkeyError):
        nkeys.encode_public('bogus', b'\x00' * 32)


@pytest.mark.parametrize('length', [0, 31, 33, 64])
def test_raw_seed_length_is_checked(length):
    """A seed is made of exactly 32 bytes."""
    with pytest.raises(nkeys.NkeyError, match='32 bytes'):
        nkeys.encode_seed('user', b'\x01' * length)


def _flip(text, index):
    """text with the base32 character at index replaced by a different valid one."""
    replacement = 'A' if text[index] != 'A' else 'B'
    return text[:index] + replacement + text[index + 1:]


@pytest.mark.parametrize('index', [5, 20, 40, 55])
def test_wrong_checksum_is_refused(index):
    """A mistyped character changes the CRC and is detected, and the message does not repeat the seed."""
    bad = _flip(DOC_USER_SEED, index)
    with pytest.raises(nkeys.NkeyError, match='checksum') as info:
        nkeys.decode_seed(bad)
    assert bad not in str(info.value)
    with pytest.raises(nkeys.NkeyError, match='checksum'):
        nkeys.public_key(bad)


@pytest.mark.parametrize('cut', [1, 2, 3, 8, 20, 57])
def test_truncated_seed_is_refused(cut):
    """A seed missing characters at the end never decodes."""
    bad = DOC_USER_SEED[:-cut]
    with pytest.raises(nkeys.NkeyError) as info:
        nkeys.decode_seed(bad)
    # Only the two-character type prefix (S + kind letter) may appear in a message, never the key material.
    assert len(bad) <= 2 or bad not in str(info.value)


def test_short_body_with_valid_checksum_is_refused():
    """A correctly checksummed text of the wrong size is not taken for a seed."""
    body = bytearray(nkeys.PREFIX_SEED.to_bytes(1, 'big')) + bytearray(32)
    with pytest.raises(nkeys.NkeyError, match='34 bytes'):
        nkeys.decode_seed(_with_valid_crc(body))


@pytest.mark.parametrize('text', [
    'suacssl3uahudxkfsnvuzrf5uhpmwz6bfdtj7m6usdxiednppqyyycu3vy',  # lower case is not NATS's alphabet
    'SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3V1',  # 1 is not base32
    'S!ACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY',
    'SUACSSL3 UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY',
    u'SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3V\u00e9',
    'hunter2-is-my-password',
])
def test_not_base32_is_refused(text):
    """Text outside the base32 alphabet raises NkeyError (not a bare ValueError), without echoing the input."""
    with pytest.raises(nkeys.NkeyError) as info:
        nkeys.decode_seed(text)
    assert text not in str(info.value)


@pytest.mark.parametrize('value', ['', None, 42, b'SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY', ['S']])
def test_non_string_or_empty_is_refused(value):
    """Only a non-empty text is an nkey."""
    with pytest.raises(nkeys.NkeyError, match='non-empty string'):
        nkeys.decode_seed(value)


def test_too_short_to_carry_a_checksum():
    """Two bytes cannot hold a body and a CRC."""
    with pytest.raises(nkeys.NkeyError):
        nkeys.decode_seed('AAAA')


@pytest.mark.parametrize('kind', sorted(FIRST_LETTER))
def test_public_key_is_not_a_seed(kind):
    """A public key handed where a seed is expected is refused as 'not a seed'."""
    public = nkeys.public_key(nkeys.generate_seed(kind))
    with pytest.raises(nkeys.NkeyError, match='seed'):
        nkeys.decode_seed(public)
    with pytest.raises(nkeys.NkeyError):
        nkeys.public_key(public)


def test_seed_is_not_a_public_key():
    """decode_public refuses a seed."""
    with pytest.raises(nkeys.NkeyError, match='not a public nkey'):
        nkeys.decode_public(DOC_USER_SEED)


def test_non_seed_prefix_with_valid_checksum_is_refused():
    """34 correctly checksummed bytes that do not start with the seed marker are 'not a seed'."""
    body = bytearray([nkeys.PREFIXES['user'], 0]) + bytearray(32)
    with pytest.raises(nkeys.NkeyError, match='not a seed'):
        nkeys.decode_seed(_with_valid_crc(body))


def test_seed_of_unknown_key_type_is_refused():
    """A seed whose type is not a NATS key type (here the private-key prefix P) is refused."""
    private_prefix = 15 << 3
    body = bytearray([nkeys.PREFIX_SEED | (private_prefix >> 5), (private_prefix & 31) << 3]) + bytearray(32)
    with pytest.raises(nkeys.NkeyError, match='unknown key type'):
        nkeys.decode_seed(_with_valid_crc(body))


def test_public_key_of_unknown_type_is_refused():
    """A checksummed 33-byte key with an unknown prefix byte is not a public nkey."""
    with pytest.raises(nkeys.NkeyError, match='not a public nkey'):
        nkeys.decode_public(_with_valid_crc(bytearray([15 << 3]) + bytearray(32)))


def test_padding_is_not_required_but_tolerated():
    """Seeds are stored without base32 padding; a padded copy decodes the same."""
    padded = base64.b32encode(base64.b32decode(DOC_USER_SEED + '======')).decode('ascii')
    assert padded.endswith('=')
    assert nkeys.decode_seed(padded) == nkeys.decode_seed(DOC_USER_SEED)


def test_nkey_error_is_a_value_error():
    """Callers may catch NkeyError as ValueError."""
    assert issubclass(nkeys.NkeyError, ValueError)
