# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/artifacts.py: architectures, URL patterns, sha256 handling and safe, atomic unpacking."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import json
import os
import stat
import tarfile
import zipfile

import pytest

from ansible_collections.plugnmeet.deploy.plugins.module_utils import artifacts

HEX_A = 'a' * 64
HEX_MIXED = '0123456789abcdef' * 4


# --- release_arch -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('machine,arch', [
    ('x86_64', 'amd64'),
    ('amd64', 'amd64'),
    ('aarch64', 'arm64'),
    ('arm64', 'arm64'),
])
def test_release_arch_maps_fact_names(machine, arch):
    """ansible_facts.architecture names map to the names release archives use."""
    assert artifacts.release_arch(machine) == arch
    assert artifacts.release_arch(machine, 'host1') == arch


@pytest.mark.parametrize('machine', ['ppc64le', 'armv7l', 's390x', 'i386', 'X86_64', '', None])
def test_release_arch_refuses_unknown_and_names_host(machine):
    """An architecture without release raises ArtifactError naming it, the host and the supported names."""
    with pytest.raises(artifacts.ArtifactError) as info:
        artifacts.release_arch(machine, 'rec7')
    message = str(info.value)
    assert repr(machine) in message
    assert '(host rec7)' in message
    for supported in ('aarch64', 'amd64', 'arm64', 'x86_64'):
        assert supported in message


def test_release_arch_error_without_host():
    """Without a host name the message has no empty host part."""
    with pytest.raises(artifacts.ArtifactError) as info:
        artifacts.release_arch('mips')
    assert 'host' not in str(info.value)


# --- fill -------------------------------------------------------------------------------------------------------

def test_fill_replaces_every_placeholder():
    """{name} {version} {arch} {archive} are all replaced, repeatedly if they occur more than once."""
    pattern = 'https://x/{name}/v{version}/{arch}/{archive}?v={version}&a={arch}'
    assert (artifacts.fill(pattern, 'nats-server', '2.12.15', 'arm64', 'n.tar.gz')
            == 'https://x/nats-server/v2.12.15/arm64/n.tar.gz?v=2.12.15&a=arm64')


def test_fill_archive_defaults_to_empty_and_keeps_other_text():
    """Without an archive {archive} becomes empty; unknown braces are left alone."""
    assert artifacts.fill('{name}-{version}-{arch}{archive}-{other}', 'a', '1', 'amd64') == 'a-1-amd64-{other}'


def test_fill_archive_name_pattern():
    """The archive pattern itself is filled with name, version and arch (as the action does)."""
    assert (artifacts.fill('livekit_{version}_linux_{arch}.tar.gz', 'livekit-server', '1.13.5', 'amd64')
            == 'livekit_1.13.5_linux_amd64.tar.gz')


# --- normalize_sha256 -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value', [
    HEX_MIXED,
    HEX_MIXED.upper(),
    'sha256:' + HEX_MIXED,
    'SHA256:' + HEX_MIXED.upper(),
    '  sha256:%s\n' % HEX_MIXED,
])
def test_normalize_sha256_accepts_forms(value):
    """Upper case, a sha256: prefix and surrounding whitespace normalize to 64 lower-case hex digits."""
    assert artifacts.normalize_sha256(value) == HEX_MIXED


@pytest.mark.parametrize('value', [
    '', 'a' * 63, 'a' * 65, 'g' * 64, 'md5:' + HEX_A, 'sha512:' + HEX_A, HEX_A[:32] + ' ' + HEX_A[:32],
    'sha256:', None, 12345, ['a' * 64],
])
def test_normalize_sha256_refuses_non_checksums(value):
    """Anything but 64 hex digits (optionally sha256:-prefixed) raises ArtifactError explaining the format."""
    with pytest.raises(artifacts.ArtifactError, match='64 hex digits'):
        artifacts.normalize_sha256(value)


# --- sha256_from_release_metadata -------------------------------------------------------------------------------

RELEASE = {
    'tag_name': 'v2.3.0',
    'assets': [
        {'name': 'plugnmeet-recorder-linux-amd64.zip', 'digest': 'sha256:' + 'A' * 64},
        {'name': 'plugnmeet-recorder-linux-arm64.zip', 'digest': None},  # uploaded before GitHub computed digests
        {'name': 'client.zip', 'digest': 'sha512:' + '1' * 128},
        {'name': 'short.zip', 'digest': 'sha256:' + '1' * 63},
    ],
}


