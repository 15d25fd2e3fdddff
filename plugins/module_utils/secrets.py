# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment's secrets: what exists, how each one is generated, and how a stored set is checked.

Every secret two components must agree on is generated once, here, and read from one file by every role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import secrets as _random
import string

from ansible_collections.plugnmeet.deploy.plugins.module_utils import nkeys

_ALPHANUMERIC = string.ascii_letters + string.digits


def random_token(length, prefix=''):
    """Letters and digits only: the values end up in YAML, URLs, NATS subjects and shell-free configs."""
    return prefix + ''.join(_random.choice(_ALPHANUMERIC) for _unused in range(length))


# name -> (how to generate, what a valid value looks like). Order is the file's order.
SPEC = (
    ('plugnmeet_api_key', lambda: random_token(12, 'plugnmeet'), 'token'),
    ('plugnmeet_api_secret', lambda: random_token(40), 'token'),
    ('livekit_api_key', lambda: random_token(12, 'API'), 'token'),
    ('livekit_api_secret', lambda: random_token(48), 'token'),
    ('nats_auth_callout_issuer_seed', lambda: nkeys.generate_seed('account'), 'account'),
    ('nats_server_user_seed', lambda: nkeys.generate_seed('user'), 'user'),
    ('nats_auth_callout_xkey_seed', lambda: nkeys.generate_seed('curve'), 'curve'),
    ('mariadb_password', lambda: random_token(32), 'token'),
    ('redis_password', lambda: random_token(32), 'token'),
)
NAMES = tuple(name for name, _gen, _kind in SPEC)
# Shortest value accepted for a token; livekit-server 1.13 logs "secret is too short, should be at least 32
# characters for security" for a shorter API secret (and starts anyway).
MIN_LENGTH = {'livekit_api_secret': 32}


class SecretsError(ValueError):
    """A stored secrets file that cannot be used as it is."""


def validate(name, value, kind):
    if not isinstance(value, str) or not value:
        raise SecretsError('%s must be a non-empty string' % name)
    if kind == 'token':
        if any(char not in _ALPHANUMERIC for char in value):
            raise SecretsError('%s may only contain letters and digits' % name)
        shortest = MIN_LENGTH.get(name, 12)
        if len(value) < shortest:
            raise SecretsError('%s is shorter than %d characters: remove it from the file and run again to have a '
                               'new one generated' % (name, shortest))
        return
    try:
        found, _raw = nkeys.decode_seed(value)
    except nkeys.NkeyError as exc:
        raise SecretsError('%s is not an nkey seed: %s' % (name, exc))
    if found != kind:
        raise SecretsError('%s must be a %s seed, found a %s seed' % (name, kind, found))


def complete(stored):
    """Return (all secrets, names that were generated now). Existing values are kept and checked."""
    if stored is None:
        stored = {}
    if not isinstance(stored, dict):
        raise SecretsError('the secrets file must hold a mapping of names to values')
    result = dict(stored)
    generated = []
    for name, generate, kind in SPEC:
        if name in stored:
            validate(name, stored[name], kind)
        else:
            result[name] = generate()
            generated.append(name)
    return result, generated


def _yaml_printable(char):
    code = ord(char)
    # YAML's printable set, minus the characters a double-quoted scalar would fold as line breaks.
    return (0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000) \
        and code not in (0x2028, 0x2029)


def _yaml_quote(value):
    """YAML flow text of a value a user may have added: strings double-quoted (JSON escaping, plus YAML's own rules
    for the rest), containers in flow style."""
    if isinstance(value, dict):
        return '{%s}' % ', '.join('%s: %s' % (_yaml_quote(key), _yaml_quote(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return '[%s]' % ', '.join(_yaml_quote(item) for item in value)
    if not isinstance(value, str):
        return json.dumps(value)
    text = json.dumps(value, ensure_ascii=False)
    return ''.join(char if _yaml_printable(char) or char in '\t' else '\\u%04x' % ord(char) for char in text)


def render(values):
    """YAML text of the secrets, in SPEC order, then any extra keys the user added."""
    lines = [
        '---',
        '# plugnmeet.deploy secrets, generated once and reused on every run. Keep this file private (mode 0600).',
    ]
    extra = sorted(name for name in values if name not in NAMES)
    for name in NAMES + tuple(extra):
        # Generated names are plain identifiers; a user-added name may need quoting as much as any value.
        key = name if name in NAMES else _yaml_quote(name)
        lines.append('%s: %s' % (key, _yaml_quote(values[name])))
    return '\n'.join(lines) + '\n'
