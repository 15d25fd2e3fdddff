# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/action/artifact.py end to end: real ansible-playbook runs against the implicit localhost.

Each test builds small releases (a .tar.gz and a .zip per architecture) laid out as
``<dir>/<name>/<version>/<arch>/<archive>`` next to a sha256sum-style sums file, and serves them, when a test needs
downloads, from an HTTP server on 127.0.0.1. No other network is used.
"""

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

TAR_NAME, TAR_VERSION, TAR_PATTERN = 'demo-tool', '1.2.3', 'demo-tool-v{version}-linux-{arch}.tar.gz'
ZIP_NAME, ZIP_VERSION, ZIP_PATTERN = 'demo-rec', '2.0.0', 'demo-rec-linux-{arch}.zip'
ARCHES = ('amd64', 'arm64')
WRONG_SHA = 'f' * 64
# A URL nothing listens on: offline mode must never download.
UNREACHABLE = 'http://127.0.0.1:9/upstream/{name}/v{version}/{archive}'


def _tar_bytes(arch):
    top = 'demo-tool-v%s-linux-%s' % (TAR_VERSION, arch)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w:gz') as archive:
        for name, data, mode, kind in (
                (top, b'', 0o755, tarfile.DIRTYPE),
                (top + '/demo-tool', ('#!/bin/sh\necho demo-tool %s\n' % arch).encode(), 0o755, tarfile.REGTYPE),
                (top + '/LICENSE', b'GPL-3.0-or-later\n', 0o644, tarfile.REGTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = kind, mode, 0
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buffer.getvalue()


def _zip_bytes(arch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in (
                ('demo-rec-linux-%s' % arch, ('\x7fELF demo-rec %s' % arch).encode(), 0o755),
                ('config_sample.yaml', b'recorder:\n  id: "rec: one"\n', 0o644)):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


class Releases(object):
    """The test releases: archive bytes and sha256 for every (kind, arch); writes them in the artifact layout."""

    KINDS = {
        'tar': (TAR_NAME, TAR_VERSION, TAR_PATTERN, _tar_bytes),
        'zip': (ZIP_NAME, ZIP_VERSION, ZIP_PATTERN, _zip_bytes),
    }

    def __init__(self):
        self.data = {}
        for kind, (_name, _version, _pattern, build) in self.KINDS.items():
            for arch in ARCHES:
                self.data[(kind, arch)] = build(arch)

    def archive(self, kind, arch):
        name, version, pattern, _build = self.KINDS[kind]
        return pattern.replace('{version}', version).replace('{arch}', arch)

    def sha(self, kind, arch):
        return hashlib.sha256(self.data[(kind, arch)]).hexdigest()

    def directory(self, root, kind, arch):
        name, version, _pattern, _build = self.KINDS[kind]
        return os.path.join(str(root), name, version, arch)

    def publish(self, root, kind, arches=ARCHES, sums_name='SHA256SUMS', sums_lines=None, data=None):
        """Write archives (and a sums file unless sums_name is None) under root in the artifact layout.

        sums_lines, when given, replaces the sums file's content (a list of lines, the same for every arch);
        data replaces the archive bytes for every arch.
        """
        for arch in arches:
            directory = self.directory(root, kind, arch)
            if not os.path.isdir(directory):
                os.makedirs(directory)
            archive = self.archive(kind, arch)
            with open(os.path.join(directory, archive), 'wb') as handle:
                handle.write(self.data[(kind, arch)] if data is None else data)
            if sums_name:
                lines = sums_lines
                if lines is None:
                    # sha256sum's own output: text mode for tarballs, binary marker and a path for zips.
                    if kind == 'zip':
                        lines = ['%s *./dist/%s' % (self.sha(kind, arch), archive)]
                    else:
                        lines = ['%s  %s' % (self.sha(kind, other), self.archive(kind, other)) for other in ARCHES]
                with open(os.path.join(directory, sums_name), 'w') as handle:
                    handle.write('\n'.join(lines) + '\n')


@pytest.fixture(scope='module')
def releases():
    return Releases()


def artifact_task(task_name, kind='tar', **args):
    """A plugnmeet.deploy.artifact task (errors ignored, so later tasks and the results still come back)."""
    name, version, pattern, _build = Releases.KINDS[kind]
    params = {
        'name': name,
        'version': version,
        'archive': pattern,
        'url': UNREACHABLE,
        'checksums_file': 'SHA256SUMS',
        'hosts_arch': {'localhost': 'x86_64'},
    }
    params.update(args)
    return {'name': task_name, 'plugnmeet.deploy.artifact': params, 'ignore_errors': True}


def unpacked_dir(cache, releases, kind, arch):
    return os.path.join(releases.directory(cache, kind, arch), 'unpacked-%s' % releases.sha(kind, arch)[:16])


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def assert_ok(result):
    assert not result.get('failed'), result.get('msg')


def assert_failed(result, *fragments):
    assert result.get('failed') is True, 'the task should have failed'
    for fragment in fragments:
        assert fragment in result['msg'], result['msg']
    return result['msg']


def files_under(root):
    found = []
    for directory, _dirs, files in os.walk(str(root)):
        for name in files:
            found.append(os.path.relpath(os.path.join(directory, name), str(root)))
    return sorted(found)


# --- offline directory ------------------------------------------------------------------------------------------

def test_offline_source_dir_tar_and_zip_then_unchanged(run_playbook, releases, tmp_path):
    """Offline mode verifies and unpacks each architecture (exec bits kept); the second run reports changed=false."""
    offline, cache = tmp_path / 'offline', tmp_path / 'cache'
    releases.publish(offline, 'tar')
    releases.publish(offline, 'zip', arches=('amd64',), sums_name='checksums.txt')
    tasks = [
        artifact_task('tar', source_dir=str(offline), cache_dir=str(cache),
                      hosts_arch={'web1': 'x86_64', 'rec1': 'aarch64', 'web2': 'amd64'}),
        artifact_task('zip', kind='zip', source_dir=str(offline), cache_dir=str(cache),
                      checksums_file='checksums.txt', hosts_arch={'localhost': 'x86_64'}),
    ]
    first = run_playbook(tasks)
    assert first.rc == 0, first.describe()
    tar, zipped = first['tar'], first['zip']
    assert_ok(tar)
    assert_ok(zipped)
    assert tar['changed'] is True and zipped['changed'] is True
    assert tar['downloaded'] == [] and zipped['downloaded'] == []
    assert tar['arch_by_host'] == {'web1': 'amd64', 'rec1': 'arm64', 'web2': 'amd64'}
    assert sorted(tar['unpacked_now']) == ['amd64', 'arm64']
    for arch in ARCHES:
        assert tar['sha256'][arch] == releases.sha('tar', arch)
        assert tar['unpacked'][arch] == unpacked_dir(cache, releases, 'tar', arch)
        binary = os.path.join(tar['unpacked'][arch], 'demo-tool-v1.2.3-linux-%s' % arch, 'demo-tool')
        with open(binary) as handle:
            assert handle.read() == '#!/bin/sh\necho demo-tool %s\n' % arch
        assert mode_of(binary) == 0o755
        assert mode_of(os.path.join(os.path.dirname(binary), 'LICENSE')) == 0o644
    assert zipped['sha256'] == {'amd64': releases.sha('zip', 'amd64')}
    zip_binary = os.path.join(zipped['unpacked']['amd64'], 'demo-rec-linux-amd64')
    assert mode_of(zip_binary) == 0o755
    assert mode_of(os.path.join(zipped['unpacked']['amd64'], 'config_sample.yaml')) == 0o644
    # Offline archives are read in place, never copied into the cache.
    assert not any(name.endswith(('.tar.gz', '.zip')) for name in files_under(cache))

    second = run_playbook(tasks)
    assert second.rc == 0, second.describe()
    for task in ('tar', 'zip'):
        assert_ok(second[task])
        assert second[task]['changed'] is False
        assert second[task]['unpacked_now'] == [] and second[task]['downloaded'] == []
        assert second[task]['unpacked'] == first[task]['unpacked']


def test_offline_failures(run_playbook, releases, tmp_path):
    """Offline mode: a missing archive says where to put it; a missing or incomplete sums file says how to fix it."""
    offline, cache = tmp_path / 'offline', tmp_path / 'cache'
    releases.publish(offline, 'tar', arches=('amd64',))
    no_sums = tmp_path / 'no-sums'
    releases.publish(no_sums, 'zip', arches=('amd64',), sums_name=None)
    unlisted = tmp_path / 'unlisted'
    releases.publish(unlisted, 'tar', arches=('amd64',), sums_lines=['%s  other.tar.gz' % WRONG_SHA])
    run = run_playbook([
        artifact_task('missing archive', source_dir=str(offline), cache_dir=str(cache),
                      hosts_arch={'rec1': 'aarch64'}),
        artifact_task('missing sums', kind='zip', source_dir=str(no_sums), cache_dir=str(cache),
                      checksums_file='checksums.txt'),
        artifact_task('no sums file name', kind='zip', source_dir=str(no_sums), cache_dir=str(cache),
                      checksums_file=''),
        artifact_task('unlisted', source_dir=str(unlisted), cache_dir=str(cache)),
    ])
    assert run.rc == 0, run.describe()
    arm_archive = releases.archive('tar', 'arm64')
    msg = assert_failed(run['missing archive'], 'demo-tool 1.2.3:', arm_archive,
                        'is not in the offline artifact directory',
                        os.path.join(releases.directory(offline, 'tar', 'arm64'), arm_archive),
                        'http://127.0.0.1:9/upstream/demo-tool/v1.2.3/%s' % arm_archive)
    assert 'plugnmeet_artifacts_dir' in msg
    assert_failed(run['missing sums'], 'demo-rec 2.0.0:', 'no sha256 is known for demo-rec 2.0.0 (amd64)',
                  '{amd64: "sha256:<hex>"}', 'checksums.txt')
    assert_failed(run['no sums file name'], 'no sha256 is known', 'checksums variable', 'SHA256SUMS')
    assert_failed(run['unlisted'], 'lists no sha256 for %s' % releases.archive('tar', 'amd64'))
    assert not os.path.exists(os.path.join(releases.directory(cache, 'zip', 'amd64')))


def test_pinned_checksum_wins_over_sums_file(run_playbook, releases, tmp_path):
    """A pinned sha256 is used instead of the sums file, in both directions; pins of other arches are ignored."""
    wrong_sums, right_sums = tmp_path / 'wrong-sums', tmp_path / 'right-sums'
    releases.publish(wrong_sums, 'tar', sums_lines=['%s  %s' % (WRONG_SHA, releases.archive('tar', arch))
                                                    for arch in ARCHES])
    releases.publish(right_sums, 'tar')
    good = dict((arch, 'sha256:' + releases.sha('tar', arch).upper()) for arch in ARCHES)
    run = run_playbook([
        artifact_task('pinned right, sums wrong', source_dir=str(wrong_sums), cache_dir=str(tmp_path / 'c1'),
                      checksums=good, hosts_arch={'a': 'x86_64', 'b': 'aarch64'}),
        artifact_task('pinned wrong, sums right', source_dir=str(right_sums), cache_dir=str(tmp_path / 'c2'),
                      checksums={'amd64': WRONG_SHA}),
        artifact_task('other arch pinned', source_dir=str(right_sums), cache_dir=str(tmp_path / 'c3'),
                      checksums={'arm64': WRONG_SHA}),
    ])
    assert run.rc == 0, run.describe()
    winner = run['pinned right, sums wrong']
    assert_ok(winner)
    assert winner['sha256'] == dict((arch, releases.sha('tar', arch)) for arch in ARCHES)
    assert_failed(run['pinned wrong, sums right'], 'checksum mismatch', 'expected %s (pinned checksum)' % WRONG_SHA,
                  'got %s' % releases.sha('tar', 'amd64'))
    # A failed verification of an offline archive leaves the operator's file in place.
    assert os.path.isfile(os.path.join(releases.directory(right_sums, 'tar', 'amd64'), releases.archive('tar', 'amd64')))
    assert not os.path.exists(unpacked_dir(tmp_path / 'c2', releases, 'tar', 'amd64'))
    assert_ok(run['other arch pinned'])
    assert run['other arch pinned']['sha256'] == {'amd64': releases.sha('tar', 'amd64')}


# --- downloads --------------------------------------------------------------------------------------------------

def test_mirror_downloads_verifies_and_caches(run_playbook, releases, tmp_path, http_server):
    """Mirror mode downloads archive and sums into the cache once; the second run downloads nothing, changed=false."""
    releases.publish(os.path.join(http_server.root, 'mirror'), 'tar')
    releases.publish(os.path.join(http_server.root, 'mirror'), 'zip', arches=('arm64',))
    cache = tmp_path / 'cache'
    mirror = http_server.url + '/mirror/'  # a trailing slash is tolerated
    tasks = [
        artifact_task('tar', mirror_url=mirror, cache_dir=str(cache)),
        artifact_task('zip', kind='zip', mirror_url=mirror, cache_dir=str(cache), hosts_arch={'rec': 'arm64'}),
    ]
    first = run_playbook(tasks)
    assert first.rc == 0, first.describe()
    assert_ok(first['tar'])
    assert_ok(first['zip'])
    base = http_server.url + '/mirror/demo-tool/1.2.3/amd64/'
    assert first['tar']['downloaded'] == [base + releases.archive('tar', 'amd64'), base + 'SHA256SUMS']
    assert first['tar']['changed'] is True and first['tar']['unpacked_now'] == ['amd64']
    assert first['tar']['sha256'] == {'amd64': releases.sha('tar', 'amd64')}
    assert first['zip']['sha256'] == {'arm64': releases.sha('zip', 'arm64')}
    assert mode_of(os.path.join(first['zip']['unpacked']['arm64'], 'demo-rec-linux-arm64')) == 0o755
    cached = releases.directory(cache, 'tar', 'amd64')
    with open(os.path.join(cached, releases.archive('tar', 'amd64')), 'rb') as handle:
        assert handle.read() == releases.data[('tar', 'amd64')]
    assert mode_of(os.path.join(cached, releases.archive('tar', 'amd64'))) == 0o644
    assert not [name for name in os.listdir(cached) if name.startswith('.download-')]
    requests_after_first = list(http_server.requests)
    assert len(requests_after_first) == 4

    second = run_playbook(tasks)
    assert second.rc == 0, second.describe()
    for task in ('tar', 'zip'):
        assert_ok(second[task])
        assert second[task]['changed'] is False
        assert second[task]['downloaded'] == [] and second[task]['unpacked_now'] == []
    assert http_server.requests == requests_after_first


def test_upstream_url_mode(run_playbook, releases, tmp_path, http_server):
    """Without source_dir or mirror the upstream url pattern is filled for the archive and the sums file."""
    upstream = os.path.join(http_server.root, 'upstream', 'demo-tool', 'v1.2.3')
    os.makedirs(upstream)
    for arch in ARCHES:
        with open(os.path.join(upstream, releases.archive('tar', arch)), 'wb') as handle:
            handle.write(releases.data[('tar', arch)])
    with open(os.path.join(upstream, 'SHA256SUMS'), 'w') as handle:
        handle.write(''.join('%s  %s\n' % (releases.sha('tar', arch), releases.archive('tar', arch))
                             for arch in ARCHES))
    cache = tmp_path / 'cache'
    url = http_server.url + '/upstream/{name}/v{version}/{archive}'
    run = run_playbook([artifact_task('upstream', url=url, cache_dir=str(cache),
                                      hosts_arch={'main1': 'x86_64', 'rec1': 'aarch64'})])
    assert run.rc == 0, run.describe()
    result = run['upstream']
    assert_ok(result)
    base = http_server.url + '/upstream/demo-tool/v1.2.3/'
    assert set(result['downloaded']) == set([base + releases.archive('tar', arch) for arch in ARCHES]
                                            + [base + 'SHA256SUMS'])
    assert result['sha256'] == dict((arch, releases.sha('tar', arch)) for arch in ARCHES)
    for arch in ARCHES:
        assert os.path.isdir(unpacked_dir(cache, releases, 'tar', arch))


def test_upstream_without_checksums_file(run_playbook, releases, tmp_path, http_server):
    """upstream_checksums=false never asks upstream for a sums file: a pinned sha256 verifies the archive, and
    without one the task fails naming the variable to set."""
    upstream = os.path.join(http_server.root, 'dl')
    os.makedirs(upstream)
    for kind in ('tar', 'zip'):
        with open(os.path.join(upstream, releases.archive(kind, 'amd64')), 'wb') as handle:
            handle.write(releases.data[(kind, 'amd64')])
    url = http_server.url + '/dl/{archive}'
    run = run_playbook([
        artifact_task('pinned', kind='zip', url=url, upstream_checksums=False,
                      checksums={'amd64': releases.sha('zip', 'amd64')}, cache_dir=str(tmp_path / 'cache')),
        artifact_task('unverifiable', url=url, upstream_checksums=False, cache_dir=str(tmp_path / 'cache')),
    ])
    assert run.rc == 0, run.describe()
    assert_ok(run['pinned'])
    zip_path = '/dl/' + releases.archive('zip', 'amd64')
    assert run['pinned']['downloaded'] == [http_server.url + zip_path]
    assert run['pinned']['sha256'] == {'amd64': releases.sha('zip', 'amd64')}
    assert_failed(run['unverifiable'], 'demo-tool 1.2.3:', 'no sha256 is known for demo-tool 1.2.3 (amd64)',
                  "Set the role's checksums variable to {amd64: \"sha256:<hex>\"}", 'SHA256SUMS',
                  'plugnmeet_artifacts_dir')
    assert not os.path.exists(unpacked_dir(tmp_path / 'cache', releases, 'tar', 'amd64'))
    # Only the two archives were requested, never a sums file.
    assert sorted(http_server.requests) == sorted([zip_path, '/dl/' + releases.archive('tar', 'amd64')])


def _github_release(http_server, releases, digests):
    """Serve the zip release as GitHub does: assets under /dl, the release API's document with their digests."""
    downloads = os.path.join(http_server.root, 'dl')
    api = os.path.join(http_server.root, 'api', 'repos', 'demo', 'rec', 'releases', 'tags')
    for directory in (downloads, api):
        if not os.path.isdir(directory):
            os.makedirs(directory)
    for arch in ARCHES:
        with open(os.path.join(downloads, releases.archive('zip', arch)), 'wb') as handle:
            handle.write(releases.data[('zip', arch)])
    assets = [{'name': releases.archive('zip', arch), 'digest': digests.get(arch)} for arch in ARCHES]
    with open(os.path.join(api, 'v2.0.0'), 'w') as handle:
        json.dump({'tag_name': 'v2.0.0', 'assets': assets}, handle)
    return dict(url=http_server.url + '/dl/{archive}', upstream_checksums=False,
                release_metadata_url=http_server.url + '/api/repos/demo/rec/releases/tags/v{version}')


