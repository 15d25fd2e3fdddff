# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/secrets.py: generation, validation and rendering of the deployment's secrets.

The values here are generated for the test only; still, no test prints one, and error messages are checked never to
contain the offending value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import string

import pytest
import yaml

from ansible_collections.plugnmeet.deploy.plugins.module_utils import nkeys
from ansible_collections.plugnmeet.deploy.plugins.module_utils import secrets

ALPHANUMERIC = set(string.ascii_letters + string.digits)
KIND_BY_NAME = dict((name, kind) for name, _generate, kind in secrets.SPEC)
TOKEN_NAMES = [name for name, kind in KIND_BY_NAME.items() if kind == 'token']
SEED_NAMES = [name for name, kind in KIND_BY_NAME.items() if kind != 'token']


def test_spec_names_and_kinds():
    """The file holds the nine documented secrets; the three NATS seeds are account, user and curve."""
    assert secrets.NAMES == (
        'plugnmeet_api_key', 'plugnmeet_api_secret', 'livekit_api_key', 'livekit_api_secret',
        'nats_auth_callout_issuer_seed', 'nats_server_user_seed', 'nats_auth_callout_xkey_seed',
        'mariadb_password', 'redis_password',
    )
    assert KIND_BY_NAME['nats_auth_callout_issuer_seed'] == 'account'
    assert KIND_BY_NAME['nats_server_user_seed'] == 'user'
    assert KIND_BY_NAME['nats_auth_callout_xkey_seed'] == 'curve'


@pytest.mark.parametrize('length,prefix', [(0, ''), (1, ''), (12, 'API'), (48, ''), (12, 'plugnmeet')])
def test_random_token_shape(length, prefix):
    """random_token is the prefix plus length letters and digits."""
    token = secrets.random_token(length, prefix)
    assert token.startswith(prefix)
    assert len(token) == len(prefix) + length
    assert set(token) <= ALPHANUMERIC


def test_random_token_is_random():
    """Two tokens of useful length differ."""
    assert secrets.random_token(32) != secrets.random_token(32)


@pytest.mark.parametrize('stored', [None, {}])
def test_complete_generates_everything_when_nothing_is_stored(stored):
    """A missing or empty file yields every secret, generated now, in the file's order."""
    values, generated = secrets.complete(stored)
    assert generated == list(secrets.NAMES)
    assert sorted(values) == sorted(secrets.NAMES)
    for name, _generate, kind in secrets.SPEC:
        secrets.validate(name, values[name], kind)  # every generated value passes its own check


def test_generated_values_have_the_expected_shape():
    """API keys carry their prefixes, LiveKit's secret is long enough, seeds are of their kind."""
    values, _generated = secrets.complete(None)
    assert values['plugnmeet_api_key'].startswith('plugnmeet') and len(values['plugnmeet_api_key']) == 21
    assert values['livekit_api_key'].startswith('API') and len(values['livekit_api_key']) == 15
    assert len(values['livekit_api_secret']) >= 32  # LiveKit refuses shorter secrets
    assert len(values['plugnmeet_api_secret']) == 40
    assert len(values['mariadb_password']) == 32 and len(values['redis_password']) == 32
    for name in TOKEN_NAMES:
        assert set(values[name]) <= ALPHANUMERIC, name
    for name in SEED_NAMES:
        assert nkeys.decode_seed(values[name])[0] == KIND_BY_NAME[name], name


def test_complete_is_random_per_call():
    """Two fresh deployments never share a secret."""
    first, _unused = secrets.complete(None)
    second, _unused = secrets.complete(None)
    for name in secrets.NAMES:
        assert first[name] != second[name], name


def test_complete_keeps_existing_values_and_generates_only_missing():
    """Stored values are returned unchanged; only absent names are generated and reported."""
    full, _generated = secrets.complete(None)
    stored = dict((name, full[name]) for name in ('livekit_api_secret', 'nats_server_user_seed', 'redis_password'))
    snapshot = dict(stored)
    values, generated = secrets.complete(stored)
    assert stored == snapshot, 'complete() must not modify its argument'
    for name in stored:
        assert values[name] == stored[name], name
    assert generated == [name for name in secrets.NAMES if name not in stored]
    assert sorted(values) == sorted(secrets.NAMES)