@pytest.mark.parametrize('archive, expected', [
    ('plugnmeet-recorder-linux-amd64.zip', 'a' * 64),
    ('plugnmeet-recorder-linux-arm64.zip', None),
    ('client.zip', None),
    ('short.zip', None),
    ('absent.zip', None),
])
def test_sha256_from_release_metadata(archive, expected):
    """The asset's sha256 digest, lower-cased; a missing, other or malformed digest or an unlisted asset: None."""
    assert artifacts.sha256_from_release_metadata(json.dumps(RELEASE), archive) == expected


@pytest.mark.parametrize('text', ['not json', '[1, 2]'])
def test_sha256_from_release_metadata_refuses_what_is_not_a_release(text):
    with pytest.raises(artifacts.ArtifactError, match='not a JSON document with an assets list'):
        artifacts.sha256_from_release_metadata(text, 'client.zip')


# --- sha256_from_sums -------------------------------------------------------------------------------------------

SUMS = '\n'.join([
    '# a comment line',
    '',
    '%s  nats-server-v2.12.15-linux-amd64.tar.gz' % ('1' * 64),
    '%s *plugnmeet-recorder-linux-amd64.zip' % ('2' * 64),
    '%s  ./dist/livekit_1.13.5_linux_arm64.tar.gz' % ('3' * 64),
    '%s  nats-server-v2.12.15-linux-amd64.tar.gz.sig' % ('4' * 64),
    '%s  release/sub/other.tar.gz' % ('5' * 64).upper(),
    'nothex  broken.tar.gz',
    '%s  short.tar.gz' % ('6' * 63),
    '%s\tTAB.tar.gz\r' % ('7' * 64),
])


@pytest.mark.parametrize('archive,expected', [
    ('nats-server-v2.12.15-linux-amd64.tar.gz', '1' * 64),
    ('plugnmeet-recorder-linux-amd64.zip', '2' * 64),  # sha256sum's binary marker
    ('livekit_1.13.5_linux_arm64.tar.gz', '3' * 64),  # listed with a path
    ('nats-server-v2.12.15-linux-amd64.tar.gz.sig', '4' * 64),
    ('other.tar.gz', '5' * 64),  # upper-case digest comes back lower case
    ('TAB.tar.gz', '7' * 64),  # tab separator, CRLF line end
])
def test_sha256_from_sums_finds_listed_archive(archive, expected):
    """sha256sum lines (text or * binary mode, with or without a directory) yield the archive's digest."""
    assert artifacts.sha256_from_sums(SUMS, archive) == expected


@pytest.mark.parametrize('archive', [
    'missing.tar.gz', 'broken.tar.gz', 'short.tar.gz', 'nats-server', 'amd64.tar.gz', 'linux_arm64.tar.gz', '',
])
def test_sha256_from_sums_returns_none_when_not_listed(archive):
    """Unlisted archives, partial names, and lines without a valid digest give None."""
    assert artifacts.sha256_from_sums(SUMS, archive) is None


def test_sha256_from_sums_of_empty_text():
    """An empty sums file lists nothing."""
    assert artifacts.sha256_from_sums('', 'a.tar.gz') is None


def test_sha256_from_sums_matches_real_sha256sum_output(tmp_path):
    """The function reads what sha256sum writes (two spaces, file name) for a real file."""
    payload = b'release bytes'
    digest = hashlib.sha256(payload).hexdigest()
    (tmp_path / 'a.tar.gz').write_bytes(payload)
    assert artifacts.file_sha256(str(tmp_path / 'a.tar.gz')) == digest
    assert artifacts.sha256_from_sums('%s  a.tar.gz\n' % digest, 'a.tar.gz') == digest


def test_file_sha256_of_large_file(tmp_path):
    """file_sha256 reads in blocks and equals hashlib over the whole content (more than one block)."""
    payload = os.urandom(1024 * 1024 + 4097)
    path = tmp_path / 'big.bin'
    path.write_bytes(payload)
    assert artifacts.file_sha256(str(path)) == hashlib.sha256(payload).hexdigest()


# --- unpack -----------------------------------------------------------------------------------------------------

def _tar_member(name, data=b'', mode=0o644, kind=tarfile.REGTYPE, linkname=''):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = linkname
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def make_tar(path, members):
    """A .tar.gz of (name, data, mode, kind, linkname) tuples; data None means a directory."""
    with tarfile.open(str(path), 'w:gz') as archive:
        for member in members:
            archive.addfile(*_tar_member(*member))
    return str(path)