def test_release_metadata_digest_verifies_an_upstream_download(run_playbook, releases, tmp_path, http_server):
    """No checksums file upstream, none pinned: the digest the release API lists for each asset verifies it (a
    local server plays GitHub), and the next run asks nothing again."""
    source = _github_release(http_server, releases, {arch: 'sha256:' + releases.sha('zip', arch) for arch in ARCHES})
    cache = tmp_path / 'cache'
    task = artifact_task('github', kind='zip', cache_dir=str(cache), hosts_arch={'rec1': 'x86_64', 'rec2': 'aarch64'},
                         **source)
    run = run_playbook([task])
    assert run.rc == 0, run.describe()
    assert_ok(run['github'])
    assert run['github']['sha256'] == {arch: releases.sha('zip', arch) for arch in ARCHES}
    assert sorted(http_server.requests) == sorted(['/dl/' + releases.archive('zip', arch) for arch in ARCHES]
                                                  + ['/api/repos/demo/rec/releases/tags/v2.0.0'] * 2)
    again = run_playbook([task])
    assert_ok(again['github'])
    assert again['github']['downloaded'] == [] and not again['github']['changed']


def test_release_metadata_wrong_or_missing_digest_fails(run_playbook, releases, tmp_path, http_server):
    """A digest that does not match deletes the download and the metadata; an asset without a digest fails naming
    the variable to pin; a pinned checksum wins and the metadata is never asked for."""
    source = _github_release(http_server, releases, {'amd64': 'sha256:' + WRONG_SHA, 'arm64': None})
    cache = tmp_path / 'cache'
    run = run_playbook([
        artifact_task('wrong', kind='zip', cache_dir=str(cache), **source),
        artifact_task('missing', kind='zip', cache_dir=str(cache), hosts_arch={'rec2': 'aarch64'}, **source),
        artifact_task('pinned', kind='zip', cache_dir=str(tmp_path / 'pinned'), hosts_arch={'rec2': 'aarch64'},
                      checksums={'arm64': releases.sha('zip', 'arm64')}, **source),
    ])
    assert run.rc == 0, run.describe()
    metadata_url = http_server.url + '/api/repos/demo/rec/releases/tags/v2.0.0'
    assert_failed(run['wrong'], 'checksum mismatch', 'expected %s (the digest in %s)' % (WRONG_SHA, metadata_url))
    assert files_under(releases.directory(cache, 'zip', 'amd64')) == []
    assert_failed(run['missing'], '%s lists no sha256 digest for %s' % (metadata_url, releases.archive('zip', 'arm64')),
                  "Set the role's checksums variable to {arm64: \"sha256:<hex>\"}")
    assert not os.path.exists(os.path.join(releases.directory(cache, 'zip', 'arm64'), 'release-metadata.json'))
    assert_ok(run['pinned'])
    assert run['pinned']['downloaded'] == [http_server.url + '/dl/' + releases.archive('zip', 'arm64')]