def test_complete_of_a_complete_set_changes_nothing():
    """A complete, valid set generates nothing and comes back equal."""
    full, _generated = secrets.complete(None)
    values, generated = secrets.complete(dict(full))
    assert generated == []
    assert values == full


def test_complete_keeps_extra_user_keys():
    """Keys a user added to the file survive untouched (they are not validated)."""
    full, _generated = secrets.complete(None)
    full['my_extra'] = 'anything: "goes" here'
    full['my_number'] = 7
    values, generated = secrets.complete(full)
    assert generated == []
    assert values['my_extra'] == 'anything: "goes" here'
    assert values['my_number'] == 7


@pytest.mark.parametrize('stored', [[], ['redis_password'], 'redis_password: x', 42])
def test_complete_refuses_a_non_mapping(stored):
    """A file that is not a mapping is refused with SecretsError."""
    with pytest.raises(secrets.SecretsError, match='mapping'):
        secrets.complete(stored)


BAD_TOKENS = [
    ('redis_password', 'sh0rt', 'shorter than 12'),
    ('livekit_api_secret', 'a1' * 12, 'shorter than 32'),
    ('redis_password', 'with-dash-and-long-enough', 'letters and digits'),
    ('mariadb_password', 'Sp@ce and colon: 1234567890', 'letters and digits'),
    ('livekit_api_secret', u'unicod\u00e9unicodeunicode', 'letters and digits'),
    ('plugnmeet_api_secret', '', 'non-empty string'),
    ('plugnmeet_api_key', 123456789012345, 'non-empty string'),
    ('plugnmeet_api_key', None, 'non-empty string'),
    ('livekit_api_key', ['APIabcdefabcdef'], 'non-empty string'),
]


@pytest.mark.parametrize('name,value,reason', BAD_TOKENS)
def test_validate_refuses_bad_tokens_without_echoing_them(name, value, reason):
    """A bad token raises SecretsError that names the secret and never contains the value."""
    with pytest.raises(secrets.SecretsError) as info:
        secrets.validate(name, value, 'token')
    message = str(info.value)
    assert name in message
    assert reason in message
    if isinstance(value, str) and value:
        assert value not in message


def _corrupt(seed):
    return seed[:10] + ('A' if seed[10] != 'A' else 'B') + seed[11:]


# case id -> (secret name, how to make the bad value, expected kind, expected reason). Values are made inside the
# test, so test ids stay stable (pytest-xdist) and never show a key.
SEED_CASES = {
    'account-as-user': ('nats_server_user_seed', lambda: nkeys.generate_seed('account'), 'user',
                        'must be a user seed, found a account seed'),
    'user-as-account': ('nats_auth_callout_issuer_seed', lambda: nkeys.generate_seed('user'), 'account',
                        'must be a account seed'),
    'account-as-curve': ('nats_auth_callout_xkey_seed', lambda: nkeys.generate_seed('account'), 'curve',
                         'must be a curve seed'),
    'curve-as-user': ('nats_server_user_seed', lambda: nkeys.generate_seed('curve'), 'user', 'found a curve seed'),
    'corrupt': ('nats_server_user_seed', lambda: _corrupt(nkeys.generate_seed('user')), 'user', 'checksum'),
    'truncated': ('nats_server_user_seed', lambda: nkeys.generate_seed('user')[:-3], 'user', 'not an nkey seed'),
    'public-key': ('nats_server_user_seed', lambda: nkeys.public_key(nkeys.generate_seed('user')), 'user',
                   'not an nkey seed'),
    'token': ('nats_auth_callout_issuer_seed', lambda: 'averylongalphanumerictoken1234567890', 'account',
              'not an nkey seed'),
    'empty': ('nats_auth_callout_issuer_seed', lambda: '', 'account', 'non-empty string'),
    'none': ('nats_auth_callout_issuer_seed', lambda: None, 'account', 'non-empty string'),
}


