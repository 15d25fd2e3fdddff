# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for plugnmeet.deploy.artifact: resolve, verify and unpack a release archive on the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.urls import open_url
from ansible.plugins.action import ActionBase

from ansible_collections.plugnmeet.deploy.plugins.module_utils import artifacts as pnm

DOWNLOAD_TIMEOUT = 60


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset((
        'name', 'version', 'archive', 'url', 'checksums_file', 'upstream_checksums', 'checksums',
        'hosts_arch', 'source_dir', 'mirror_url', 'cache_dir', 'validate_certs', 'release_metadata_url',
        'arch_independent', 'unpack',
    ))
    # The result key of an archive that serves every architecture (arch_independent).
    ALL_ARCHES = 'all'
    # The release metadata, kept next to the downloaded archive (and deleted with it when verification fails).
    METADATA_NAME = 'release-metadata.json'

    def _download(self, url, dest, validate_certs):
        """Fetch url to dest through a temporary file, so dest is either complete or absent."""
        directory = os.path.dirname(dest)
        if not os.path.isdir(directory):
            os.makedirs(directory)
        handle, tmp = tempfile.mkstemp(dir=directory, prefix='.download-')
        try:
            response = open_url(url, timeout=DOWNLOAD_TIMEOUT, validate_certs=validate_certs)
            with os.fdopen(handle, 'wb') as out:
                shutil.copyfileobj(response, out)
            os.chmod(tmp, 0o644)
            os.rename(tmp, dest)
        except Exception as exc:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise pnm.ArtifactError('download of %s failed: %s' % (url, to_native(exc)))

    def _resolve(self, args, arch, result):
        name, version = args['name'], args['version']
        archive = pnm.fill(args['archive'], name, version, arch)
        # One archive for every architecture sits directly under the version.
        relative = os.path.join(name, version) if arch == self.ALL_ARCHES else os.path.join(name, version, arch)
        cache_dir = os.path.join(args['cache_dir'], relative)
        pinned = (args.get('checksums') or {}).get(arch)
        sums_name = args.get('checksums_file') or ''
        if args.get('source_dir'):
            origin = os.path.join(args['source_dir'], relative)
            archive_path = os.path.join(origin, archive)
            metadata_url = metadata_path = None
            if not os.path.isfile(archive_path):
                raise pnm.ArtifactError(
                    '%s is not in the offline artifact directory: put %s there (upstream: %s), '
                    'or unset plugnmeet_artifacts_dir to download it'
                    % (archive, archive_path, pnm.fill(args['url'], name, version, arch, archive)))
            sums_path = os.path.join(origin, sums_name) if sums_name else None
        else:
            mirror = (args.get('mirror_url') or '').rstrip('/')
            if mirror:
                base = '/'.join([mirror] + relative.split(os.sep))
                archive_url = '%s/%s' % (base, archive)
                sums_url = '%s/%s' % (base, sums_name) if sums_name else None
            else:
                archive_url = pnm.fill(args['url'], name, version, arch, archive)
                sums_url = None
                if sums_name and args.get('upstream_checksums', True):
                    sums_url = pnm.fill(args['url'], name, version, arch, sums_name)
            archive_path = os.path.join(cache_dir, archive)
            # A pinned checksum wins, so the checksums file is not even fetched.
            sums_path = os.path.join(cache_dir, sums_name) if sums_url and not pinned else None
            # Without either, the publisher's release metadata (GitHub's release API) gives each asset's digest.
            metadata_url = pnm.fill(args.get('release_metadata_url') or '', name, version, arch, archive)
            if not mirror and metadata_url and not pinned and not sums_url:
                metadata_path = os.path.join(cache_dir, self.METADATA_NAME)
            else:
                metadata_path = None
            for url, path in ((archive_url, archive_path), (sums_url, sums_path), (metadata_url, metadata_path)):
                if path and not os.path.isfile(path):
                    self._download(url, path, args['validate_certs'])
                    result['downloaded'].append(url)

        if pinned:
            expected, source = pnm.normalize_sha256(pinned), 'pinned checksum'
        elif sums_path and os.path.isfile(sums_path):
            with open(sums_path) as handle:
                expected = pnm.sha256_from_sums(handle.read(), archive)
            source = sums_path
            if expected is None:
                raise pnm.ArtifactError('%s lists no sha256 for %s' % (sums_path, archive))
        elif metadata_path:
            with open(metadata_path) as handle:
                expected = pnm.sha256_from_release_metadata(handle.read(), archive)
            source = 'the digest in %s' % metadata_url
            if expected is None:
                os.unlink(metadata_path)  # asked again next run: the publisher may add it
                raise pnm.ArtifactError('%s lists no sha256 digest for %s. %s'
                                        % (metadata_url, archive, self._pin_hint(arch)))
        else:
            raise pnm.ArtifactError(
                'no sha256 is known for %s %s (%s): upstream publishes no checksums file for it. %s, or provide %s '
                'next to the archive in plugnmeet_artifacts_dir / the mirror'
                % (name, version, arch, self._pin_hint(arch), sums_name or 'SHA256SUMS'))

        actual = pnm.file_sha256(archive_path)
        if actual != expected:
            if not args.get('source_dir'):
                # Neither a corrupt or tampered download nor a wrong checksums file may stay in the cache: the
                # next run fetches both again.
                for cached in (archive_path, sums_path, metadata_path):
                    if cached and os.path.isfile(cached):
                        os.unlink(cached)
            raise pnm.ArtifactError('checksum mismatch for %s: expected %s (%s), got %s'
                                    % (archive_path, expected, source, actual))
        result['sha256'][arch] = actual
        result['archive'][arch] = archive_path
        if args['unpack']:
            unpacked = os.path.join(cache_dir, 'unpacked-%s' % actual[:16])
            if pnm.unpack(archive_path, unpacked):
                result['unpacked_now'].append(arch)
            result['unpacked'][arch] = unpacked

    def _pin_hint(self, arch):
        if arch == self.ALL_ARCHES:
            return 'Set the role\'s checksum variable to the sha256 you verified'
        return 'Set the role\'s checksums variable to {%s: "sha256:<hex>"}' % arch

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        for required in ('name', 'version', 'archive', 'url', 'hosts_arch', 'cache_dir'):
            if not args.get(required):
                raise AnsibleActionFail('%s is required' % required)
        if args.get('source_dir') and args.get('mirror_url'):
            raise AnsibleActionFail('set plugnmeet_artifacts_dir or plugnmeet_artifacts_mirror_url, not both')
        for key in ('cache_dir', 'source_dir'):
            if args.get(key):
                args[key] = os.path.abspath(os.path.expanduser(to_text(args[key])))
        for key, default in (('arch_independent', False), ('unpack', True), ('validate_certs', True)):
            args[key] = boolean(args.get(key, default), strict=True)

        result.update(downloaded=[], unpacked_now=[], sha256={}, archive={}, unpacked={}, arch_by_host={})
        try:
            for host, machine in sorted(args['hosts_arch'].items()):
                result['arch_by_host'][host] = (self.ALL_ARCHES if args['arch_independent']
                                                else pnm.release_arch(machine, host))
            for arch in sorted(set(result['arch_by_host'].values())):
                self._resolve(args, arch, result)
        except pnm.ArtifactError as exc:
            raise AnsibleActionFail('%s %s: %s' % (args['name'], args['version'], to_native(exc)))
        result['changed'] = bool(result['downloaded'] or result['unpacked_now'])
        return result