def test_wrong_checksum_fails_and_deletes_the_download(run_playbook, releases, tmp_path, http_server):
    """A downloaded archive that does not match its sums entry fails clearly and is removed from the cache;
    once the mirror serves the right archive the next run succeeds."""
    mirror_root = os.path.join(http_server.root, 'mirror')
    releases.publish(mirror_root, 'tar', arches=('amd64',), data=b'tampered archive bytes')
    cache = tmp_path / 'cache'
    task = artifact_task('tar', mirror_url=http_server.url + '/mirror', cache_dir=str(cache))
    run = run_playbook([task])
    assert run.rc == 0, run.describe()
    cached_dir = releases.directory(cache, 'tar', 'amd64')
    cached_archive = os.path.join(cached_dir, releases.archive('tar', 'amd64'))
    assert_failed(run['tar'], 'demo-tool 1.2.3:', 'checksum mismatch for %s' % cached_archive,
                  'expected %s (%s)' % (releases.sha('tar', 'amd64'), os.path.join(cached_dir, 'SHA256SUMS')),
                  'got %s' % hashlib.sha256(b'tampered archive bytes').hexdigest())
    assert not os.path.exists(cached_archive)
    assert not [name for name in os.listdir(cached_dir) if name.startswith(('unpacked-', '.unpack-', '.download-'))]

    releases.publish(mirror_root, 'tar', arches=('amd64',))
    fixed = run_playbook([task])
    assert_ok(fixed['tar'])
    # The checksums file that vouched for the bad download is fetched again too.
    base = http_server.url + '/mirror/demo-tool/1.2.3/amd64/'
    assert fixed['tar']['downloaded'] == [base + releases.archive('tar', 'amd64'), base + 'SHA256SUMS']


