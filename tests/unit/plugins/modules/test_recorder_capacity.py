# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/modules/recorder_capacity.py: reading fake /proc and /sys trees, the benchmark, the module end to end.

Every reader takes ``root`` (the directory standing for ``/``), so the cgroup layouts of real hosts and containers
are built under tmp_path. A fake ffmpeg script stands in for the benchmark's plumbing; when a real ffmpeg is
installed a 3-second benchmark runs too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import stat
import subprocess

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.plugnmeet.deploy.plugins.module_utils import sizing
from ansible_collections.plugnmeet.deploy.plugins.modules import recorder_capacity as rc

GIB = 1024 * 1024 * 1024
V1_UNLIMITED = '9223372036854771712'

MEMINFO = 'MemTotal:        8148000 kB\nMemFree:         4000000 kB\nMemAvailable:    7340032 kB\nBuffers: 1 kB\n'
CPUINFO_X86 = ''.join('processor\t: %d\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: avx2\n\n'
                      % n for n in range(4))
CPUINFO_ARM = ''.join('processor\t: %d\nBogoMIPS\t: 243.75\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n\n' % n
                      for n in range(2))


def write(root, path, text):
    target = os.path.join(str(root), path.lstrip('/'))
    if not os.path.isdir(os.path.dirname(target)):
        os.makedirs(os.path.dirname(target))
    with open(target, 'w') as handle:
        handle.write(text)


def base_tree(root, cpuinfo=CPUINFO_X86, meminfo=MEMINFO):
    write(root, '/proc/meminfo', meminfo)
    write(root, '/proc/cpuinfo', cpuinfo)


def v2_tree(root, path='/system.slice/plugnmeet-recorder.service', levels=None):
    """A pure cgroup v2 host; levels maps a cgroup path to {file: content}."""
    base_tree(root)
    write(root, '/proc/self/mountinfo',
          '24 30 0:22 / /sys rw,nosuid - sysfs sysfs rw\n'
          '30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec - cgroup2 cgroup2 rw,nsdelegate\n')
    write(root, '/proc/self/cgroup', '0::%s\n' % path)
    write(root, '/sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory pids\n')
    for cgroup, files in (levels or {}).items():
        for name, content in files.items():
            write(root, '/sys/fs/cgroup/%s/%s' % (cgroup.strip('/'), name), content)
    leaf = '/sys/fs/cgroup' + path
    if not os.path.isdir(os.path.join(str(root), leaf.lstrip('/'))):
        os.makedirs(os.path.join(str(root), leaf.lstrip('/')))


def v1_tree(root, cgroup_path='/', mount_root='/', cpu=None, memory=None, unified=False):
    """A cgroup v1 (or hybrid, unified=True) host; cpu and memory map a path below the mount to {file: content}."""
    base_tree(root)
    lines = ['35 25 0:31 %s /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct' % mount_root,
             '36 25 0:32 %s /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory' % mount_root,
             '37 25 0:33 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids']
    if unified:
        lines.append('38 25 0:34 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw')
    write(root, '/proc/self/mountinfo', '\n'.join(lines) + '\n')
    write(root, '/proc/self/cgroup', '12:pids:%s\n4:cpu,cpuacct:%s\n3:memory:%s\n1:name=systemd:%s\n0::%s\n'
          % ((cgroup_path,) * 5))
    for point, files in (('/sys/fs/cgroup/cpu,cpuacct', cpu or {}), ('/sys/fs/cgroup/memory', memory or {})):
        for below, contents in files.items():
            for name, content in contents.items():
                write(root, '%s/%s/%s' % (point, below.strip('/'), name), content)


# ---------------------------------------------------------------------------------------------------------------
# /proc readers


def test_meminfo(tmp_path):
    base_tree(tmp_path)
    assert rc.read_meminfo(str(tmp_path)) == {'memtotal_mb': 7957, 'memavailable_mb': 7168}


def test_meminfo_missing(tmp_path):
    assert rc.read_meminfo(str(tmp_path)) == {'memtotal_mb': None, 'memavailable_mb': None}
    with pytest.raises(rc.CapacityError, match='cannot read MemTotal'):
        rc.host_resources(str(tmp_path), getaffinity=lambda pid: {0})


