# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for plugnmeet.deploy.secrets: runs on the controller, where the secrets file lives."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.plugnmeet.deploy.plugins.module_utils import secrets as pnm_secrets

try:
    from ansible.parsing.vault import match_encrypt_secret, VaultLib
    HAS_VAULT = True
except ImportError:  # pragma: no cover
    HAS_VAULT = False

FILE_MODE = 0o600


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('path', 'vault', 'validate_only'))

    def _vault_secret(self):
        """(vault id, secret) to encrypt with, or None when no vault password is configured."""
        vault = getattr(self._loader, '_vault', None)
        configured = getattr(vault, 'secrets', None) if vault is not None else None
        if not HAS_VAULT or not configured:
            return None
        try:
            return match_encrypt_secret(configured)
        except Exception:  # pylint: disable=broad-except
            return None

    def _read(self, path):
        if not os.path.exists(path):
            return None
        try:
            return self._loader.load_from_file(path, cache='none')
        except Exception as exc:  # pylint: disable=broad-except
            raise AnsibleActionFail('cannot read the secrets file %s: %s' % (path, to_text(exc)))

    def _write(self, path, text, vault_mode):
        encrypt_with = None
        if vault_mode != 'never':
            encrypt_with = self._vault_secret()
            if encrypt_with is None and vault_mode == 'always':
                raise AnsibleActionFail('vault=always but no vault password is configured '
                                        '(pass --vault-id or set ANSIBLE_VAULT_PASSWORD_FILE)')
        data = to_bytes(text)
        if encrypt_with is not None:
            vault_id, secret = encrypt_with
            data = VaultLib().encrypt(data, secret=secret, vault_id=vault_id)
        directory = os.path.dirname(path) or '.'
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        # Written to a private temporary file and renamed, so the file is never readable by others, not even briefly.
        handle, tmp = tempfile.mkstemp(dir=directory, prefix='.plugnmeet-secrets.')
        try:
            os.fchmod(handle, FILE_MODE)
            os.write(handle, data)
            os.fsync(handle)
            os.close(handle)
            os.rename(tmp, path)
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return encrypt_with is not None

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        validate_only = boolean(args.get('validate_only', False), strict=True)
        if not self._task.no_log and not validate_only:
            raise AnsibleActionFail('plugnmeet.deploy.secrets returns secrets: the task must set no_log: true')
        path = args.get('path')
        vault_mode = args.get('vault', 'auto')
        if not path:
            raise AnsibleActionFail('path is required')
        if vault_mode not in ('auto', 'always', 'never'):
            raise AnsibleActionFail('vault must be one of auto, always, never')
        path = os.path.abspath(os.path.expanduser(to_text(path)))

        mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else FILE_MODE
        if mode & 0o077:
            raise AnsibleActionFail(
                'the secrets file %s can be read by other users (mode %04o): its secrets may have leaked. Make it '
                'private (chmod 600 %s); if someone else could have read it, remove its entries to have new ones '
                'generated, and run every phase again to roll them out.' % (path, mode, path))
        try:
            stored = self._read(path)
            values, generated = pnm_secrets.complete(stored)
        except pnm_secrets.SecretsError as exc:
            raise AnsibleActionFail('the secrets file %s is not usable: %s. Fix or remove that entry; '
                                    'a removed entry is generated again (and must then be rolled out everywhere).'
                                    % (path, to_text(exc)))

        result.update(changed=False, path=path, generated=generated, encrypted=False)
        if validate_only:
            return result
        if generated:
            result['changed'] = True
            if not self._task.check_mode:
                result['encrypted'] = self._write(path, pnm_secrets.render(values), vault_mode)
        elif stat.S_IMODE(os.stat(path).st_mode) != FILE_MODE:
            result['changed'] = True
            if not self._task.check_mode:
                os.chmod(path, FILE_MODE)
        # Plain strings: values read from the file carry Ansible's origin tags.
        result['secrets'] = dict((to_text(name), to_text(value)) for name, value in values.items())
        return result