def test_wrong_sums_file_is_not_kept_in_the_cache(run_playbook, releases, tmp_path, http_server):
    """After the mirror's sums file is corrected, the next run succeeds (the bad sums file was not cached)."""
    mirror_root = os.path.join(http_server.root, 'mirror')
    releases.publish(mirror_root, 'tar', arches=('amd64',),
                     sums_lines=['%s  %s' % (WRONG_SHA, releases.archive('tar', 'amd64'))])
    task = artifact_task('tar', mirror_url=http_server.url + '/mirror', cache_dir=str(tmp_path / 'cache'))
    assert_failed(run_playbook([task])['tar'], 'checksum mismatch')
    releases.publish(mirror_root, 'tar', arches=('amd64',))
    assert_ok(run_playbook([task])['tar'])


def test_pinned_checksum_does_not_need_a_sums_file_on_the_mirror(run_playbook, releases, tmp_path, http_server):
    """With a pinned sha256 a mirror that has only the archive is enough."""
    releases.publish(os.path.join(http_server.root, 'mirror'), 'tar', arches=('amd64',), sums_name=None)
    run = run_playbook([artifact_task('pinned', mirror_url=http_server.url + '/mirror',
                                      cache_dir=str(tmp_path / 'cache'),
                                      checksums={'amd64': releases.sha('tar', 'amd64')})])
    assert_ok(run['pinned'])


