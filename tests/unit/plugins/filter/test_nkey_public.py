# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/filter/nkey_public.py: the public half of a NATS seed, with an optional kind check."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.plugnmeet.deploy.plugins.filter.nkey_public import FilterModule
from ansible_collections.plugnmeet.deploy.plugins.module_utils import nkeys

try:  # The PyPI nkeys package is the reference implementation.
    import nkeys as reference
except ImportError:  # pragma: no cover - e.g. ansible-test's unit test venv
    reference = None

DOC_USER_SEED = 'SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY'
DOC_USER_PUBLIC = 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4'
KINDS = ['account', 'user', 'server', 'operator', 'cluster', 'curve']


@pytest.fixture
def nkey_public():
    return FilterModule().filters()['nkey_public']


def test_filter_is_registered():
    """FilterModule exposes exactly the nkey_public filter as a callable."""
    filters = FilterModule().filters()
    assert list(filters) == ['nkey_public']
    assert callable(filters['nkey_public'])


def test_documented_seed(nkey_public):
    """The NATS documentation's user seed gives its published public key, with and without kind='user'."""
    assert nkey_public(DOC_USER_SEED) == DOC_USER_PUBLIC
    assert nkey_public(DOC_USER_SEED, kind='user') == DOC_USER_PUBLIC


@pytest.mark.skipif(reference is None, reason='the PyPI nkeys package is not installed')
@pytest.mark.parametrize('kind', ['account', 'user', 'server', 'operator', 'cluster'])
def test_signing_kinds_match_reference(nkey_public, kind):
    """For every signing kind the filter returns what nkeys.from_seed(seed).public_key returns."""
    seed = nkeys.generate_seed(kind)
    expected = reference.from_seed(seed.encode('ascii')).public_key.decode('ascii')
    assert nkey_public(seed) == expected
    assert nkey_public(seed, kind=kind) == expected


def test_curve_seed(nkey_public):
    """A curve seed gives an X... key equal to the module_utils derivation."""
    seed = nkeys.generate_seed('curve')
    public = nkey_public(seed, kind='curve')
    assert public.startswith('X') and public == nkeys.public_key(seed)


def test_bytes_input(nkey_public):
    """A seed passed as bytes is accepted (the filter converts to text)."""
    assert nkey_public(DOC_USER_SEED.encode('ascii')) == DOC_USER_PUBLIC


@pytest.mark.parametrize('actual,wanted', [
    (actual, wanted) for wanted in ('account', 'user', 'curve') for actual in KINDS if actual != wanted])
def test_kind_mismatch_fails_without_the_seed(nkey_public, actual, wanted):
    """kind= refuses a seed of another kind; the message names both kinds and not the seed."""
    seed = nkeys.generate_seed(actual)
    with pytest.raises(AnsibleFilterError) as info:
        nkey_public(seed, kind=wanted)
    message = str(info.value)
    assert message.startswith('nkey_public:')
    assert 'expected a %s seed, got a %s seed' % (wanted, actual) in message
    assert seed not in message and seed[2:] not in message


def _corrupt(seed):
    return seed[:30] + ('A' if seed[30] != 'A' else 'B') + seed[31:]


@pytest.mark.parametrize('bad', [
    _corrupt(DOC_USER_SEED),
    DOC_USER_SEED[:-4],
    DOC_USER_SEED.lower(),
    DOC_USER_PUBLIC,
    'S' + 'x' * 57,
    '',
])
def test_invalid_seed_fails_without_the_seed(nkey_public, bad):
    """Corrupt, truncated, non-base32, public or empty input raises AnsibleFilterError that does not echo it."""
    with pytest.raises(AnsibleFilterError) as info:
        nkey_public(bad)
    message = str(info.value)
    assert message.startswith('nkey_public:')
    if bad:
        assert bad not in message
        assert bad[2:] not in message


def test_invalid_seed_with_kind_fails_on_the_seed_first(nkey_public):
    """A corrupt seed fails as corrupt (checksum), not as a kind mismatch."""
    with pytest.raises(AnsibleFilterError, match='checksum'):
        nkey_public(_corrupt(DOC_USER_SEED), kind='account')


def test_filter_in_a_playbook(run_playbook, tmp_path):
    """Through a real ansible-playbook the FQCN filter works, and a kind mismatch fails without printing the seed."""
    account_seed = nkeys.generate_seed('account')
    vars_file = tmp_path / 'seeds.yml'
    vars_file.write_text('user_seed: %s\naccount_seed: %s\n' % (DOC_USER_SEED, account_seed))
    run = run_playbook([
        {'name': 'load', 'ansible.builtin.include_vars': {'file': str(vars_file)}, 'no_log': True},
        {'name': 'derive', 'ansible.builtin.debug': {
            'msg': "{{ user_seed | plugnmeet.deploy.nkey_public(kind='user') }}"}},
        {'name': 'mismatch', 'ansible.builtin.debug': {
            'msg': "{{ account_seed | plugnmeet.deploy.nkey_public(kind='user') }}"}, 'ignore_errors': True},
    ])
    assert run.rc == 0, run.describe()
    assert run['derive']['msg'] == DOC_USER_PUBLIC
    assert run['mismatch'].get('failed') is True
    assert 'expected a user seed, got a account seed' in run['mismatch']['msg']
    assert account_seed not in run.stdout and account_seed not in run.stderr
