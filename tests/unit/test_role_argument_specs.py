# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role's defaults are documented in meta/argument_specs.yml with the same values, and the artifact build
pins in tools/artifacts.sh equal the roles' version defaults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES_DIR = os.path.join(REPO_ROOT, 'roles')
# Roles whose defaults serve several entry points (include_role tasks_from) rather than main.
MULTI_ENTRY_ROLES = ('common',)
# Collection-wide variables, documented in several roles but defaulted elsewhere (group_vars, role code).
COLLECTION_WIDE_PREFIX = 'plugnmeet_'


def _roles():
    return sorted(name for name in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, name)))


def _load(role, *parts):
    path = os.path.join(ROLES_DIR, role, *parts)
    with open(path) as handle:
        return yaml.safe_load(handle)


def _defaults(role):
    return _load(role, 'defaults', 'main.yml') or {}


def _specs(role):
    return (_load(role, 'meta', 'argument_specs.yml') or {}).get('argument_specs') or {}


def _as_text(value):
    """Values compared as text after YAML load: 4222 == '4222', {} == {}."""
    return str(value)


ROLES = _roles()


def test_there_are_roles():
    """The collection has roles to check (the test is not vacuous)."""
    assert 'common' in ROLES and 'nats' in ROLES


@pytest.mark.parametrize('role', ROLES)
def test_role_has_defaults_and_specs(role):
    """Every role has defaults/main.yml and meta/argument_specs.yml with a main entry point."""
    assert os.path.isfile(os.path.join(ROLES_DIR, role, 'defaults', 'main.yml'))
    assert 'main' in _specs(role), '%s: meta/argument_specs.yml has no main entry point' % role


@pytest.mark.parametrize('role', ROLES)
def test_every_default_is_documented(role):
    """Each key of defaults/main.yml is an option of the main entry point (for common: of any entry point)."""
    specs = _specs(role)
    if role in MULTI_ENTRY_ROLES:
        documented = set()
        for entry in specs.values():
            documented.update((entry or {}).get('options') or {})
        where = 'any entry point'
    else:
        documented = set(((specs.get('main') or {}).get('options')) or {})
        where = 'the main entry point'
    missing = sorted(set(_defaults(role)) - documented)
    assert missing == [], '%s: defaults not documented in %s of meta/argument_specs.yml: %s' % (role, where, missing)


@pytest.mark.parametrize('role', ROLES)
def test_main_spec_defaults_equal_role_defaults(role):
    """Each main-entry-point option with a spec default has the same value in defaults/main.yml
    (plugnmeet_* options are collection-wide and exempt, unless they carry the role's own prefix, as
    plugnmeet_server_* do)."""
    defaults = _defaults(role)
    options = ((_specs(role).get('main') or {}).get('options')) or {}
    problems = []
    for name, option in sorted(options.items()):
        collection_wide = name.startswith(COLLECTION_WIDE_PREFIX) and not name.startswith(role + '_')
        if collection_wide or 'default' not in (option or {}):
            continue
        if name not in defaults:
            problems.append('%s has a spec default but is not in defaults/main.yml' % name)
        elif _as_text(option['default']) != _as_text(defaults[name]):
            problems.append('%s: spec default %r != defaults/main.yml %r' % (name, option['default'], defaults[name]))
    assert problems == [], '%s: %s' % (role, '; '.join(problems))


@pytest.mark.parametrize('role', [role for role in ROLES if role in MULTI_ENTRY_ROLES])
def test_entry_point_spec_defaults_equal_role_defaults(role):
    """For roles with several entry points, every spec default of a variable set in defaults/main.yml matches it."""
    defaults = _defaults(role)
    problems = []
    for entry_name, entry in sorted(_specs(role).items()):
        for name, option in sorted(((entry or {}).get('options') or {}).items()):
            if name.startswith(COLLECTION_WIDE_PREFIX) or 'default' not in (option or {}) or name not in defaults:
                continue
            if _as_text(option['default']) != _as_text(defaults[name]):
                problems.append('%s.%s: spec default %r != defaults/main.yml %r'
                                % (entry_name, name, option['default'], defaults[name]))
    assert problems == [], '%s: %s' % (role, '; '.join(problems))


def _pins():
    path = os.path.join(REPO_ROOT, 'tools', 'artifacts.sh')
    with open(path) as handle:
        text = handle.read()
    return dict(re.findall(r'^([A-Z_]+_VERSION)="([^"]*)"\s*$', text, re.MULTILINE))


# pin variable in tools/artifacts.sh -> (candidate role names, version variable of that role's defaults)
PINS = [
    ('NATS_VERSION', ('nats',), 'nats_version'),
    ('LIVEKIT_VERSION', ('livekit', 'livekit_server'), 'livekit_version'),
    ('RECORDER_VERSION', ('recorder', 'plugnmeet_recorder'), 'recorder_version'),
]


@pytest.mark.parametrize('pin,candidates,variable', PINS, ids=[pin for pin, _c, _v in PINS])
def test_artifact_build_pins_equal_role_defaults(pin, candidates, variable):
    """tools/artifacts.sh builds the versions the roles install by default."""
    pins = _pins()
    assert pin in pins, '%s is not set in tools/artifacts.sh' % pin
    present = [role for role in candidates if os.path.isfile(os.path.join(ROLES_DIR, role, 'defaults', 'main.yml'))]
    if not present:
        pytest.skip('no %s role yet' % '/'.join(candidates))
    role = present[0]
    defaults = _defaults(role)
    assert variable in defaults, 'roles/%s/defaults/main.yml has no %s' % (role, variable)
    assert _as_text(defaults[variable]) == pins[pin], (
        'tools/artifacts.sh %s="%s" but roles/%s/defaults/main.yml %s: %s'
        % (pin, pins[pin], role, variable, defaults[variable]))