def test_download_failure_leaves_no_partial_file(run_playbook, releases, tmp_path, http_server):
    """A 404 fails with the URL in the message and leaves neither the archive nor a temporary file."""
    cache = tmp_path / 'cache'
    run = run_playbook([artifact_task('absent', mirror_url=http_server.url, cache_dir=str(cache))])
    assert run.rc == 0, run.describe()
    url = '%s/demo-tool/1.2.3/amd64/%s' % (http_server.url, releases.archive('tar', 'amd64'))
    assert_failed(run['absent'], 'download of %s failed' % url, '404')
    assert files_under(cache) == []


def test_unsupported_architecture_fails_naming_the_host(run_playbook, releases, tmp_path, http_server):
    """A host whose architecture has no release fails the task, naming host and architecture, before any download."""
    releases.publish(os.path.join(http_server.root, 'mirror'), 'tar')
    run = run_playbook([artifact_task('arch', mirror_url=http_server.url + '/mirror',
                                      cache_dir=str(tmp_path / 'cache'),
                                      hosts_arch={'main1': 'x86_64', 'rec9': 'ppc64le'})])
    assert run.rc == 0, run.describe()
    assert_failed(run['arch'], 'demo-tool 1.2.3:', "architecture 'ppc64le' (host rec9) has no release",
                  'supported:', 'x86_64', 'aarch64')
    assert http_server.requests == []


