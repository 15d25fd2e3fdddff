# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release artifacts on the controller: where an archive comes from, which sha256 it must have, unpacking.

Layout shared by the offline directory, the mirror and the controller cache::

    <root>/<name>/<version>/<arch>/<archive>          e.g. livekit-server/1.13.5/amd64/livekit_1.13.5_linux_amd64.tar.gz
    <root>/<name>/<version>/<arch>/<checksums file>   e.g. checksums.txt, in sha256sum's format
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import zipfile

# Facts' architecture names -> the names release archives use.
ARCH_BY_MACHINE = {
    'x86_64': 'amd64',
    'amd64': 'amd64',
    'aarch64': 'arm64',
    'arm64': 'arm64',
}

_SHA256 = re.compile(r'^[0-9a-f]{64}$')


class ArtifactError(Exception):
    """Something an operator must fix; the message says what."""


def release_arch(machine, host=None):
    try:
        return ARCH_BY_MACHINE[machine]
    except KeyError:
        where = ' (host %s)' % host if host else ''
        raise ArtifactError('architecture %r%s has no release; supported: %s'
                            % (machine, where, ', '.join(sorted(set(ARCH_BY_MACHINE)))))


def fill(pattern, name, version, arch, archive=''):
    """Expand {name} {version} {arch} {archive} placeholders."""
    return (pattern.replace('{name}', name).replace('{version}', version)
            .replace('{arch}', arch).replace('{archive}', archive))


def normalize_sha256(value):
    text = str(value).strip().lower()
    if text.startswith('sha256:'):
        text = text[len('sha256:'):]
    if not _SHA256.match(text):
        raise ArtifactError('%r is not a sha256 checksum (64 hex digits, optionally prefixed with sha256:)' % value)
    return text


def sha256_from_sums(text, archive):
    """The sha256 listed for archive in a sha256sum-style file, or None."""
    for line in text.splitlines():
        parts = line.strip().split()
        if len(parts) >= 2 and parts[-1].lstrip('*').split('/')[-1] == archive and _SHA256.match(parts[0].lower()):
            return parts[0].lower()
    return None


def sha256_from_release_metadata(text, archive):
    """The sha256 digest a release's metadata lists for the asset named archive, or None.

    The metadata is GitHub's release API document (``GET /repos/<owner>/<repo>/releases/tags/<tag>``): an
    ``assets`` list whose items have a ``name`` and, for assets uploaded since June 2025, ``digest: "sha256:<hex>"``.
    """
    try:
        assets = json.loads(text).get('assets') or []
    except (ValueError, AttributeError):
        raise ArtifactError('the release metadata is not a JSON document with an assets list')
    for asset in assets:
        if isinstance(asset, dict) and asset.get('name') == archive:
            digest = str(asset.get('digest') or '')
            if digest.lower().startswith('sha256:') and _SHA256.match(digest[len('sha256:'):].lower()):
                return digest[len('sha256:'):].lower()
            return None
    return None


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(block)
    return digest.hexdigest()


def _safe_members(names, dest):
    root = os.path.realpath(dest)
    for member in names:
        target = os.path.realpath(os.path.join(dest, member))
        if target != root and not target.startswith(root + os.sep):
            raise ArtifactError('archive member %r would be written outside the unpack directory' % member)


def unpack(archive_path, dest):
    """Unpack a .tar.gz or .zip into dest, atomically (a finished dest is never half-written)."""
    if os.path.isdir(dest):
        return False
    parent = os.path.dirname(dest)
    if not os.path.isdir(parent):
        os.makedirs(parent)
    work = tempfile.mkdtemp(dir=parent, prefix='.unpack-')
    try:
        if archive_path.endswith('.zip'):
            with zipfile.ZipFile(archive_path) as archive:
                _safe_members(archive.namelist(), work)
                for info in archive.infolist():
                    extracted = archive.extract(info, work)
                    mode = (info.external_attr >> 16) & 0o777
                    if mode:
                        os.chmod(extracted, mode)
        else:
            with tarfile.open(archive_path, 'r:*') as archive:
                members = archive.getmembers()
                _safe_members([member.name for member in members], work)
                for member in members:
                    if not (member.isfile() or member.isdir()):
                        raise ArtifactError('archive member %r is not a plain file or directory' % member.name)
                archive.extractall(work, members=members)
        os.rename(work, dest)
    except Exception:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return True
