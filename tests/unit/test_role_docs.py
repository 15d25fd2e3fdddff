# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/role_docs.py: every role README's variable table is the rendering of its meta/argument_specs.yml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest

from .conftest import REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, 'tools'))
import role_docs  # noqa: E402  (a tool, not a collection module)


@pytest.mark.parametrize('role_dir', role_docs.roles(), ids=os.path.basename)
def test_readme_table_is_generated_from_the_spec(role_dir):
    with open(os.path.join(role_dir, 'README.md')) as handle:
        readme = handle.read()
    assert role_docs.render(role_dir) in readme, 'run make docs: %s differs from its argument_specs' % role_dir


def test_every_option_is_in_the_table():
    for role_dir in role_docs.roles():
        rendered = role_docs.render(role_dir)
        with open(os.path.join(role_dir, 'meta', 'argument_specs.yml')) as handle:
            specs = role_docs.yaml.safe_load(handle)['argument_specs']
        for spec in specs.values():
            for name in spec.get('options') or {}:
                assert '| `%s` |' % name in rendered, (role_dir, name)


def test_markup_and_defaults_render_as_markdown():
    assert role_docs.text(['See O(nats_port) and P(plugnmeet.deploy.host_port#filter),', 'V(true) | x']) == (
        'See `nats_port` and `plugnmeet.deploy.host_port`, `true` \\| x')
    assert role_docs.default({'default': ''}) == '`""`'
    assert role_docs.default({'default': [1, 'a']}) == '`[1, "a"]`'
    assert role_docs.default({'required': True}) == 'required'


def test_check_mode_fails_on_a_stale_table(tmp_path):
    role = tmp_path / 'roles' / 'demo'
    (role / 'meta').mkdir(parents=True)
    (role / 'meta' / 'argument_specs.yml').write_text(
        'argument_specs:\n  main:\n    options:\n      demo_port:\n        type: int\n        default: 1\n'
        '        description: A port.\n')
    (role / 'README.md').write_text('# demo\n\n%s\n| stale |\n%s\n' % (role_docs.BEGIN, role_docs.END))
    original = role_docs.REPO_ROOT
    role_docs.REPO_ROOT = str(tmp_path)
    try:
        assert role_docs.update(role_docs.roles()[0], check=True) is False
        assert role_docs.update(role_docs.roles()[0], check=False) is True
        assert role_docs.update(role_docs.roles()[0], check=True) is True
        assert '| `demo_port` | int | `1` | A port. |' in (role / 'README.md').read_text()
    finally:
        role_docs.REPO_ROOT = original
    # The repository's own READMEs pass the command-line check (what a contributor runs).
    assert subprocess.call([sys.executable, os.path.join(REPO_ROOT, 'tools', 'role_docs.py'), '--check']) == 0
