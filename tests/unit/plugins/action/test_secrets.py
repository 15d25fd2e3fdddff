# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/action/secrets.py end to end: real ansible-playbook runs against the implicit localhost.

Secret values never reach the test output: the secrets task runs with no_log, a following debug task reports the
result without its ``secrets`` key plus a sha256 digest of the returned secrets, and the tests compare digests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import stat

import pytest
import yaml

from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.plugnmeet.deploy.plugins.module_utils import nkeys
from ansible_collections.plugnmeet.deploy.plugins.module_utils import secrets as pnm_secrets

VAULT_HEADER = b'$ANSIBLE_VAULT;'
REPORT = ("{{ {'result': %(r)s | dict2items | rejectattr('key', 'equalto', 'secrets') | items2dict,"
          " 'digest': %(r)s.secrets | default({}) | to_json(sort_keys=True) | hash('sha256'),"
          " 'names': %(r)s.secrets | default({}) | list | sort} }}")


def digest(values):
    """The same digest the report task computes with to_json(sort_keys=True) | hash('sha256')."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode('utf-8')).hexdigest()


def secrets_tasks(path, no_log=True, tag='', **args):
    """The secrets task (errors ignored) and a report task that shows its result without the secret values.

    Task names are 'secrets<tag>' and 'report<tag>', so several pairs can share one playbook.
    """
    params = {'path': str(path)}
    params.update(args)
    register = 'r_' + re.sub(r'[^a-z0-9]', '_', tag.lower())
    task = {'name': 'secrets' + tag, 'plugnmeet.deploy.secrets': params, 'register': register, 'ignore_errors': True}
    if no_log:
        task['no_log'] = True
    return [task, {'name': 'report' + tag, 'ansible.builtin.debug': {'msg': REPORT % {'r': register}}}]


def run_secrets(run_playbook, path, check=False, env=None, **args):
    """Run the secrets action once; return (secrets task result without values, digest, names returned)."""
    run = run_playbook(secrets_tasks(path, **args), check=check, env=env)
    assert run.rc == 0, run.describe()
    report = run['report']['msg']
    return report['result'], report['digest'], report['names']


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def load_plain(path):
    with open(str(path)) as handle:
        return yaml.safe_load(handle)


def write_plain(path, values, mode=0o600):
    """A secrets file as a user might have edited it (plain YAML)."""
    with open(str(path), 'w') as handle:
        yaml.safe_dump(values, handle, default_flow_style=False)
    os.chmod(str(path), mode)


def assert_failed(result, *fragments):
    assert result.get('failed') is True, 'the task should have failed'
    for fragment in fragments:
        assert fragment in result['msg'], result['msg']
    return result['msg']


@pytest.fixture
def vault_env(tmp_path):
    """Environment with a vault password file, as a user configures it."""
    password = tmp_path / 'vault-password'
    password.write_text('test vault password\n')
    os.chmod(str(password), 0o600)
    return {'ANSIBLE_VAULT_PASSWORD_FILE': str(password)}


def _vault(password_file):
    with open(password_file, 'rb') as handle:
        secret = VaultSecret(handle.read().strip())
    return VaultLib([('default', secret)]), secret


def decrypt(path, password_file):
    """The values of a vault-encrypted secrets file."""
    vault, _secret = _vault(password_file)
    with open(str(path), 'rb') as handle:
        return yaml.safe_load(vault.decrypt(handle.read()))


def encrypt(path, text, password_file):
    """Write text vault-encrypted to path (mode 0600)."""
    vault, secret = _vault(password_file)
    with open(str(path), 'wb') as handle:
        handle.write(vault.encrypt(text.encode('utf-8'), secret))
    os.chmod(str(path), 0o600)


def test_first_run_creates_file_second_run_keeps_it(run_playbook, tmp_path):
    """The first run generates every secret into a new 0600 file (changed); the second reads the same values back
    unchanged and leaves the file byte for byte as it was."""
    path = tmp_path / 'inventory' / 'plugnmeet-secrets.yml'
    result, first_digest, names = run_secrets(run_playbook, path)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True
    assert result['generated'] == list(pnm_secrets.NAMES)
    assert result['path'] == str(path)
    assert result['encrypted'] is False
    assert names == sorted(pnm_secrets.NAMES)
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700  # a directory the action creates is private too
    stored = load_plain(path)
    assert sorted(stored) == sorted(pnm_secrets.NAMES)
    assert digest(stored) == first_digest, 'the returned secrets are the stored ones'
    assert pnm_secrets.complete(stored)[1] == []  # all stored values are valid
    before = path.read_bytes()
    assert not [name for name in os.listdir(str(path.parent)) if name != path.name]  # no temporary file left

    result, second_digest, _names = run_secrets(run_playbook, path)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is False
    assert result['generated'] == []
    assert second_digest == first_digest
    assert path.read_bytes() == before
    assert mode_of(path) == 0o600


def test_task_without_no_log_is_refused(run_playbook, tmp_path):
    """Without no_log the action refuses to run (its result holds secrets) and writes nothing."""
    path = tmp_path / 'plugnmeet-secrets.yml'
    run = run_playbook(secrets_tasks(path, no_log=False))
    assert run.rc == 0, run.describe()
    assert_failed(run['secrets'], 'the task must set no_log: true')
    assert 'secrets' not in run['secrets']
    assert not path.exists()


def test_check_mode_does_not_write(run_playbook, tmp_path):
    """In --check the secrets are generated for the run (changed) but no file or directory is written."""
    path = tmp_path / 'new-dir' / 'plugnmeet-secrets.yml'
    result, _digest, names = run_secrets(run_playbook, path, check=True)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True
    assert result['generated'] == list(pnm_secrets.NAMES)
    assert names == sorted(pnm_secrets.NAMES)
    assert not path.exists()
    assert not path.parent.exists()


def test_a_private_mode_other_than_0600_is_fixed(run_playbook, tmp_path):
    """A complete file with mode 0400 is reported changed and made 0600, its content untouched;
    --check reports the same change without touching the mode."""
    path = tmp_path / 'plugnmeet-secrets.yml'
    values, _generated = pnm_secrets.complete(None)
    write_plain(path, values, mode=0o400)
    before = path.read_bytes()

    result, checked_digest, _names = run_secrets(run_playbook, path, check=True)
    assert result['changed'] is True and result['generated'] == []
    assert mode_of(path) == 0o400

    result, fixed_digest, _names = run_secrets(run_playbook, path)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True
    assert result['generated'] == []
    assert mode_of(path) == 0o600
    assert path.read_bytes() == before
    assert fixed_digest == checked_digest == digest(values)


@pytest.mark.parametrize('mode', [0o644, 0o640, 0o604])
def test_a_file_others_can_read_is_refused(run_playbook, tmp_path, mode):
    """Group or world permissions mean the secrets may have leaked: refused, with what to do, the file untouched."""
    path = tmp_path / 'plugnmeet-secrets.yml'
    values, _generated = pnm_secrets.complete(None)
    write_plain(path, values, mode=mode)
    before = path.read_bytes()
    run = run_playbook(secrets_tasks(path))
    assert_failed(run['report']['msg']['result'], 'can be read by other users (mode %04o)' % mode,
                  'chmod 600 %s' % path, 'remove its entries')
    assert mode_of(path) == mode and path.read_bytes() == before


def test_validate_only_checks_without_writing_or_returning_secrets(run_playbook, tmp_path):
    """validate_only runs without no_log, returns no secret and writes nothing; a short LiveKit secret is refused."""
    path = tmp_path / 'plugnmeet-secrets.yml'
    values, _generated = pnm_secrets.complete(None)
    del values['redis_password']
    write_plain(path, values)
    before = path.read_bytes()
    result, _digest, names = run_secrets(run_playbook, path, no_log=False, validate_only=True)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is False and result['generated'] == ['redis_password'] and names == []
    assert path.read_bytes() == before

    values['livekit_api_secret'] = values['livekit_api_secret'][:31]
    write_plain(path, values)
    run = run_playbook(secrets_tasks(path, no_log=False, validate_only=True))
    msg = assert_failed(run['report']['msg']['result'], 'livekit_api_secret is shorter than 32 characters')
    assert values['livekit_api_secret'] not in msg and values['livekit_api_secret'] not in run.stdout


def test_missing_secret_is_added_keeping_the_rest(run_playbook, tmp_path):
    """A file lacking one secret gets only that one generated; existing values and user keys are kept."""
    path = tmp_path / 'plugnmeet-secrets.yml'
    values, _generated = pnm_secrets.complete(None)
    del values['redis_password']
    values['my_extra'] = 'user: "value" with \'quotes\''
    write_plain(path, values)

    result, returned_digest, names = run_secrets(run_playbook, path)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True
    assert result['generated'] == ['redis_password']
    stored = load_plain(path)
    assert mode_of(path) == 0o600
    assert stored['my_extra'] == values['my_extra']
    for name in values:
        assert stored[name] == values[name], name
    pnm_secrets.validate('redis_password', stored['redis_password'], 'token')
    assert digest(stored) == returned_digest
    assert names == sorted(list(pnm_secrets.NAMES) + ['my_extra'])


@pytest.mark.parametrize('name,bad_value,reason', [
    ('redis_password', 'bad-value!withPunctuation', 'may only contain letters and digits'),
    ('nats_server_user_seed', 'account', 'must be a user seed, found a account seed'),
])
def test_invalid_stored_value_fails_naming_the_key(run_playbook, tmp_path, name, bad_value, reason):
    """An invalid stored value fails the task with a message naming the key (not the value); the file is kept."""
    path = tmp_path / 'plugnmeet-secrets.yml'
    values, _generated = pnm_secrets.complete(None)
    if bad_value == 'account':
        bad_value = nkeys.generate_seed('account')
    values[name] = bad_value
    write_plain(path, values)
    before = path.read_bytes()

    run = run_playbook(secrets_tasks(path))
    assert run.rc == 0, run.describe()
    result = run['report']['msg']['result']
    msg = assert_failed(result, 'the secrets file %s is not usable' % path, name, reason, 'Fix or remove that entry')
    assert bad_value not in msg
    assert bad_value not in run.stdout and bad_value not in run.stderr
    assert path.read_bytes() == before


def test_unreadable_file_fails(run_playbook, tmp_path):
    """A file that is not a mapping fails with the path in the message."""
    path = tmp_path / 'plugnmeet-secrets.yml'
    path.write_text('- just\n- a list\n')
    os.chmod(str(path), 0o600)
    run = run_playbook(secrets_tasks(path))
    assert_failed(run['report']['msg']['result'], str(path), 'mapping')


def test_vault_encrypted_when_a_vault_password_is_configured(run_playbook, tmp_path, vault_env):
    """With ANSIBLE_VAULT_PASSWORD_FILE set a new file is written vault-encrypted (0600) and read back next run."""
    path = tmp_path / 'plugnmeet-secrets.yml'
    result, first_digest, _names = run_secrets(run_playbook, path, env=vault_env)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True and result['encrypted'] is True
    data = path.read_bytes()
    assert data.startswith(VAULT_HEADER)
    assert mode_of(path) == 0o600
    for name in pnm_secrets.NAMES:
        assert name.encode() not in data
    stored = decrypt(path, vault_env['ANSIBLE_VAULT_PASSWORD_FILE'])
    assert digest(stored) == first_digest

    result, second_digest, _names = run_secrets(run_playbook, path, env=vault_env)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is False and result['generated'] == []
    assert second_digest == first_digest
    assert path.read_bytes() == data


def test_vault_modes(run_playbook, tmp_path, vault_env):
    """vault=never writes plain YAML despite a vault password; vault=always fails without one and writes nothing."""
    plain = tmp_path / 'never.yml'
    result, returned_digest, _names = run_secrets(run_playbook, plain, env=vault_env, vault='never')
    assert result['encrypted'] is False
    assert not plain.read_bytes().startswith(VAULT_HEADER)
    assert digest(load_plain(plain)) == returned_digest

    always, invalid = tmp_path / 'always.yml', tmp_path / 'invalid.yml'
    locked = tmp_path / 'locked.yml'
    encrypt(locked, pnm_secrets.render(pnm_secrets.complete(None)[0]), vault_env['ANSIBLE_VAULT_PASSWORD_FILE'])
    locked_before = locked.read_bytes()
    # No vault password in this run.
    run = run_playbook(secrets_tasks(always, tag=' always', vault='always')
                       + secrets_tasks(invalid, tag=' invalid', vault='sometimes')
                       + secrets_tasks(locked, tag=' locked'))
    assert run.rc == 0, run.describe()
    assert_failed(run['report always']['msg']['result'], 'vault=always but no vault password is configured',
                  'ANSIBLE_VAULT_PASSWORD_FILE')
    assert_failed(run['report invalid']['msg']['result'], 'vault must be one of auto, always, never')
    assert_failed(run['report locked']['msg']['result'], 'cannot read the secrets file %s' % locked)
    assert not always.exists()
    assert not invalid.exists()
    assert locked.read_bytes() == locked_before