@pytest.mark.parametrize('case', sorted(SEED_CASES))
def test_validate_refuses_bad_seeds_without_echoing_them(case):
    """A wrong-kind, corrupt or non-seed value raises SecretsError naming the secret, not containing the value."""
    name, make, kind, reason = SEED_CASES[case]
    value = make()
    with pytest.raises(secrets.SecretsError) as info:
        secrets.validate(name, value, kind)
    message = str(info.value)
    assert name in message
    assert reason in message
    if value:
        assert value not in message
        assert value[2:] not in message


@pytest.mark.parametrize('name', list(secrets.NAMES))
def test_complete_validates_each_stored_value(name):
    """complete() refuses a stored set with one bad value, naming that secret and not its value."""
    full, _generated = secrets.complete(None)
    bad = 'not valid !! %s' % name
    full[name] = bad
    with pytest.raises(secrets.SecretsError) as info:
        secrets.complete(full)
    assert name in str(info.value)
    assert bad not in str(info.value)


def test_secrets_error_is_a_value_error():
    """Callers may catch SecretsError as ValueError."""
    assert issubclass(secrets.SecretsError, ValueError)


def test_render_round_trips_through_yaml():
    """render() output loads back (yaml.safe_load) to exactly the same values."""
    values, _generated = secrets.complete(None)
    assert yaml.safe_load(secrets.render(values)) == values


def test_render_is_commented_ordered_and_reloadable():
    """render() has a comment asking for mode 0600, lists SPEC order then extra keys sorted, one line each."""
    values, _generated = secrets.complete(None)
    values['zz_extra'] = 'z'
    values['aa_extra'] = 'a'
    text = secrets.render(values)
    assert text.endswith('\n')
    lines = text.splitlines()
    comments = [line for line in lines if line.startswith('#')]
    assert any('0600' in line for line in comments)
    entries = [line for line in lines if line and not line.startswith('#') and line != '---']
    keys = [line.split(':', 1)[0] for line in entries]
    # The generated names in their order, then the user-added ones sorted.
    assert keys == list(secrets.NAMES) + ['aa_extra', 'zz_extra']
    reloaded, generated = secrets.complete(yaml.safe_load(text))
    assert generated == []
    assert reloaded == values


@pytest.mark.parametrize('extra_value', [
    'plain',
    'colon: inside',
    'single \'quotes\' and "double quotes"',
    '# not a comment',
    '{"looks": ["like", "json"]}',
    '- dash first',
    '  leading and trailing spaces  ',
    'line one\nline two\ttab',
    'backslash \\ and \\n literal',
    u'unicode \u00e9\u4e2d \u2028 separator',
    'yes',
    'null',
    '0777',
    '1e3',
    '',
    42,
    True,
    None,
    ['a', 'b: c'],
    {'nested': 'x: "y"'},
])
def test_render_round_trips_extra_values_with_special_characters(extra_value):
    """An extra user key's value with quotes, colons, YAML keywords or non-strings survives render + safe_load."""
    values, _generated = secrets.complete(None)
    values['my_extra'] = extra_value
    assert yaml.safe_load(secrets.render(values)) == values


@pytest.mark.parametrize('extra_key', ['it\'s "quoted"', 'with space', 'CamelCase_1'])
def test_render_round_trips_harmless_extra_key_names(extra_key):
    """Extra key names without YAML-significant characters survive render + safe_load."""
    values, _generated = secrets.complete(None)
    values[extra_key] = 'value: "with" \'quotes\''
    assert yaml.safe_load(secrets.render(values)) == values


@pytest.mark.parametrize('extra_key', ['my: key', 'null', 'on', '123', '#hash', '- dash', '[bracket]'])
def test_render_round_trips_extra_key_names_with_yaml_syntax(extra_key):
    """An extra key whose *name* contains a colon or YAML syntax should reload as the same string key."""
    values, _generated = secrets.complete(None)
    values[extra_key] = 'x'
    assert yaml.safe_load(secrets.render(values)) == values


def test_render_round_trips_characters_outside_the_bmp():
    """An extra value with an emoji reloads as the same string."""
    values, _generated = secrets.complete(None)
    values['my_extra'] = u'smile \U0001F600'
    # Compared as ASCII text: the corrupted value holds lone surrogates, which pytest-xdist cannot transport.
    reloaded = yaml.safe_load(secrets.render(values))['my_extra']
    assert ascii(reloaded) == ascii(values['my_extra'])