def test_check_mode_resolves_into_the_cache(run_playbook, releases, tmp_path, http_server):
    """In --check the action still downloads, verifies and unpacks (only the controller cache changes);
    a normal run afterwards finds everything in place."""
    releases.publish(os.path.join(http_server.root, 'mirror'), 'tar', arches=('arm64',))
    cache = tmp_path / 'cache'
    task = artifact_task('tar', mirror_url=http_server.url + '/mirror', cache_dir=str(cache),
                         hosts_arch={'rec1': 'arm64'})
    checked = run_playbook([task], check=True)
    assert checked.rc == 0, checked.describe()
    assert_ok(checked['tar'])
    assert checked['tar']['changed'] is True
    assert checked['tar']['unpacked_now'] == ['arm64']
    assert checked['tar']['sha256'] == {'arm64': releases.sha('tar', 'arm64')}
    assert os.path.isdir(checked['tar']['unpacked']['arm64'])

    normal = run_playbook([task])
    assert_ok(normal['tar'])
    assert normal['tar']['changed'] is False
    assert normal['tar']['unpacked'] == checked['tar']['unpacked']


def test_argument_errors(run_playbook, tmp_path):
    """Required arguments, the offline/mirror exclusivity and unknown options are reported."""
    cache = str(tmp_path / 'cache')
    no_hosts = artifact_task('no hosts', cache_dir=cache, source_dir=str(tmp_path))
    del no_hosts['plugnmeet.deploy.artifact']['hosts_arch']
    no_cache = artifact_task('no cache', source_dir=str(tmp_path))
    run = run_playbook([
        no_hosts,
        no_cache,
        artifact_task('both', cache_dir=cache, source_dir=str(tmp_path), mirror_url='http://127.0.0.1:9'),
        artifact_task('unknown', cache_dir=cache, source_dir=str(tmp_path), bogus_option=1),
    ])
    assert run.rc == 0, run.describe()
    assert_failed(run['no hosts'], 'hosts_arch is required')
    assert_failed(run['no cache'], 'cache_dir is required')
    assert_failed(run['both'], 'set plugnmeet_artifacts_dir or plugnmeet_artifacts_mirror_url, not both')
    assert_failed(run['unknown'], 'bogus_option')
    assert not os.path.exists(cache)