def make_zip(path, members):
    """A .zip of (name, data, unix mode or None) tuples."""
    with zipfile.ZipFile(str(path), 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0 if mode is None else (mode << 16)
            if name.endswith('/'):
                info.external_attr |= 0x10  # MS-DOS directory flag
            archive.writestr(info, data)
    return str(path)


def _leftovers(parent):
    return sorted(name for name in os.listdir(str(parent)) if name.startswith('.unpack-'))


def _mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_unpack_tar_gz(tmp_path):
    """A .tar.gz unpacks with its tree and exec bits; a missing parent directory is created; True is returned."""
    archive = make_tar(tmp_path / 'a.tar.gz', [
        ('pkg', b'', 0o755, tarfile.DIRTYPE),
        ('pkg/bin-tool', b'#!/bin/sh\necho hi\n', 0o755),
        ('pkg/README', b'read me', 0o644),
        ('./top.txt', b'top', 0o600),
    ])
    dest = tmp_path / 'cache' / 'deeper' / 'unpacked'
    assert artifacts.unpack(archive, str(dest)) is True
    assert (dest / 'pkg' / 'bin-tool').read_bytes() == b'#!/bin/sh\necho hi\n'
    assert (dest / 'pkg' / 'README').read_bytes() == b'read me'
    assert (dest / 'top.txt').read_bytes() == b'top'
    assert _mode(dest / 'pkg' / 'bin-tool') == 0o755
    assert _mode(dest / 'pkg' / 'README') == 0o644
    assert _leftovers(dest.parent) == []


def test_unpack_plain_tar_and_bz2(tmp_path):
    """Any tarfile compression is accepted ('r:*'), not only gzip."""
    for suffix, mode in (('tar', 'w'), ('tar.bz2', 'w:bz2')):
        path = tmp_path / ('a.' + suffix)
        with tarfile.open(str(path), mode) as archive:
            archive.addfile(*_tar_member('f', b'x'))
        dest = tmp_path / ('out-' + suffix)
        assert artifacts.unpack(str(path), str(dest)) is True
        assert (dest / 'f').read_bytes() == b'x'


def test_unpack_zip_preserves_exec_mode_from_external_attr(tmp_path):
    """A .zip unpacks; unix modes stored in external_attr are applied (exec bit kept, setuid dropped)."""
    archive = make_zip(tmp_path / 'r.zip', [
        ('plugnmeet-recorder-linux-amd64', b'\x7fELF-ish', 0o755),
        ('config_sample.yaml', b'a: 1\n', 0o644),
        ('private.key', b'k', 0o600),
        ('suid', b's', 0o4755),
        ('nomode.txt', b'n', None),
        ('docs/', b'', 0o755),
        ('docs/x.md', b'# x', 0o644),
    ])
    dest = tmp_path / 'unpacked'
    assert artifacts.unpack(archive, str(dest)) is True
    assert (dest / 'plugnmeet-recorder-linux-amd64').read_bytes() == b'\x7fELF-ish'
    assert _mode(dest / 'plugnmeet-recorder-linux-amd64') == 0o755
    assert _mode(dest / 'config_sample.yaml') == 0o644
    assert _mode(dest / 'private.key') == 0o600
    assert _mode(dest / 'suid') == 0o755
    assert (dest / 'nomode.txt').read_bytes() == b'n'
    assert (dest / 'docs').is_dir() and (dest / 'docs' / 'x.md').read_bytes() == b'# x'
    assert _leftovers(tmp_path) == []


def test_unpack_is_skipped_when_dest_exists(tmp_path):
    """An existing destination is a finished unpack: nothing is written and False is returned."""
    archive = make_tar(tmp_path / 'a.tar.gz', [('new.txt', b'new', 0o644)])
    dest = tmp_path / 'unpacked'
    dest.mkdir()
    (dest / 'old.txt').write_bytes(b'old')
    assert artifacts.unpack(archive, str(dest)) is False
    assert sorted(os.listdir(str(dest))) == ['old.txt']


def test_unpack_twice_returns_false_the_second_time(tmp_path):
    """unpack is idempotent."""
    archive = make_zip(tmp_path / 'a.zip', [('f', b'x', 0o644)])
    dest = tmp_path / 'unpacked'
    assert artifacts.unpack(archive, str(dest)) is True
    assert artifacts.unpack(archive, str(dest)) is False


TAR_ESCAPES = [
    [('../evil', b'x', 0o644)],
    [('ok.txt', b'x', 0o644), ('../../evil', b'x', 0o644)],
    [('pkg/../../evil', b'x', 0o644)],
    [('/tmp/plugnmeet-test-absolute-evil', b'x', 0o644)],
]


@pytest.mark.parametrize('members', TAR_ESCAPES, ids=['dotdot', 'dotdot-after-good', 'nested-dotdot', 'absolute'])
def test_unpack_tar_refuses_members_outside(tmp_path, members):
    """Members that would land outside the unpack directory are refused; nothing is written anywhere."""
    archive = make_tar(tmp_path / 'bad.tar.gz', members)
    dest = tmp_path / 'cache' / 'unpacked'
    with pytest.raises(artifacts.ArtifactError, match='outside the unpack directory'):
        artifacts.unpack(archive, str(dest))
    assert not dest.exists()
    assert _leftovers(dest.parent) == []
    assert not (tmp_path / 'evil').exists() and not (tmp_path / 'cache' / 'evil').exists()
    assert not os.path.exists('/tmp/plugnmeet-test-absolute-evil')


@pytest.mark.parametrize('member', [
    ('link', b'', 0o777, tarfile.SYMTYPE, '/etc/passwd'),
    ('inside-link', b'', 0o777, tarfile.SYMTYPE, 'ok.txt'),
    ('hard', b'', 0o644, tarfile.LNKTYPE, 'ok.txt'),
    ('fifo', b'', 0o644, tarfile.FIFOTYPE),
    ('dev', b'', 0o644, tarfile.CHRTYPE),
], ids=['symlink-out', 'symlink-in', 'hardlink', 'fifo', 'device'])
def test_unpack_tar_refuses_links_and_special_files(tmp_path, member):
    """Only plain files and directories are unpacked from a tar: links and special files are refused."""
    archive = make_tar(tmp_path / 'bad.tar.gz', [('ok.txt', b'fine', 0o644), member])
    dest = tmp_path / 'unpacked'
    with pytest.raises(artifacts.ArtifactError, match='not a plain file or directory'):
        artifacts.unpack(archive, str(dest))
    assert not dest.exists()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize('name', ['../evil', 'dir/../../evil', '/tmp/plugnmeet-test-absolute-zip-evil'])
def test_unpack_zip_refuses_members_outside(tmp_path, name):
    """Zip members with .. or an absolute path are refused before anything is extracted."""
    archive = make_zip(tmp_path / 'bad.zip', [('ok.txt', b'x', 0o644), (name, b'evil', 0o644)])
    dest = tmp_path / 'cache' / 'unpacked'
    with pytest.raises(artifacts.ArtifactError, match='outside the unpack directory'):
        artifacts.unpack(archive, str(dest))
    assert not dest.exists()
    assert _leftovers(dest.parent) == []
    assert not (tmp_path / 'evil').exists() and not (tmp_path / 'cache' / 'evil').exists()
    assert not os.path.exists('/tmp/plugnmeet-test-absolute-zip-evil')


def test_failed_unpack_of_corrupt_archive_leaves_nothing(tmp_path):
    """A truncated archive fails half way; the error propagates and neither dest nor a temp dir remains."""
    payload = os.urandom(256 * 1024)  # incompressible, so the cut lands inside the member data
    good = make_tar(tmp_path / 'good.tar.gz', [('first.txt', b'1', 0o644), ('big.bin', payload, 0o644)])
    data = open(good, 'rb').read()
    bad = tmp_path / 'bad.tar.gz'
    bad.write_bytes(data[:len(data) // 2])
    dest = tmp_path / 'unpacked'
    with pytest.raises(Exception):  # tarfile/zlib/EOF error, whatever the archive library raises
        artifacts.unpack(str(bad), str(dest))
    assert not dest.exists()
    assert _leftovers(tmp_path) == []


def test_failure_after_partial_extraction_leaves_nothing(tmp_path):
    """When extraction fails after some files were written (file 'a', then 'a/b'), dest never appears."""
    tar = make_tar(tmp_path / 'clash.tar.gz', [('a', b'file', 0o644), ('z.txt', b'z', 0o644), ('a/b', b'x', 0o644)])
    zipped = make_zip(tmp_path / 'clash.zip', [('a', b'file', 0o644), ('z.txt', b'z', 0o644), ('a/b', b'x', 0o644)])
    for archive in (tar, zipped):
        dest = tmp_path / ('unpacked-' + os.path.basename(archive))
        with pytest.raises(Exception):
            artifacts.unpack(archive, str(dest))
        assert not dest.exists()
    assert _leftovers(tmp_path) == []


def test_failed_unpack_of_non_archive_leaves_nothing(tmp_path):
    """A file that is no archive at all fails and leaves nothing behind (zip and tar paths)."""
    for name in ('junk.zip', 'junk.tar.gz'):
        junk = tmp_path / name
        junk.write_bytes(b'<html>404 not found</html>')
        dest = tmp_path / ('unpacked-' + name)
        with pytest.raises(Exception):
            artifacts.unpack(str(junk), str(dest))
        assert not dest.exists()
    assert _leftovers(tmp_path) == []


def test_artifact_error_is_an_exception():
    """ArtifactError is an ordinary Exception the action can catch."""
    assert issubclass(artifacts.ArtifactError, Exception)
