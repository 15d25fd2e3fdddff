# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment's secrets: what exists, how each one is generated, and how a stored set is checked.

Every secret two components must agree on is generated once, here, and read from one file by every role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import secrets as _random
import string

from ansible.module_utils.common.yaml import yaml_dump

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


def render(values):
    """YAML text of the secrets, in SPEC order, then any extra keys the user added."""
    ordered = dict((name, values[name]) for name in NAMES + tuple(sorted(name for name in values if name not in NAMES)))
    return ('---\n# plugnmeet.deploy secrets, generated once and reused on every run. Keep this file private (mode '
            '0600).\n' + yaml_dump(ordered, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000))