# --- one archive for every architecture (the web client) ---------------------------------------------------------

def test_arch_independent_archive_verified_from_each_source_and_not_unpacked(run_playbook, releases, tmp_path,
                                                                             http_server):
    """One zip for every host's architecture, under <name>/<version>/ without an architecture level: offline and from
    a mirror it is verified against the SHA256SUMS beside it, from upstream against the release API's digest; a
    wrong file is refused; nothing is unpacked on the controller, the archive's path comes back under `all`."""
    data, sha = releases.data[('zip', 'amd64')], releases.sha('zip', 'amd64')
    hosts = {'web1': 'x86_64', 'web2': 'aarch64', 'web3': 'riscv64'}  # no release needed for any architecture
    for root in (tmp_path / 'offline', tmp_path / 'served' / 'mirror'):
        (root / 'demo-web' / '3.1.0').mkdir(parents=True)
        (root / 'demo-web' / '3.1.0' / 'client.zip').write_bytes(data)
        (root / 'demo-web' / '3.1.0' / 'SHA256SUMS').write_text('%s  client.zip\n' % sha)
    api = os.path.join(http_server.root, 'api', 'releases')
    os.makedirs(api)
    with open(os.path.join(api, 'v3.1.0'), 'w') as handle:
        json.dump({'assets': [{'name': 'client.zip', 'digest': 'sha256:' + sha}]}, handle)
    os.makedirs(os.path.join(http_server.root, 'dl'))
    with open(os.path.join(http_server.root, 'dl', 'client.zip'), 'wb') as handle:
        handle.write(data)
    os.symlink(str(tmp_path / 'served' / 'mirror'), os.path.join(http_server.root, 'mirror'))
    common = dict(name='demo-web', version='3.1.0', archive='client.zip', checksums_file='SHA256SUMS',
                  arch_independent=True, unpack=False,
                  hosts_arch=hosts, upstream_checksums=False,
                  release_metadata_url=http_server.url + '/api/releases/v{version}')

    def task(task_name, cache, **args):
        return {'name': task_name, 'ignore_errors': True,
                'plugnmeet.deploy.artifact': dict(common, cache_dir=str(tmp_path / cache), **args)}

    run = run_playbook([
        task('offline', 'c1', url=UNREACHABLE, source_dir=str(tmp_path / 'offline')),
        task('mirror', 'c2', url=UNREACHABLE, mirror_url=http_server.url + '/mirror/'),
        task('upstream', 'c3', url=http_server.url + '/dl/{archive}'),
        task('pinned wrong', 'c4', url=http_server.url + '/dl/{archive}', checksums={'all': WRONG_SHA}),
    ])
    assert run.rc == 0, run.describe()
    for name, cache in (('offline', None), ('mirror', 'c2'), ('upstream', 'c3')):
        result = run[name]
        assert_ok(result)
        assert result['arch_by_host'] == dict.fromkeys(hosts, 'all')
        assert result['sha256'] == {'all': sha} and result['unpacked'] == {} and result['unpacked_now'] == []
        expected = (tmp_path / 'offline' if cache is None else tmp_path / cache) / 'demo-web' / '3.1.0' / 'client.zip'
        assert result['archive'] == {'all': str(expected)}
    assert run['mirror']['downloaded'] == [http_server.url + '/mirror/demo-web/3.1.0/client.zip',
                                           http_server.url + '/mirror/demo-web/3.1.0/SHA256SUMS']
    assert run['upstream']['downloaded'] == [http_server.url + '/dl/client.zip', http_server.url + '/api/releases/v3.1.0']
    assert_failed(run['pinned wrong'], 'checksum mismatch', 'pinned checksum')
    assert not (tmp_path / 'c4' / 'demo-web' / '3.1.0' / 'client.zip').exists()