def test_cpuinfo_x86(tmp_path):
    base_tree(tmp_path)
    assert rc.read_cpuinfo(str(tmp_path)) == ('AMD EPYC 7B13', 4)


def test_cpuinfo_arm64_shows_implementer_and_part(tmp_path):
    base_tree(tmp_path, cpuinfo=CPUINFO_ARM)
    assert rc.read_cpuinfo(str(tmp_path)) == ('ARM implementer 0x41 part 0xd0c', 2)


# ---------------------------------------------------------------------------------------------------------------
# cgroup v2


def test_v2_quota_and_memory_limit(tmp_path):
    """cpu.max 150000/100000 is 1.5 vCPUs; memory.max 2 GiB; both below what the host shows."""
    service = '/system.slice/plugnmeet-recorder.service'
    v2_tree(tmp_path, service, {service: {'cpu.max': '150000 100000\n', 'memory.max': '%d\n' % (2 * GIB)},
                                '/system.slice': {'cpu.max': 'max 100000\n', 'memory.max': 'max\n'}})
    root = str(tmp_path)
    assert rc.cpu_quota(root) == (1.5, 2)
    assert rc.memory_limit_mb(root) == (2048, 2)
    host = rc.host_resources(root, getaffinity=lambda pid: {0, 1, 2, 3}, machine='x86_64')
    assert host['cgroup_version'] == 2
    assert host['affinity_vcpus'] == 4 and host['online_vcpus'] == 4
    assert host['cgroup_cpu_quota_vcpus'] == 1.5 and host['effective_vcpus'] == 1.5
    assert host['memtotal_mb'] == 7957 and host['cgroup_memory_limit_mb'] == 2048
    assert host['effective_memory_mb'] == 2048
    assert host['cpu_model'] == 'AMD EPYC 7B13'


def test_v2_parent_limit_applies(tmp_path):
    """A slice's limit binds the service inside it: the smallest limit on the way up counts."""
    service = '/recorders.slice/rec.service'
    v2_tree(tmp_path, service, {service: {'cpu.max': '400000 100000', 'memory.max': '%d' % (6 * GIB)},
                                '/recorders.slice': {'cpu.max': '250000 100000', 'memory.max': '%d' % (3 * GIB)}})
    assert rc.cpu_quota(str(tmp_path))[0] == 2.5
    assert rc.memory_limit_mb(str(tmp_path))[0] == 3072


def test_v2_unlimited(tmp_path):
    v2_tree(tmp_path, '/user.slice', {'/user.slice': {'cpu.max': 'max 100000', 'memory.max': 'max'}})
    root = str(tmp_path)
    assert rc.cpu_quota(root) == (None, 2)
    assert rc.memory_limit_mb(root) == (None, 2)
    host = rc.host_resources(root, getaffinity=lambda pid: {0, 1}, machine='aarch64')
    assert host['effective_vcpus'] == 2 and host['effective_memory_mb'] == 7957


def test_v2_inside_a_cgroup_namespace(tmp_path):
    """A container with its own cgroup namespace sees "0::/" and its limits at the mount point."""
    v2_tree(tmp_path, '/', {'/': {'cpu.max': '50000 100000', 'memory.max': '%d' % GIB}})
    assert rc.cpu_quota(str(tmp_path))[0] == 0.5
    assert rc.memory_limit_mb(str(tmp_path))[0] == 1024


@pytest.mark.parametrize('content', ['garbage', '', '-1 100000', '100000 0', 'max'])
def test_v2_unreadable_values_are_no_limit(tmp_path, content):
    v2_tree(tmp_path, '/a', {'/a': {'cpu.max': content, 'memory.max': content}})
    assert rc.cpu_quota(str(tmp_path))[0] is None
    assert rc.memory_limit_mb(str(tmp_path))[0] is None


# ---------------------------------------------------------------------------------------------------------------
# cgroup v1


