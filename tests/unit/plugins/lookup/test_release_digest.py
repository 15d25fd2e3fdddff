# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/lookup/release_digest.py in real ansible-playbook runs, against a loopback server playing GitHub's API."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

DIGEST = 'ab' * 32
RELEASE = {'tag_name': 'v2.4.0', 'assets': [
    {'name': 'client.zip', 'digest': 'sha256:' + DIGEST.upper()},
    {'name': 'old.zip', 'digest': None},
]}


def _lookup_task(name, url, asset):
    expression = "{{ lookup('plugnmeet.deploy.release_digest', '%s', asset='%s') }}" % (url, asset)
    return {'name': name, 'ansible.builtin.debug': {'msg': expression}, 'ignore_errors': True}


def test_release_digest(run_playbook, http_server):
    tags = os.path.join(http_server.root, 'repos', 'mynaparrot', 'plugNmeet-client', 'releases', 'tags')
    os.makedirs(tags)
    with open(os.path.join(tags, 'v2.4.0'), 'w') as handle:
        json.dump(RELEASE, handle)
    with open(os.path.join(tags, 'broken'), 'w') as handle:
        handle.write('<html>rate limited</html>')
    url = http_server.url + '/repos/mynaparrot/plugNmeet-client/releases/tags/'
    run = run_playbook([
        _lookup_task('listed', url + 'v2.4.0', 'client.zip'),
        _lookup_task('no digest', url + 'v2.4.0', 'old.zip'),
        _lookup_task('not listed', url + 'v2.4.0', 'other.zip'),
        _lookup_task('not a release', url + 'broken', 'client.zip'),
        _lookup_task('no release', url + 'v9.9.9', 'client.zip'),
    ])
    assert run.rc == 0, run.describe()
    assert run['listed']['msg'] == DIGEST
    for name, asset in (('no digest', 'old.zip'), ('not listed', 'other.zip')):
        assert run[name]['failed'] and '%sv2.4.0 lists no sha256 digest for %s' % (url, asset) in run[name]['msg']
    assert 'not a JSON document with an assets list' in run['not a release']['msg']
    assert 'reading the release metadata %sv9.9.9 failed' % url in run['no release']['msg']
