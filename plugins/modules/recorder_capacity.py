#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: recorder_capacity
short_description: Measure a plugnmeet-recorder host and recommend its max_limit
version_added: 0.1.0
description:
  - Runs on the recorder host and reads what facts miss, the CPUs the process may use (CPU affinity), the cgroup
    CPU quota and memory limit of its own cgroup (v1 or v2, the smallest limit on the way up to the hierarchy's
    root), the CPU model, C(MemTotal) and C(MemAvailable), and whether ffmpeg (with libx264) and Chrome or
    Chromium are installed, with their versions.
  - With O(benchmark=true) it encodes O(benchmark_seconds) of a synthetic picture (ffmpeg's C(testsrc2), BGR0
    pixels like x11grab's) at the profile's size and frame rate on one thread with the recorder's own settings
    (libx264 C(-pix_fmt yuv420p -preset ultrafast -tune zerolatency -crf 23 -bf 0
    -x264-params keyint=120:scenecut=0)) to a null output, as fast as the host allows, and measures the real-time
    speed and the CPU time used. A second pass that only generates the picture is subtracted, so the result is the
    conversion and encode cost alone.
  - Recommends C(max_limit) with the collection's sizing model (see P(plugnmeet.deploy.recorder_max_limit#filter)),
    the measured encode cost replacing the model's estimate.
  - Changes nothing on the host. The benchmark keeps one CPU busy for a few seconds; run it before the recorder
    takes jobs, as a busy host measures slower.
options:
  profile:
    description: The recording profile to size for; missing keys take upstream's defaults.
    type: dict
    default: {}
    suboptions:
      width:
        description: Recording width in pixels (C(recorder.width)), even, 320 to 7680. Default 1920.
        type: int
      height:
        description: Recording height in pixels (C(recorder.height)), even, 320 to 7680. Default 1080.
        type: int
      framerate:
        description: Frames per second, 1 to 60. Default 30 (x11grab's default rate, which the recorder uses).
        type: float
      webcams:
        description: Webcam tiles expected on screen, 0 to 100. Default 4.
        type: int
      mode:
        description: The recorder's C(recorder.mode). Default V(both).
        type: str
        choices: [both, recorderOnly, transcoderOnly]
      post_mp4_convert:
        description: The recorder's C(recorder.post_mp4_convert). Default V(true).
        type: bool
      transcoding_cpu_limit:
        description: The recorder's C(recorder.transcoding_cpu_limit_both_mode) in percent, 0 turns it off.
          Default 80.
        type: float
  benchmark:
    description: Run the encode benchmark (needs ffmpeg with libx264 on the host).
    type: bool
    default: false
  benchmark_seconds:
    description: Seconds of video the benchmark encodes, 3 to 120.
    type: int
    default: 10
  measured:
    description:
      - The RV(benchmark) of an earlier run on this host, kept by the caller; the model sizes with it as with a
        benchmark run now. Ignored when O(benchmark=true).
    type: dict
  memory_mb:
    description: Memory in MiB to size for instead of what the host shows (for example when a container's limit is
      enforced outside the cgroup the module can see).
    type: float
  chrome_path:
    description: The recorder's C(custom_chrome_path); when empty the module looks for Chrome or Chromium in C(PATH)
      the way the recorder does.
    type: path
attributes:
  check_mode:
    support: full
    details: The module never changes anything; it measures in check mode as well.
  diff_mode:
    support: none
  platform:
    support: full
notes:
  - Linux only (C(/proc), C(/sys/fs/cgroup)). Needs Python 3.9 or later on the host.
  - The recorder passes C(-threads 1) before its C(-i), where it limits x11grab's input, not x264; so the real
    encoder may use several threads. The benchmark uses one, which measures the CPU cost per frame cleanly.
extends_documentation_fragment:
  - plugnmeet.deploy.attributes
author:
  - plugnmeet.deploy maintainers (@plugnmeet-deploy)
'''

EXAMPLES = r'''
- name: Measure the recorder host
  plugnmeet.deploy.recorder_capacity:
    profile:
      webcams: 6
      mode: recorderOnly
    benchmark: true
  register: recorder_measured

- name: Show why
  ansible.builtin.debug:
    msg: "{{ recorder_measured.reason }}"

- name: Refuse an undersized recorder
  ansible.builtin.assert:
    that: not recorder_measured.undersized
    fail_msg: "{{ recorder_measured.reason }}"
'''

RETURN = r'''
max_limit:
  description: The recommended C(recorder.max_limit), 1 to 10.
  returned: success
  type: int
  sample: 1
undersized:
  description: Whether the host cannot sustain even one recording (C(max_limit) is then 1).
  returned: success
  type: bool
  sample: false
reason:
  description: One line saying why.
  returned: success
  type: str
  sample: >-
    max_limit 1 (CPU-bound): 2 vCPUs less 0.6 for the OS leave 1.4, one recording needs 1.33 vCPU (encode measured)
    at 1920x1080@30 fps with 4 webcams; memory would allow 5
capacity:
  description: The sizing model's whole answer, as P(plugnmeet.deploy.recorder_capacity_reason#filter) returns it.
  returned: success
  type: dict
host:
  description: What the module read on the host.
  returned: success
  type: dict
  contains:
    architecture:
      description: The machine (C(uname -m)).
      type: str
      sample: x86_64
    cpu_model:
      description: The CPU model from C(/proc/cpuinfo), V(null) when not shown.
      type: str
      sample: AMD EPYC 7B13
    online_vcpus:
      description: Logical CPUs the kernel shows.
      type: int
      sample: 8
    affinity_vcpus:
      description: Logical CPUs this process may run on (CPU affinity, cpusets).
      type: int
      sample: 8
    cgroup_version:
      description: The cgroup version the limits were read from, 1 or 2, V(null) when none was found.
      type: int
      sample: 2
    cgroup_cpu_quota_vcpus:
      description: The cgroup CPU quota in vCPUs, V(null) when unlimited.
      type: float
      sample: 2.5
    effective_vcpus:
      description: The smaller of C(affinity_vcpus) and C(cgroup_cpu_quota_vcpus), what the model sizes for.
      type: float
      sample: 2.5
    memtotal_mb:
      description: C(MemTotal) in MiB.
      type: int
      sample: 7950
    memavailable_mb:
      description: C(MemAvailable) in MiB.
      type: int
      sample: 7100
    cgroup_memory_limit_mb:
      description: The cgroup memory limit in MiB, V(null) when unlimited.
      type: int
      sample: 4096
    effective_memory_mb:
      description: O(memory_mb) when set, else the smaller of C(memtotal_mb) and C(cgroup_memory_limit_mb); what the
        model sizes for.
      type: int
      sample: 4096
tools:
  description: The programs the recorder needs, each V(null) when missing.
  returned: success
  type: dict
  contains:
    ffmpeg:
      description: C(path), C(version) and C(libx264) (whether it was built with libx264).
      type: dict
      sample: {path: /usr/bin/ffmpeg, version: 5.1.6-0+deb12u1, libx264: true}
    chromium:
      description: C(path) and C(version) of Chrome or Chromium.
      type: dict
      sample: {path: /usr/bin/chromium, version: 139.0.7258.154}
benchmark:
  description: The encode benchmark's measurements; V(null) when O(benchmark=false). Keep it and pass it to a later
    run's O(measured), or to the filters' C(measured).
  returned: success
  type: dict
  contains:
    width:
      description: Width encoded.
      type: int
      sample: 1920
    height:
      description: Height encoded.
      type: int
      sample: 1080
    framerate:
      description: Frame rate of the synthetic source.
      type: float
      sample: 30
    seconds:
      description: Seconds of video encoded.
      type: int
      sample: 10
    frames:
      description: Frames encoded.
      type: int
      sample: 300
    wall_seconds:
      description: Time the encode took.
      type: float
      sample: 7.7
    cpu_seconds:
      description: CPU time (user and system) of the encode pass.
      type: float
      sample: 7.65
    source_cpu_seconds:
      description: CPU time of the pass that only generates the picture, subtracted from C(cpu_seconds).
      type: float
      sample: 1.5
    realtime_speed:
      description: Frames encoded per second divided by the frame rate, on one thread; below 1 one core cannot
        encode the profile in real time.
      type: float
      sample: 1.3
    encode_vcpus:
      description: vCPUs one recording's conversion and encode need at real time, (C(cpu_seconds) -
        C(source_cpu_seconds)) / C(frames) x C(framerate).
      type: float
      sample: 0.61
    load_average:
      description: The host's 1-minute load average before the benchmark; a busy host measures slower.
      type: float
      sample: 0.08
'''

import os
import platform
import re
import resource
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.plugnmeet.deploy.plugins.module_utils import sizing

# Limits at or above this many bytes mean "no limit" (cgroup v1 reports 2^63 rounded down to a page).
UNLIMITED_BYTES = 1 << 60
MIB = 1024 * 1024
# Where chromedp (the recorder's browser driver) looks for a browser when custom_chrome_path is empty, in order.
CHROME_NAMES = ('headless_shell', 'headless-shell', 'chromium', 'chromium-browser', 'google-chrome',
                'google-chrome-stable', 'google-chrome-beta', 'google-chrome-unstable', 'chrome')
CHROME_PATHS = ('/usr/bin/google-chrome', '/usr/local/bin/chrome', '/snap/bin/chromium')
_VERSION = re.compile(r'(\d+(?:\.\d+)+\S*)')


class CapacityError(Exception):
    """Something the module cannot measure; the message says what."""


# ---------------------------------------------------------------------------------------------------------------
# Reading /proc and /sys. Every reader takes root, the directory standing for "/", so tests use fake trees.


def _path(root, absolute):
    return os.path.join(root, absolute.lstrip('/'))


def _read(root, absolute):
    """The file's text, or None when it cannot be read."""
    try:
        with open(_path(root, absolute)) as handle:
            return handle.read()
    except (IOError, OSError, UnicodeDecodeError):
        return None


def read_meminfo(root='/'):
    """{'memtotal_mb': int or None, 'memavailable_mb': int or None} from /proc/meminfo."""
    result = {'memtotal_mb': None, 'memavailable_mb': None}
    for line in (_read(root, '/proc/meminfo') or '').splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ('MemTotal:', 'MemAvailable:') and parts[1].isdigit():
            kib = int(parts[1])
            if len(parts) >= 3 and parts[2].lower() != 'kb':
                continue
            result['memtotal_mb' if parts[0] == 'MemTotal:' else 'memavailable_mb'] = kib // 1024
    return result


def read_cpuinfo(root='/'):
    """(CPU model or None, number of processors listed or None) from /proc/cpuinfo."""
    text = _read(root, '/proc/cpuinfo')
    if text is None:
        return None, None
    fields = {}
    processors = 0
    for line in text.splitlines():
        key, sep, value = line.partition(':')
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == 'processor':
            processors += 1
        fields.setdefault(key, value)
    model = fields.get('model name') or fields.get('cpu model') or fields.get('hardware')
    if not model and fields.get('cpu implementer'):
        # arm64 kernels show only the implementer and part numbers.
        model = 'ARM implementer %s part %s' % (fields.get('cpu implementer'), fields.get('cpu part', '?'))
    return model or None, processors or None


def _unescape(field):
    """mountinfo escapes space, tab, newline and backslash as octal."""
    return re.sub(r'\\([0-7]{3})', lambda match: chr(int(match.group(1), 8)), field)


def cgroup_mounts(root='/'):
    """Mounted cgroup hierarchies: [{'version', 'root', 'point', 'controllers'}], from /proc/self/mountinfo.

    When mountinfo cannot be read, the usual layout (/sys/fs/cgroup) is assumed.
    """
    mounts = []
    text = _read(root, '/proc/self/mountinfo')
    for line in (text or '').splitlines():
        fields = line.split()
        if '-' not in fields:
            continue
        sep = fields.index('-')
        if sep < 5 or len(fields) < sep + 4:
            continue
        fstype = fields[sep + 1]
        if fstype == 'cgroup2':
            mounts.append({'version': 2, 'root': _unescape(fields[3]), 'point': _unescape(fields[4]),
                           'controllers': set()})
        elif fstype == 'cgroup':
            options = set(fields[sep + 3].split(','))
            mounts.append({'version': 1, 'root': _unescape(fields[3]), 'point': _unescape(fields[4]),
                           'controllers': options & set(('cpu', 'memory'))})
    if text is None:
        if os.path.exists(_path(root, '/sys/fs/cgroup/cgroup.controllers')):
            mounts.append({'version': 2, 'root': '/', 'point': '/sys/fs/cgroup', 'controllers': set()})
        else:
            for controller, names in (('cpu', ('cpu,cpuacct', 'cpu')), ('memory', ('memory',))):
                for name in names:
                    if os.path.isdir(_path(root, '/sys/fs/cgroup/' + name)):
                        mounts.append({'version': 1, 'root': '/', 'point': '/sys/fs/cgroup/' + name,
                                       'controllers': set((controller,))})
                        break
    return mounts


def own_cgroups(root='/'):
    """This process's cgroup paths from /proc/self/cgroup: {'v2': path or None, 'cpu': path, 'memory': path}."""
    result = {'v2': None}
    for line in (_read(root, '/proc/self/cgroup') or '').splitlines():
        parts = line.strip().split(':', 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == '0' and controllers == '':
            result['v2'] = path
        for controller in controllers.split(','):
            if controller in ('cpu', 'memory'):
                result[controller] = path
    return result


def _levels(root, mount, path):
    """Directories from this process's cgroup up to the hierarchy's root (as mounted), leaf first."""
    point = mount['point'].rstrip('/') or '/'
    if path is None:
        relative = ''
    elif mount['root'] in ('/', ''):
        relative = path
    elif path == mount['root'] or path.startswith(mount['root'].rstrip('/') + '/'):
        relative = path[len(mount['root'].rstrip('/')):]
    else:
        relative = ''  # a path outside the mounted part (e.g. a container's view): only the mount point counts
    leaf = (point.rstrip('/') + '/' + relative.strip('/')).rstrip('/') or '/'
    if not os.path.isdir(_path(root, leaf)):
        leaf = point
    levels = [leaf]
    while leaf != point and leaf.startswith(point.rstrip('/') + '/'):
        leaf = os.path.dirname(leaf)
        levels.append(leaf)
    return levels


def cgroup_levels(root='/'):
    """{'cpu': (version, [dirs]), 'memory': (version, [dirs])} for each controller found (v1 wins in hybrid mode)."""
    mounts = cgroup_mounts(root)
    paths = own_cgroups(root)
    result = {}
    for controller in ('cpu', 'memory'):
        mount = next((m for m in mounts if m['version'] == 1 and controller in m['controllers']), None)
        if mount is not None:
            result[controller] = (1, _levels(root, mount, paths.get(controller)))
            continue
        mount = next((m for m in mounts if m['version'] == 2), None)
        if mount is not None:
            result[controller] = (2, _levels(root, mount, paths['v2']))
    return result


def _integer_file(root, path):
    text = _read(root, path)
    if text is None:
        return None
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return None


def cpu_quota(root='/', levels=None):
    """(vCPUs the cgroup CPU quota allows or None when unlimited, cgroup version or None)."""
    levels = cgroup_levels(root) if levels is None else levels
    if 'cpu' not in levels:
        return None, None
    version, directories = levels['cpu']
    quotas = []
    for directory in directories:
        if version == 2:
            parts = (_read(root, directory + '/cpu.max') or '').split()
            if len(parts) == 2 and parts[0] != 'max':
                try:
                    quota, period = int(parts[0]), int(parts[1])
                except ValueError:
                    continue
                if quota > 0 and period > 0:
                    quotas.append(quota / float(period))
        else:
            quota = _integer_file(root, directory + '/cpu.cfs_quota_us')
            period = _integer_file(root, directory + '/cpu.cfs_period_us')
            if quota is not None and period and quota > 0 and period > 0:
                quotas.append(quota / float(period))
    return (min(quotas) if quotas else None), version


def memory_limit_mb(root='/', levels=None):
    """(the cgroup memory limit in MiB or None when unlimited, cgroup version or None)."""
    levels = cgroup_levels(root) if levels is None else levels
    if 'memory' not in levels:
        return None, None
    version, directories = levels['memory']
    limits = []
    for directory in directories:
        name = '/memory.max' if version == 2 else '/memory.limit_in_bytes'
        value = _integer_file(root, directory + name)  # v2's "max" reads as None
        if value is not None and 0 < value < UNLIMITED_BYTES:
            limits.append(value)
    return ((min(limits) // MIB) if limits else None), version


def host_resources(root='/', getaffinity=None, machine=None, memory_mb=None):
    """What the host offers the recorder; see RETURN host."""
    meminfo = read_meminfo(root)
    if meminfo['memtotal_mb'] is None:
        raise CapacityError('cannot read MemTotal from %s' % _path(root, '/proc/meminfo'))
    model, listed = read_cpuinfo(root)
    if getaffinity is None:
        getaffinity = getattr(os, 'sched_getaffinity', None)
    try:
        affinity = len(getaffinity(0)) if getaffinity else None
    except OSError:
        affinity = None
    online = listed or os.cpu_count()
    usable = affinity or online
    if not usable:
        raise CapacityError('cannot tell how many CPUs the host has')
    levels = cgroup_levels(root)
    quota, cpu_version = cpu_quota(root, levels)
    limit, memory_version = memory_limit_mb(root, levels)
    effective_vcpus = min(usable, quota) if quota else usable
    if memory_mb is not None:
        effective_memory = memory_mb
    elif limit is not None:
        effective_memory = min(meminfo['memtotal_mb'], limit)
    else:
        effective_memory = meminfo['memtotal_mb']
    return {
        'architecture': machine if machine is not None else platform.machine(),
        'cpu_model': model,
        'online_vcpus': online,
        'affinity_vcpus': affinity,
        'cgroup_version': cpu_version or memory_version,
        'cgroup_cpu_quota_vcpus': None if quota is None else round(quota, 3),
        'effective_vcpus': round(float(effective_vcpus), 3),
        'memtotal_mb': meminfo['memtotal_mb'],
        'memavailable_mb': meminfo['memavailable_mb'],
        'cgroup_memory_limit_mb': limit,
        'effective_memory_mb': int(effective_memory),
    }


# ---------------------------------------------------------------------------------------------------------------
# Programs. run_command is AnsibleModule.run_command (or a stand-in with its signature and (rc, out, err) result).


def ffmpeg_info(run_command, path):
    """{'path', 'version', 'libx264'} of an ffmpeg binary, or None when path is None."""
    if not path:
        return None
    rc, out, err = run_command([path, '-hide_banner', '-version'])
    text = out or err or ''
    match = re.search(r'ffmpeg version (\S+)', text)
    return {
        'path': path,
        'version': match.group(1) if match else None,
        'libx264': ('--enable-libx264' in text) if rc == 0 else None,
    }


def find_chrome(get_bin_path, chrome_path=None, root='/'):
    """The browser the recorder would start: chrome_path when set, else chromedp's search order."""
    if chrome_path:
        return chrome_path if os.access(_path(root, chrome_path), os.X_OK) else None
    for name in CHROME_NAMES:
        found = get_bin_path(name)
        if found:
            return found
    for candidate in CHROME_PATHS:
        if os.access(_path(root, candidate), os.X_OK):
            return candidate
    return None


def chrome_info(run_command, path):
    """{'path', 'version'} of a Chrome or Chromium binary, or None when path is None."""
    if not path:
        return None
    rc, out, err = run_command([path, '--version'])
    match = _VERSION.search(out or '') if rc == 0 else None
    return {'path': path, 'version': match.group(1) if match else None}


def _children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _frames(progress):
    """The last frame count of ffmpeg's -progress output."""
    frames = None
    for line in (progress or '').splitlines():
        key, sep, value = line.strip().partition('=')
        if sep and key == 'frame' and value.strip().isdigit():
            frames = int(value.strip())
    return frames


def benchmark_command(ffmpeg, width, height, framerate, seconds, encode=True):
    """ffmpeg arguments of the benchmark's encode pass (encode=True) or of its source-only pass."""
    source = 'testsrc2=size=%dx%d:rate=%s:duration=%d,format=bgr0' % (width, height, framerate, seconds)
    command = [ffmpeg, '-hide_banner', '-nostdin', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1',
               '-f', 'lavfi', '-i', source]
    if encode:
        # The recorder's post_input video settings; -threads after -i applies to the encoder.
        command += ['-threads', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-bf', '0', '-x264-params',
                    'keyint=120:scenecut=0', '-preset', 'ultrafast', '-crf', '23', '-tune', 'zerolatency']
    return command + ['-f', 'null', '-']


def run_benchmark(run_command, ffmpeg, profile, seconds, timeout=None, clock=time.monotonic,
                  cpu_seconds=_children_cpu_seconds):
    """Encode seconds of synthetic video like the recorder does; measurements as in RETURN benchmark.

    timeout is the path of coreutils' timeout (or None): it stops a benchmark that takes over 20 times the video's
    length, which no usable host does.
    """
    width, height, framerate = profile['width'], profile['height'], profile['framerate']
    limit = max(60, seconds * 20)

    def run(encode):
        command = benchmark_command(ffmpeg, width, height, framerate, seconds, encode)
        if timeout:
            command = [timeout, '--kill-after=5', str(limit)] + command
        before, started = cpu_seconds(), clock()
        rc, out, err = run_command(command)
        wall, used = clock() - started, cpu_seconds() - before
        if rc in (124, 137) and timeout:
            raise CapacityError('the benchmark did not finish within %d s: this host cannot encode %dx%d@%s fps at '
                                'even 1/20 of real time' % (limit, width, height, framerate))
        if rc != 0:
            raise CapacityError('ffmpeg failed (rc=%s) during the %s pass: %s'
                                % (rc, 'encode' if encode else 'source', (err or out or '').strip()[-400:]))
        frames = _frames(out)
        if not frames:
            raise CapacityError('ffmpeg reported no encoded frames (its -progress output was %r)' % (out or '')[-200:])
        return frames, wall, used

    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else None
    source_frames, _source_wall, source_cpu = run(False)
    frames, wall, cpu = run(True)
    if cpu <= 0:
        raise CapacityError('the benchmark measured no CPU time; cannot derive the encode cost')
    # The source pass costs the same per frame; what remains is conversion plus encode. Should noise make the
    # difference implausibly small, keep the gross figure (conservative).
    net = cpu - source_cpu * frames / float(source_frames)
    if net < cpu * 0.25:
        net = cpu
    return {
        'width': width,
        'height': height,
        'framerate': framerate,
        'seconds': seconds,
        'frames': frames,
        'wall_seconds': round(wall, 3),
        'cpu_seconds': round(cpu, 3),
        'source_cpu_seconds': round(source_cpu, 3),
        'realtime_speed': round(frames / max(wall, 1e-6) / framerate, 3),
        'encode_vcpus': round(net / frames * framerate, 4),
        'load_average': None if load is None else round(load, 2),
    }


# ---------------------------------------------------------------------------------------------------------------


def run_module(root='/', getaffinity=None, machine=None):
    module = AnsibleModule(
        argument_spec=dict(
            profile=dict(type='dict', default={}, options=dict(
                width=dict(type='int'),
                height=dict(type='int'),
                framerate=dict(type='float'),
                webcams=dict(type='int'),
                mode=dict(type='str', choices=list(sizing.MODES)),
                post_mp4_convert=dict(type='bool'),
                transcoding_cpu_limit=dict(type='float'),
            )),
            benchmark=dict(type='bool', default=False),
            benchmark_seconds=dict(type='int', default=10),
            measured=dict(type='dict'),
            memory_mb=dict(type='float'),
            chrome_path=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not 3 <= params['benchmark_seconds'] <= 120:
        module.fail_json(msg='benchmark_seconds must be between 3 and 120, not %s' % params['benchmark_seconds'])
    if params['memory_mb'] is not None and params['memory_mb'] <= 0:
        module.fail_json(msg='memory_mb must be above 0, not %s' % params['memory_mb'])
    profile_in = dict((key, value) for key, value in (params['profile'] or {}).items() if value is not None)
    try:
        profile = sizing.normalize_profile(profile_in)
        host = host_resources(root, getaffinity=getaffinity, machine=machine, memory_mb=params['memory_mb'])
    except (sizing.SizingError, CapacityError) as exc:
        module.fail_json(msg=to_native(exc))

    ffmpeg = ffmpeg_info(module.run_command, module.get_bin_path('ffmpeg'))
    measured = None
    kept = None if params['benchmark'] else params['measured']
    if params['benchmark']:
        if ffmpeg is None:
            module.fail_json(msg='benchmark=true needs ffmpeg on the host (install the package ffmpeg first)',
                             host=host)
        if ffmpeg['libx264'] is False:
            module.fail_json(msg='ffmpeg at %s lacks libx264, which the recorder needs' % ffmpeg['path'], host=host)
        try:
            measured = run_benchmark(module.run_command, ffmpeg['path'], profile, params['benchmark_seconds'],
                                     timeout=module.get_bin_path('timeout'))
        except CapacityError as exc:
            module.fail_json(msg=to_native(exc), host=host, tools={'ffmpeg': ffmpeg})
    chrome = chrome_info(module.run_command, find_chrome(module.get_bin_path, params['chrome_path'], root))

    try:
        capacity = sizing.recommend(
            {'vcpus': host['effective_vcpus'], 'memory_mb': host['effective_memory_mb'],
             'architecture': host['architecture']},
            profile=profile_in, measured=measured or kept)
    except sizing.SizingError as exc:
        module.fail_json(msg=to_native(exc), host=host)

    module.exit_json(
        changed=False,
        max_limit=capacity['max_limit'],
        undersized=capacity['undersized'],
        reason=capacity['reason'],
        capacity=capacity,
        host=host,
        tools={'ffmpeg': ffmpeg, 'chromium': chrome},
        benchmark=measured,
    )


def main():
    run_module()


if __name__ == '__main__':
    main()