def test_v1_quota_and_limit(tmp_path):
    cpu = {'/docker/abc': {'cpu.cfs_quota_us': '200000', 'cpu.cfs_period_us': '100000'},
           '/': {'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000'}}
    memory = {'/docker/abc': {'memory.limit_in_bytes': str(GIB)}, '/': {'memory.limit_in_bytes': V1_UNLIMITED}}
    v1_tree(tmp_path, '/docker/abc', cpu=cpu, memory=memory)
    root = str(tmp_path)
    assert rc.cpu_quota(root) == (2.0, 1)
    assert rc.memory_limit_mb(root) == (1024, 1)
    host = rc.host_resources(root, getaffinity=lambda pid: set(range(4)), machine='x86_64')
    assert (host['effective_vcpus'], host['effective_memory_mb'], host['cgroup_version']) == (2.0, 1024, 1)


def test_v1_unlimited_values_are_ignored(tmp_path):
    """-1 quota and 2^63 rounded to a page mean no limit, not an exabyte of memory."""
    v1_tree(tmp_path, '/process_api/x', cpu={'/': {'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000'}},
            memory={'/process_api/x': {'memory.limit_in_bytes': V1_UNLIMITED},
                    '/process_api': {'memory.limit_in_bytes': V1_UNLIMITED}})
    assert rc.cpu_quota(str(tmp_path))[0] is None
    assert rc.memory_limit_mb(str(tmp_path))[0] is None


def test_v1_limit_above_memtotal_leaves_memtotal(tmp_path):
    v1_tree(tmp_path, '/', memory={'/': {'memory.limit_in_bytes': str(64 * GIB)}})
    host = rc.host_resources(str(tmp_path), getaffinity=lambda pid: {0}, machine='x86_64')
    assert host['cgroup_memory_limit_mb'] == 65536
    assert host['effective_memory_mb'] == 7957


def test_v1_container_view_of_its_own_cgroup(tmp_path):
    """Without a cgroup namespace a container's mount root is its cgroup and /proc/self/cgroup the full path."""
    v1_tree(tmp_path, '/docker/abc', mount_root='/docker/abc',
            cpu={'/': {'cpu.cfs_quota_us': '150000', 'cpu.cfs_period_us': '100000'}},
            memory={'/': {'memory.limit_in_bytes': str(2 * GIB)}})
    levels = rc.cgroup_levels(str(tmp_path))
    assert levels['cpu'] == (1, ['/sys/fs/cgroup/cpu,cpuacct'])
    assert rc.cpu_quota(str(tmp_path))[0] == 1.5
    assert rc.memory_limit_mb(str(tmp_path))[0] == 2048


def test_hybrid_prefers_v1_controllers(tmp_path):
    """systemd's hybrid layout mounts an empty v2 hierarchy next to v1's controllers: v1 is read."""
    v1_tree(tmp_path, '/system.slice/rec.service', unified=True,
            cpu={'/system.slice/rec.service': {'cpu.cfs_quota_us': '300000', 'cpu.cfs_period_us': '100000'}})
    assert rc.cpu_quota(str(tmp_path)) == (3.0, 1)


def test_missing_cgroup_directory_falls_back_to_the_mount_point(tmp_path):
    v1_tree(tmp_path, '/gone/away', cpu={'/': {'cpu.cfs_quota_us': '100000', 'cpu.cfs_period_us': '100000'}})
    assert rc.cpu_quota(str(tmp_path))[0] == 1.0


def test_no_mountinfo_assumes_the_usual_layout(tmp_path):
    base_tree(tmp_path)
    write(tmp_path, '/sys/fs/cgroup/cgroup.controllers', 'cpu memory\n')
    write(tmp_path, '/sys/fs/cgroup/cpu.max', '200000 100000\n')
    assert rc.cpu_quota(str(tmp_path)) == (2.0, 2)
    v1_root = tmp_path / 'v1'
    base_tree(v1_root)
    write(v1_root, '/sys/fs/cgroup/memory/memory.limit_in_bytes', str(GIB))
    os.makedirs(str(v1_root / 'sys/fs/cgroup/cpu,cpuacct'))
    assert rc.memory_limit_mb(str(v1_root)) == (1024, 1)


def test_no_cgroups_at_all(tmp_path):
    base_tree(tmp_path)
    host = rc.host_resources(str(tmp_path), getaffinity=lambda pid: {0, 1}, machine='x86_64')
    assert host['cgroup_version'] is None and host['cgroup_cpu_quota_vcpus'] is None
    assert host['effective_vcpus'] == 2


def test_mount_points_with_escaped_spaces(tmp_path):
    base_tree(tmp_path)
    write(tmp_path, '/proc/self/mountinfo', '30 24 0:26 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n')
    write(tmp_path, '/proc/self/cgroup', '0::/\n')
    write(tmp_path, '/sys/fs/my cgroup/cpu.max', '300000 100000\n')
    assert rc.cpu_quota(str(tmp_path))[0] == 3.0


def test_memory_override_and_affinity_failure(tmp_path):
    base_tree(tmp_path)

    def broken(pid):
        raise OSError('not permitted')

    host = rc.host_resources(str(tmp_path), getaffinity=broken, machine='x86_64', memory_mb=1536)
    assert host['affinity_vcpus'] is None
    assert host['effective_vcpus'] == 4  # the processors /proc/cpuinfo lists
    assert host['effective_memory_mb'] == 1536


# ---------------------------------------------------------------------------------------------------------------
# Programs and the benchmark, with stand-ins


class FakeRunner(object):
    """run_command stand-in: answers by the command's first distinctive argument and records every call."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, args):
        self.calls.append(list(args))
        for key, answer in self.answers.items():
            if key in args:
                return answer(args) if callable(answer) else answer
        return 127, '', 'not found'


def test_ffmpeg_info():
    runner = FakeRunner({'-version': (0, 'ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024\n'
                                         'configuration: --prefix=/usr --enable-gpl --enable-libx264\n', '')})
    assert rc.ffmpeg_info(runner, '/usr/bin/ffmpeg') == {
        'path': '/usr/bin/ffmpeg', 'version': '5.1.6-0+deb12u1', 'libx264': True}
    runner = FakeRunner({'-version': (0, 'ffmpeg version n7.1 Copyright\nconfiguration: --enable-gpl\n', '')})
    assert rc.ffmpeg_info(runner, '/opt/ffmpeg')['libx264'] is False
    assert rc.ffmpeg_info(runner, None) is None


def test_chrome_lookup_and_version(tmp_path):
    found = {'chromium': '/usr/bin/chromium', 'google-chrome-stable': '/usr/bin/google-chrome-stable'}
    assert rc.find_chrome(found.get) == '/usr/bin/chromium'  # chromedp's order: chromium before google-chrome
    assert rc.find_chrome({}.get, root=str(tmp_path)) is None
    write(tmp_path, '/opt/chrome/chrome', '#!/bin/sh\n')
    os.chmod(str(tmp_path / 'opt/chrome/chrome'), 0o755)
    assert rc.find_chrome(found.get, '/opt/chrome/chrome', str(tmp_path)) == '/opt/chrome/chrome'
    assert rc.find_chrome(found.get, '/opt/missing', str(tmp_path)) is None
    runner = FakeRunner({'--version': (0, 'Chromium 139.0.7258.154 built on Debian GNU/Linux 12 (bookworm)\n', '')})
    assert rc.chrome_info(runner, '/usr/bin/chromium') == {'path': '/usr/bin/chromium', 'version': '139.0.7258.154'}
    assert rc.chrome_info(FakeRunner({}), '/usr/bin/chromium')['version'] is None


def test_benchmark_command_uses_the_recorders_settings():
    command = rc.benchmark_command('ffmpeg', 1280, 720, 25, 10)
    text = ' '.join(command)
    assert 'testsrc2=size=1280x720:rate=25:duration=10,format=bgr0' in text
    assert ('-threads 1 -c:v libx264 -pix_fmt yuv420p -bf 0 -x264-params keyint=120:scenecut=0 -preset ultrafast '
            '-crf 23 -tune zerolatency -f null -') in text
    assert text.index('-threads 1') > text.index('-i ')  # after -i: it limits the encoder
    source = rc.benchmark_command('ffmpeg', 1280, 720, 25, 10, encode=False)
    assert 'libx264' not in source and source[-3:] == ['-f', 'null', '-']


def fake_benchmark_runner(frames, rc_code=0):
    return FakeRunner({'-progress': (rc_code, 'frame=%d\nfps=0.0\nprogress=continue\nframe=%d\nprogress=end\n'
                                     % (frames // 2, frames), 'x264 failed' if rc_code else '')})


class FakeClock(object):
    """run_benchmark reads the clock and the children's CPU time before and after each pass: each pass takes wall
    seconds and the next of cpu CPU-seconds."""

    def __init__(self, wall, cpu):
        self.times = iter([0.0, wall, wall, 2 * wall])
        used = [0.0]
        for seconds in cpu:
            used += [used[-1], used[-1] + seconds]
        self.used = iter(used[1:])

    def clock(self):
        return next(self.times)

    def cpu_seconds(self):
        return next(self.used)


def test_run_benchmark_arithmetic():
    """300 frames at 30 fps in 2 s with 2.4 CPU-s, of which the source took 0.4: 0.2 vCPU, 5x real time."""
    clock = FakeClock(wall=2.0, cpu=[0.4, 2.4])
    runner = fake_benchmark_runner(300)
    result = rc.run_benchmark(runner, '/usr/bin/ffmpeg', {'width': 1920, 'height': 1080, 'framerate': 30}, 10,
                              clock=clock.clock, cpu_seconds=clock.cpu_seconds)
    assert result['frames'] == 300
    assert result['cpu_seconds'] == 2.4 and result['source_cpu_seconds'] == 0.4
    assert result['encode_vcpus'] == pytest.approx((2.4 - 0.4) / 300 * 30)
    assert result['realtime_speed'] == pytest.approx(5.0)
    assert (result['width'], result['height'], result['framerate'], result['seconds']) == (1920, 1080, 30, 10)
    assert len(runner.calls) == 2 and 'libx264' not in runner.calls[0] and 'libx264' in runner.calls[1]
    # What the filters need from it.
    assert sizing.normalize_measured(result, sizing.normalize_profile())['encode_vcpus'] == result['encode_vcpus']


def test_run_benchmark_noise_keeps_the_gross_cost():
    clock = FakeClock(wall=1.0, cpu=[2.0, 2.1])  # the source pass "cost" nearly as much as the encode
    result = rc.run_benchmark(fake_benchmark_runner(300), 'ffmpeg', {'width': 1920, 'height': 1080,
                                                                     'framerate': 30}, 10,
                              clock=clock.clock, cpu_seconds=clock.cpu_seconds)
    assert result['encode_vcpus'] == pytest.approx(2.1 / 300 * 30)


def test_run_benchmark_wraps_in_timeout():
    clock = FakeClock(wall=1.0, cpu=[0.1, 1.0])
    runner = fake_benchmark_runner(90)
    rc.run_benchmark(runner, 'ffmpeg', {'width': 640, 'height': 360, 'framerate': 30}, 3, timeout='/usr/bin/timeout',
                     clock=clock.clock, cpu_seconds=clock.cpu_seconds)
    assert runner.calls[1][:3] == ['/usr/bin/timeout', '--kill-after=5', '60']


@pytest.mark.parametrize('runner,message', [
    (fake_benchmark_runner(300, rc_code=1), 'ffmpeg failed (rc=1) during the source pass: x264 failed'),
    (FakeRunner({'-progress': (0, 'progress=end\n', '')}), 'ffmpeg reported no encoded frames'),
    (FakeRunner({'-progress': (124, '', '')}), 'did not finish within 60 s'),
])
def test_run_benchmark_failures(runner, message):
    clock = FakeClock(wall=1.0, cpu=[0.1, 1.0])
    with pytest.raises(rc.CapacityError) as caught:
        rc.run_benchmark(runner, 'ffmpeg', {'width': 1920, 'height': 1080, 'framerate': 30}, 3,
                         timeout='/usr/bin/timeout', clock=clock.clock, cpu_seconds=clock.cpu_seconds)
    assert message in str(caught.value)


def test_run_benchmark_without_cpu_time():
    clock = FakeClock(wall=1.0, cpu=[0.0, 0.0])
    with pytest.raises(rc.CapacityError, match='no CPU time'):
        rc.run_benchmark(fake_benchmark_runner(300), 'ffmpeg', {'width': 1920, 'height': 1080, 'framerate': 30},
                         3, clock=clock.clock, cpu_seconds=clock.cpu_seconds)


# ---------------------------------------------------------------------------------------------------------------
# The module end to end (in-process, fake root)


def run_module(args, root, monkeypatch, capsys, path=None, affinity=4, machine='x86_64'):
    """Run the module with args against the fake root; returns (exit code, result dict)."""
    monkeypatch.setenv('PATH', path or str(root / 'nobin'))
    with patch_module_args(args):
        with pytest.raises(SystemExit) as caught:
            rc.run_module(root=str(root), getaffinity=lambda pid: set(range(affinity)), machine=machine)
    return caught.value.code, json.loads(capsys.readouterr().out)


def test_module_reports_and_changes_nothing(tmp_path, monkeypatch, capsys):
    service = '/system.slice/rec.service'
    v2_tree(tmp_path, service, {service: {'cpu.max': '250000 100000', 'memory.max': '%d' % (4 * GIB)}})
    code, result = run_module({'profile': {'mode': 'recorderOnly', 'webcams': 4}, '_ansible_check_mode': True},
                              tmp_path, monkeypatch, capsys)
    assert code == 0, result
    assert result['changed'] is False
    assert result['host']['effective_vcpus'] == 2.5 and result['host']['effective_memory_mb'] == 4096
    assert result['max_limit'] == 1  # 2.5 - 0.65 = 1.85 / 1.22
    assert result['capacity']['host'] == {'vcpus': 2.5, 'memory_mb': 4096, 'architecture': 'amd64'}
    assert result['reason'] == result['capacity']['reason']
    assert result['undersized'] is False
    assert result['benchmark'] is None
    assert result['tools']['ffmpeg'] is None


def test_module_memory_override(tmp_path, monkeypatch, capsys):
    v2_tree(tmp_path, '/a')
    code, result = run_module({'memory_mb': 900}, tmp_path, monkeypatch, capsys)
    assert code == 0
    assert result['host']['effective_memory_mb'] == 900
    assert result['undersized'] is True and result['capacity']['bound_by'] == 'memory'


def test_module_transcoder_only(tmp_path, monkeypatch, capsys):
    v2_tree(tmp_path, '/a')
    code, result = run_module({'profile': {'mode': 'transcoderOnly'}}, tmp_path, monkeypatch, capsys)
    assert code == 0 and result['max_limit'] == 1
    assert 'transcoderOnly records nothing' in result['reason']


@pytest.mark.parametrize('args,message', [
    ({'benchmark_seconds': 2}, 'benchmark_seconds must be between 3 and 120, not 2'),
    ({'benchmark_seconds': 121}, 'benchmark_seconds must be between 3 and 120'),
    ({'memory_mb': 0}, 'memory_mb must be above 0'),
    ({'profile': {'width': 1921}}, 'width must be an even number of pixels'),
    ({'profile': {'framerate': 90}}, 'framerate must be between 1 and 60'),
    ({'profile': {'mode': 'all'}}, 'value of mode must be one of'),
    ({'benchmark': True}, 'benchmark=true needs ffmpeg on the host'),
])
def test_module_refuses_bad_options(tmp_path, monkeypatch, capsys, args, message):
    v2_tree(tmp_path, '/a')
    code, result = run_module(args, tmp_path, monkeypatch, capsys)
    assert code == 1 and result['failed'] is True
    assert message in result['msg']


def test_module_unsupported_architecture(tmp_path, monkeypatch, capsys):
    v2_tree(tmp_path, '/a')
    code, result = run_module({}, tmp_path, monkeypatch, capsys, machine='riscv64')
    assert code == 1 and "architecture 'riscv64' is not supported" in result['msg']
    assert result['host']['architecture'] == 'riscv64'


FAKE_FFMPEG = r'''#!/bin/sh
# Stand-in for ffmpeg: -version, and -progress output after burning a little CPU (more when encoding).
case " $* " in
  *" -version "*) printf 'ffmpeg version 9.9-fake Copyright\nconfiguration: --enable-libx264\n'; exit 0 ;;
esac
echo "$*" >> "$(dirname "$0")/calls.log"
n=20000
case " $* " in *" libx264 "*) n=200000 ;; esac
i=0
while [ $i -lt $n ]; do i=$((i + 1)); done
printf 'frame=90\nprogress=end\n'
'''


def test_module_benchmark_with_a_stand_in_ffmpeg(tmp_path, monkeypatch, capsys):
    """The module finds ffmpeg in PATH, runs both passes and sizes with the measured cost."""
    v2_tree(tmp_path, '/a')
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    ffmpeg = bin_dir / 'ffmpeg'
    ffmpeg.write_text(FAKE_FFMPEG)
    ffmpeg.chmod(ffmpeg.stat().st_mode | stat.S_IXUSR)
    path = '%s:%s' % (bin_dir, os.environ.get('PATH', '/usr/bin:/bin'))
    code, result = run_module({'benchmark': True, 'benchmark_seconds': 3, 'profile': {'width': 1280, 'height': 720}},
                              tmp_path, monkeypatch, capsys, path=path)
    assert code == 0, result
    assert result['tools']['ffmpeg'] == {'path': str(ffmpeg), 'version': '9.9-fake', 'libx264': True}
    bench = result['benchmark']
    assert (bench['frames'], bench['width'], bench['height'], bench['seconds']) == (90, 1280, 720, 3)
    assert bench['cpu_seconds'] > 0 and bench['encode_vcpus'] > 0
    assert result['capacity']['per_recording']['encode_source'] == 'measured'
    assert result['capacity']['per_recording']['vcpus_parts']['encode'] == pytest.approx(bench['encode_vcpus'],
                                                                                         abs=1e-3)
    calls = (bin_dir / 'calls.log').read_text().splitlines()
    assert len(calls) == 2 and 'testsrc2=size=1280x720:rate=30:duration=3,format=bgr0' in calls[1]


def test_module_sizes_with_a_kept_benchmark_without_measuring(tmp_path, monkeypatch, capsys):
    """measured (an earlier run's benchmark) sizes like the benchmark itself, and nothing is run: no ffmpeg here."""
    v2_tree(tmp_path, '/a')
    kept = {'encode_vcpus': 0.9, 'width': 1920, 'height': 1080, 'framerate': 30, 'realtime_speed': 1.1}
    code, result = run_module({'measured': kept}, tmp_path, monkeypatch, capsys)
    assert code == 0, result
    assert result['benchmark'] is None
    assert result['capacity']['per_recording']['encode_source'] == 'measured'
    assert result['capacity']['per_recording']['vcpus_parts']['encode'] == pytest.approx(0.9, abs=1e-3)
    _code, estimated = run_module({}, tmp_path, monkeypatch, capsys)
    assert estimated['capacity']['per_recording']['encode_source'] != 'measured'


# ---------------------------------------------------------------------------------------------------------------
# Real programs


@pytest.mark.skipif(shutil.which('ffmpeg') is None, reason='ffmpeg is not installed on this machine')
def test_real_three_second_benchmark():
    """A real ffmpeg encodes 3 s of 640x360@30 like the recorder; the numbers are plausible."""
    def run_command(args):
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              check=False)
        return proc.returncode, proc.stdout, proc.stderr

    info = rc.ffmpeg_info(run_command, shutil.which('ffmpeg'))
    if not info['libx264']:
        pytest.skip('this ffmpeg lacks libx264')
    result = rc.run_benchmark(run_command, info['path'], {'width': 640, 'height': 360, 'framerate': 30}, 3,
                              timeout=shutil.which('timeout'))
    assert result['frames'] == 90
    assert result['cpu_seconds'] > 0 and result['wall_seconds'] > 0
    assert 0 < result['encode_vcpus'] < 4
    assert result['realtime_speed'] > 0


def test_module_on_this_machine_in_check_mode(run_playbook):
    """The real module through ansible-playbook (module_utils shipped with it), in check mode: nothing changes."""
    run = run_playbook([{'name': 'measure', 'plugnmeet.deploy.recorder_capacity': {
        'profile': {'mode': 'recorderOnly', 'webcams': 2}}}], check=True)
    assert run.rc == 0, run.describe()
    result = run['measure']
    assert result['changed'] is False
    assert 1 <= result['max_limit'] <= 10
    assert result['host']['effective_vcpus'] > 0 and result['host']['memtotal_mb'] > 0
    assert result['capacity']['profile']['webcams'] == 2
