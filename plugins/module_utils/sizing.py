# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How many concurrent recordings (plugnmeet-recorder's ``max_limit``) a host sustains.

Pure Python (standard library only), used by the filters ``recorder_max_limit`` / ``recorder_capacity_reason`` on
the controller and by the module ``recorder_capacity`` on the recorder host.

What one recording runs (plugnmeet-recorder v2, read from its code):

* Xvfb at ``width`` x ``height`` x 24 (default 1920x1080, 96 dpi);
* Chromium in kiosk mode with the GPU disabled, rendering the meeting page with its webcam tiles in software;
* a PulseAudio null sink whose monitor is recorded;
* ffmpeg grabbing the X display (x11grab at 30 fps) and the sink, encoding with libx264 ``-pix_fmt yuv420p
  -preset ultrafast -tune zerolatency -crf 23 -bf 0`` (keyframe every 120 frames) into fragmented MP4 (the
  recorder role encodes the audio to AAC as well: Debian 12's ffmpeg cannot put the PCM upstream copies into MP4).

After a recording, in mode ``both`` with ``post_mp4_convert``, the same worker transcodes the file (libx264
``-preset medium -crf 20``, AAC with a noise filter, every core it can get), one job at a time, and fetches a new job
only while the host's CPU use is below ``transcoding_cpu_limit_both_mode`` (80 % by default).

The model, in vCPUs (one vCPU = one logical CPU or one CPU-second per second of a cgroup quota):

* per recording = encode + capture + Chromium + fixed, where
  encode = ``encode_vcpus_1080p30`` x pixel rate x (``arm64_x264_factor`` on arm64), or the measured cost from the
  module's benchmark (scaled to the profile's pixel rate when measured at another size or frame rate);
  capture = ``capture_vcpus_1080p30`` x pixel rate;
  Chromium = (``chromium_base_vcpus`` + webcams x ``chromium_tile_vcpus``) x pixel scale;
  fixed = ``session_fixed_vcpus``;
  pixel scale = width x height / (1920 x 1080), pixel rate = pixel scale x framerate / 30, neither below
  ``min_pixel_scale``;
* OS reserve = ``os_vcpus`` + ``os_vcpus_fraction`` x vCPUs;
* transcoding reserve (mode ``both`` with ``post_mp4_convert`` only) = the larger of one transcode
  (``transcode_vcpus_1080p30`` x pixel rate x arm64 factor) and the share of the host above the transcoding CPU
  limit (20 % at 80): recordings planned to stay below the limit let the worker keep draining its transcoding
  queue during busy hours, and a transcode started then has that share to itself;
* recordings the CPU allows = floor((vCPUs - reserves) / per recording).

Memory, in MiB, likewise: per recording = Chromium (base + raster x pixel scale + webcams x tile) + ffmpeg (base +
frames x pixel scale) + Xvfb (base + its framebuffer) + fixed; OS reserve = ``os_memory_mb`` +
``os_memory_fraction`` x memory; a transcode's memory in mode ``both`` with ``post_mp4_convert``.

max_limit = min(CPU, memory, ``max_limit_cap``) and at least 1. A host that cannot sustain one recording next to
its OS reserve gets 1 with ``undersized`` true and a reason saying what is missing, never a silent 1. A host where
one recording fits only while no transcode runs gets 1, not undersized, with a warning (run the transcoding
elsewhere). Mode ``transcoderOnly`` records nothing: 1, and the reason says so.

A finding that matters for the encode term: upstream's ``-threads 1`` stands in ``pre_input``, before ``-i``, so it
limits x11grab's input, not x264; the recorder's encoder runs with ffmpeg's automatic thread count (sliced threads
under ``-tune zerolatency``). The model therefore counts CPU per recording, not one core per recording; the
benchmark encodes on one thread, which measures the CPU cost per frame without threading overhead.

Every number of the model is in MODEL below; calibrating it against a benchmark (docs/sizing.md) means editing
MODEL only. ``recommend(..., constants={...})`` overrides single constants for one call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

# The model's constants, calibrated with benchmarks/recorder_capacity (figures and method in docs/sizing.md): on
# amd64 one 1920x1080, 30 fps recording of a page with 4 moving tiles costs about 1.2 vCPU (ffmpeg about 0.6,
# Chromium about 0.5, Xvfb 0.1), so a 2-vCPU host keeps 1 recording in real time and a 1-vCPU host none, as
# measured. Upstream's rule of thumb ("a 2-vCPU server can handle approximately 2-3 simultaneous recordings,
# depending on the number of webcams") over-commits that by 1-2.
# The CPU figures are vCPUs at 1920x1080, 30 fps on amd64; the memory figures MiB.
MODEL = {
    # The ceiling, upstream's: its default max_limit and "avoid processing more than 10 concurrent recordings on a single
    # server" (config_sample.yaml). The answer never exceeds it.
    'max_limit_cap': 10,
    # CPU the OS, sshd, journald, the recorder's Go process and PulseAudio's daemon keep, whatever the host's size.
    'os_vcpus': 0.4,
    # Headroom on top, as a share of the host's vCPUs: bursts, page cache writeback, monitoring agents.
    'os_vcpus_fraction': 0.10,
    # ffmpeg's video work per recording: BGR0 -> YUV 4:2:0 conversion plus libx264 ultrafast/zerolatency, crf 23,
    # no B-frames, of a meeting page. Calibration: the recording ffmpeg needed about 0.6 vCPU in all to keep real
    # time; the module's benchmark encodes a busier synthetic picture and measures 0.61 for the encode alone, so
    # its measured mode errs on the safe side. The benchmark replaces this term when it ran.
    'encode_vcpus_1080p30': 0.50,
    # The rest of ffmpeg per recording: x11grab copying 250 MB/s of framebuffer out of Xvfb, fragmented-MP4
    # muxing with flush_packets, audio capture from PulseAudio and its AAC encode.
    'capture_vcpus_1080p30': 0.10,
    # Chromium rendering the meeting page in software (GPU disabled) without video: compositing, the page's
    # JavaScript, WebRTC networking and audio mixing. Calibration, a page of 4 moving tiles at 1920x1080: 0.36
    # vCPU when two recordings shared 2 vCPUs (starved, rendering fewer frames), 0.95 with a vCPU to spare (it
    # then renders the page's animation at 60 fps, twice what is recorded); the model takes 0.5 with the tiles.
    'chromium_base_vcpus': 0.30,
    # Chromium per webcam tile on screen: decoding one WebRTC video stream (the simulcast layer that fits the tile)
    # and scaling/compositing it.
    'chromium_tile_vcpus': 0.05,
    # Per recording, not scaled: the Xvfb server (0.10 measured while x11grab reads it 30 times a second), the
    # PulseAudio null sink and monitor, the recorder's bookkeeping.
    'session_fixed_vcpus': 0.12,
    # x264 on arm64 (NEON) against amd64 (AVX2) per vCPU (a guess until measured: x264's NEON paths trail its AVX2
    # ones, arm64 vCPUs are whole cores): applied to the modelled encode and transcode costs, never to a measured
    # encode cost (the benchmark ran on the real CPU).
    'arm64_x264_factor': 1.25,
    # One post-recording transcode (libx264 medium, crf 20, AAC with afftdn): a batch job that takes every core it
    # gets and may run slower than real time; the CPU held back for it in mode both with post_mp4_convert so that
    # it keeps progressing while recordings run.
    'transcode_vcpus_1080p30': 0.6,
    # Upstream's transcoding_cpu_limit_both_mode default, in percent: the worker fetches a transcoding job only while
    # the host's CPU use is below it. 0 disables the rule. The profile's transcoding_cpu_limit overrides it.
    'transcode_cpu_limit_percent': 80.0,
    # Costs that scale with the picture never go below this share of their 1920x1080/30 fps value: per-process work
    # (JavaScript, WebRTC, muxing, x264's per-frame overhead) does not shrink with the picture.
    'min_pixel_scale': 0.25,
    # Memory the OS, the recorder's Go process, PulseAudio's daemon and the page cache for recordings keep.
    'os_memory_mb': 512,
    # Headroom on top, as a share of the host's memory.
    'os_memory_fraction': 0.10,
    # Chromium per recording without video: browser, renderer, network and audio processes with the plugNmeet app.
    # Calibration: 452 MiB (proportional set size) for a page of 4 tiles, as base + raster + tiles here give.
    'chromium_base_mb': 300,
    # Chromium's software raster and compositor buffers at 1920x1080; scales with the pixels.
    'chromium_raster_mb_1080p': 50,
    # Chromium per webcam tile: decoder, jitter buffer and frame buffers of one video stream.
    'chromium_tile_mb': 25,
    # ffmpeg per recording whatever the size: the process, its libraries, the audio path and the MP4 muxer.
    'ffmpeg_base_mb': 40,
    # ffmpeg's frames at 1920x1080: x264's reference frames and x11grab's shared-memory frame pool, which holds
    # every frame waiting in the input queue (-thread_queue_size 1024) and never shrinks. Calibration: ffmpeg and
    # Xvfb held 551 + 545 MiB of it while keeping real time (the pool is shared, counted half to each); a
    # recording that falls behind holds several GiB (4.7 measured), which the CPU sizing is there to prevent.
    'ffmpeg_frames_mb_1080p': 1000,
    # The Xvfb server per recording, without its framebuffer.
    'xvfb_base_mb': 30,
    # Bytes per pixel of Xvfb's 24-bit framebuffer (stored as 32 bits per pixel).
    'xvfb_bytes_per_pixel': 4,
    # Per recording, not scaled: the PulseAudio null sink and the recorder's per-job state.
    'session_fixed_mb': 20,
    # One post-recording transcode at 1920x1080 (decoder, x264 medium frame threads, AAC): memory held back for it
    # in mode both with post_mp4_convert; scales with the pixels.
    'transcode_mb_1080p': 300,
}

# The reference picture the per-recording constants are given for.
REFERENCE_PIXELS = 1920 * 1080
REFERENCE_FPS = 30.0

MODES = ('both', 'recorderOnly', 'transcoderOnly')

# Upstream's defaults (config_sample.yaml) except webcams, which is this model's "a few webcams".
DEFAULT_PROFILE = {
    'width': 1920,
    'height': 1080,
    'framerate': 30,
    'webcams': 4,
    'mode': 'both',
    'post_mp4_convert': True,
    'transcoding_cpu_limit': None,  # None: MODEL['transcode_cpu_limit_percent']
}

# Facts' architecture names -> the names the recorder's releases use (amd64 and arm64 only).
ARCHITECTURES = {
    'x86_64': 'amd64',
    'amd64': 'amd64',
    'aarch64': 'arm64',
    'arm64': 'arm64',
}

BOUNDS = ('cpu', 'memory', 'cap', 'mode')

_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')
_EPSILON = 1e-9


class SizingError(ValueError):
    """Host facts, profile or measurement the model cannot use; the message says which value and why."""


# ---------------------------------------------------------------------------------------------------------------
# Input validation


def _number(value, what):
    """A finite float from an int, float or numeric string; booleans and anything else are refused."""
    if value is None:
        raise SizingError('%s is missing' % what)
    if isinstance(value, bool):
        raise SizingError('%s must be a number, not %r' % (what, value))
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise SizingError('%s must be a number, not %r' % (what, value))
    else:
        raise SizingError('%s must be a number, not %r' % (what, value))
    if math.isnan(number) or math.isinf(number):
        raise SizingError('%s must be a finite number, not %r' % (what, value))
    return number


def _integer(value, what):
    number = _number(value, what)
    if number != int(number):
        raise SizingError('%s must be a whole number, not %r' % (what, value))
    return int(number)


def _boolean(value, what):
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise SizingError('%s must be true or false, not %r' % (what, value))


def release_arch(architecture):
    """amd64 or arm64 from a facts-style machine name; SizingError for anything else."""
    if architecture is None or architecture == '':
        raise SizingError('the host architecture is missing (ansible_facts.architecture)')
    if not isinstance(architecture, str):
        raise SizingError('the host architecture must be a string, not %r' % (architecture,))
    try:
        return ARCHITECTURES[architecture.strip().lower()]
    except KeyError:
        raise SizingError('architecture %r is not supported: plugnmeet-recorder is released for amd64 (x86_64) and '
                          'arm64 (aarch64) only' % architecture)


def normalize_host(host):
    """{vcpus: float > 0, memory_mb: float > 0, architecture: amd64|arm64} from a dict with those keys."""
    if not isinstance(host, dict):
        raise SizingError('host resources must be a dict with vcpus, memory_mb and architecture, not %r' % (host,))
    for key in ('vcpus', 'memory_mb', 'architecture'):
        if host.get(key) is None:
            raise SizingError('host resources lack %s' % key)
    vcpus = _number(host['vcpus'], 'vcpus')
    if vcpus <= 0:
        raise SizingError('vcpus must be above 0, not %r' % (host['vcpus'],))
    memory_mb = _number(host['memory_mb'], 'memory_mb')
    if memory_mb <= 0:
        raise SizingError('memory_mb must be above 0, not %r' % (host['memory_mb'],))
    return {'vcpus': vcpus, 'memory_mb': memory_mb, 'architecture': release_arch(host['architecture'])}


def normalize_profile(profile=None):
    """The recording profile with defaults filled in and every value checked.

    Keys: width and height (even, 320..7680), framerate (1..60), webcams (video tiles on screen, 0..100), mode
    (both, recorderOnly, transcoderOnly), post_mp4_convert (bool), transcoding_cpu_limit (percent 0..100, 0 = rule
    off; optional). Unknown keys are refused so that a typo cannot silently fall back to a default.
    """
    if profile is None:
        profile = {}
    if not isinstance(profile, dict):
        raise SizingError('the recording profile must be a dict, not %r' % (profile,))
    unknown = sorted(str(key) for key in profile if key not in DEFAULT_PROFILE)
    if unknown:
        raise SizingError('unknown recording profile key(s) %s; known: %s'
                          % (', '.join(unknown), ', '.join(sorted(DEFAULT_PROFILE))))
    merged = dict(DEFAULT_PROFILE)
    merged.update((key, value) for key, value in profile.items() if value is not None)
    result = {}
    for key in ('width', 'height'):
        value = _integer(merged[key], key)
        if not 320 <= value <= 7680:
            raise SizingError('%s must be between 320 and 7680 pixels, not %r' % (key, merged[key]))
        if value % 2:
            raise SizingError('%s must be an even number of pixels (x264 needs even sizes), not %r' % (key, value))
        result[key] = value
    framerate = _number(merged['framerate'], 'framerate')
    if not 1 <= framerate <= 60:
        raise SizingError('framerate must be between 1 and 60 fps, not %r' % (merged['framerate'],))
    result['framerate'] = int(framerate) if framerate == int(framerate) else framerate
    webcams = _integer(merged['webcams'], 'webcams')
    if not 0 <= webcams <= 100:
        raise SizingError('webcams must be between 0 and 100, not %r' % (merged['webcams'],))
    result['webcams'] = webcams
    if merged['mode'] not in MODES:
        raise SizingError('mode must be one of %s, not %r' % (', '.join(MODES), merged['mode']))
    result['mode'] = merged['mode']
    result['post_mp4_convert'] = _boolean(merged['post_mp4_convert'], 'post_mp4_convert')
    limit = merged['transcoding_cpu_limit']
    if limit is not None:
        limit = _number(limit, 'transcoding_cpu_limit')
        if not 0 <= limit <= 100:
            raise SizingError('transcoding_cpu_limit must be a percentage between 0 and 100 (0 turns the rule '
                              'off), not %r' % (merged['transcoding_cpu_limit'],))
    result['transcoding_cpu_limit'] = limit
    return result


def normalize_measured(measured, profile):
    """None, or {encode_vcpus, width, height, framerate, realtime_speed} from the module's benchmark result.

    Only encode_vcpus is required; the size and frame rate default to the profile's (measured as profiled).
    """
    if measured is None or measured == {}:
        return None
    if isinstance(measured, dict) and 'encode_vcpus' not in measured and 'benchmark' in measured:
        # The module's whole result: its benchmark, which is None when it did not run.
        return normalize_measured(measured['benchmark'], profile)
    if not isinstance(measured, dict):
        raise SizingError('the measurement must be a dict (the benchmark result of plugnmeet.deploy.'
                          'recorder_capacity), not %r' % (measured,))
    if measured.get('encode_vcpus') is None:
        raise SizingError('the measurement lacks encode_vcpus (the benchmark result of plugnmeet.deploy.'
                          'recorder_capacity)')
    result = {'encode_vcpus': _number(measured['encode_vcpus'], 'measured encode_vcpus')}
    if result['encode_vcpus'] <= 0:
        raise SizingError('measured encode_vcpus must be above 0, not %r' % (measured['encode_vcpus'],))
    for key in ('width', 'height', 'framerate'):
        value = measured.get(key)
        result[key] = profile[key] if value is None else _number(value, 'measured %s' % key)
        if result[key] <= 0:
            raise SizingError('measured %s must be above 0, not %r' % (key, value))
    speed = measured.get('realtime_speed')
    result['realtime_speed'] = None if speed is None else _number(speed, 'measured realtime_speed')
    if result['realtime_speed'] is not None and result['realtime_speed'] <= 0:
        raise SizingError('measured realtime_speed must be above 0, not %r' % (speed,))
    return result


def _fact(facts, key):
    value = facts.get(key)
    if value is None:
        value = facts.get('ansible_' + key)
    return value


def _positive_fact(facts, key):
    """A fact's positive number, or None when the fact is absent, zero or not a number."""
    value = _fact(facts, key)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 and not math.isinf(number) else None


def host_from_facts(facts, vcpus=None, memory_mb=None):
    """{vcpus, memory_mb, architecture} from a host's facts, with optional overrides.

    facts: ``ansible_facts`` of the host (keys without the ansible_ prefix), its hostvars (with ``ansible_facts``
    inside) or facts injected as ``ansible_*`` variables.
    vCPUs: the override; else the smaller of processor_vcpus and processor_nproc (nproc honours CPU affinity and
    cpusets); else processor_cores x processor_count (x processor_threads_per_core when known).
    Memory: the override (container memory limits are invisible to facts); else memtotal_mb.
    """
    if facts is None:
        facts = {}
    if not isinstance(facts, dict):
        raise SizingError('expected the host\'s facts (a dict such as ansible_facts or hostvars[host]), not %r'
                          % (facts,))
    if isinstance(facts.get('ansible_facts'), dict):
        facts = facts['ansible_facts']
    if vcpus is None:
        found = [n for n in (_positive_fact(facts, 'processor_vcpus'), _positive_fact(facts, 'processor_nproc'))
                 if n is not None]
        if found:
            vcpus = min(found)
        else:
            cores, count = _positive_fact(facts, 'processor_cores'), _positive_fact(facts, 'processor_count')
            if cores is None or count is None:
                raise SizingError('the host\'s facts have no CPU count (processor_vcpus, processor_nproc or '
                                  'processor_cores and processor_count): gather hardware facts or pass vcpus')
            vcpus = cores * count * (_positive_fact(facts, 'processor_threads_per_core') or 1)
    if memory_mb is None:
        memory_mb = _fact(facts, 'memtotal_mb')
        if memory_mb is None:
            raise SizingError('the host\'s facts have no memtotal_mb: gather hardware facts or pass memory_mb')
    architecture = _fact(facts, 'architecture')
    if architecture is None:
        raise SizingError('the host\'s facts have no architecture: gather facts for the host first')
    return normalize_host({'vcpus': vcpus, 'memory_mb': memory_mb, 'architecture': architecture})


def _constants(overrides):
    model = dict(MODEL)
    if overrides:
        unknown = sorted(set(overrides) - set(MODEL))
        if unknown:
            raise SizingError('unknown model constant(s) %s' % ', '.join(unknown))
        for key, value in overrides.items():
            model[key] = _number(value, 'model constant %s' % key)
    return model


# ---------------------------------------------------------------------------------------------------------------
# The model


def _floor(value):
    """Whole recordings that fit; never negative, robust against 1.9999999 from float arithmetic."""
    return max(0, int(math.floor(value + _EPSILON)))


def _fmt(value):
    """A short human number: 2, 0.6, 1.35."""
    text = '%.2f' % value
    return text.rstrip('0').rstrip('.') if '.' in text else text


def _plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def _describe(profile):
    return '%dx%d@%s fps with %s' % (profile['width'], profile['height'], _fmt(profile['framerate']),
                                     _plural(profile['webcams'], 'webcam'))


def per_recording(profile, architecture, model, measured=None):
    """CPU (vCPUs) and memory (MiB) one recording needs, with their parts. Inputs already normalized."""
    pixel_scale = profile['width'] * profile['height'] / float(REFERENCE_PIXELS)
    rate_scale = profile['framerate'] / REFERENCE_FPS
    floor = model['min_pixel_scale']
    scale = max(pixel_scale, floor)
    rate = max(pixel_scale * rate_scale, floor)
    x264 = model['arm64_x264_factor'] if architecture == 'arm64' else 1.0
    if measured is None:
        encode = model['encode_vcpus_1080p30'] * rate * x264
    else:
        measured_rate = max(measured['width'] * measured['height'] / float(REFERENCE_PIXELS)
                            * measured['framerate'] / REFERENCE_FPS, floor)
        encode = measured['encode_vcpus'] * rate / measured_rate
    cpu = {
        'encode': encode,
        'capture': model['capture_vcpus_1080p30'] * rate,
        'chromium': (model['chromium_base_vcpus'] + profile['webcams'] * model['chromium_tile_vcpus']) * scale,
        'fixed': model['session_fixed_vcpus'],
    }
    framebuffer_mb = profile['width'] * profile['height'] * model['xvfb_bytes_per_pixel'] / 1048576.0
    memory = {
        'chromium': (model['chromium_base_mb'] + model['chromium_raster_mb_1080p'] * scale
                     + profile['webcams'] * model['chromium_tile_mb']),
        'ffmpeg': model['ffmpeg_base_mb'] + model['ffmpeg_frames_mb_1080p'] * scale,
        'xvfb': model['xvfb_base_mb'] + framebuffer_mb,
        'fixed': model['session_fixed_mb'],
    }
    transcode = {
        'vcpus': model['transcode_vcpus_1080p30'] * rate * x264,
        'memory_mb': model['transcode_mb_1080p'] * scale,
    }
    return cpu, memory, transcode


def _round_parts(parts, digits):
    return dict((key, round(value, digits)) for key, value in parts.items())


def recommend(host, profile=None, measured=None, constants=None):
    """The recommended max_limit for a recorder host and why, and the recordings it sustains.

    host: {vcpus, memory_mb, architecture} (vcpus may be fractional, e.g. from a cgroup quota).
    profile: see normalize_profile; None means upstream's defaults with 4 webcams.
    measured: the module's benchmark result ({encode_vcpus, width, height, framerate, realtime_speed}) or None.
    constants: overrides of single MODEL constants (calibration experiments); None uses MODEL.

    Returns a dict: max_limit (1..cap), sustainable (recordings the host keeps in real time, not capped: max_limit
    is only a weight upstream, so a fleet's capacity is the sum of these), bound_by (cpu, memory, cap or mode),
    undersized, reason (one line), warnings, limits (recordings each resource allows), host, profile,
    per_recording, reserves, available. Raises SizingError on unusable input.
    """
    result = _recommend(host, profile, measured, constants)
    if result['bound_by'] == 'mode' or result['undersized']:
        result['sustainable'] = 0
    elif result['bound_by'] == 'cap':
        result['sustainable'] = min(result['limits']['cpu'], result['limits']['memory'])
    else:
        result['sustainable'] = result['max_limit']
    return result


def normalize_expected(expected, webcams=4):
    """The expected peak (plugnmeet_expected_concurrent_recordings) as {webcams: recordings}: a count means
    recordings with `webcams` webcam tiles; a mapping gives a count per webcam profile. Empty when none is set."""
    if expected is None or expected == '' or expected == {}:
        return {}
    items = expected.items() if isinstance(expected, dict) else [(webcams, expected)]
    result = {}
    for key, count in items:
        tiles = _integer(key, 'the webcams of an expected peak')
        count = _integer(count, 'the expected recordings with %s webcams' % key)
        if not 0 <= tiles <= 100 or count < 0:
            raise SizingError('the expected peak must count recordings (0 or more) per webcam profile (0 to 100 '
                              'webcams), not %r: %r' % (key, expected))
        result[tiles] = result.get(tiles, 0) + count
    return dict((tiles, count) for tiles, count in result.items() if count)


def fleet(recorders, expected, webcams=4):
    """Whether the recorder hosts together sustain an expected peak of concurrent recordings, and what is missing.

    recorders: {name: {'host': {vcpus, memory_mb, architecture}, 'profile': ..., 'measured': ... or None}} (the
    profile's webcams are replaced by each expected webcam profile's).
    expected: see normalize_expected.

    plugnmeet-server spreads recordings by weight and never refuses one, so the peak is carried only if the hosts'
    sustainable recordings add up: the load is the sum over webcam profiles of expected / sustainable (100 % is
    exactly full). When short, the answer counts the hosts to add, like the recorder that carries the most of the
    expected mix. Returns {enough, expected, sustainable, load_percent, missing_hosts, like, message}.
    """
    expected = normalize_expected(expected, webcams)
    per_host = {}
    for name, entry in sorted(recorders.items()):
        per_host[name] = dict(
            (tiles, recommend(entry['host'], dict(entry.get('profile') or {}, webcams=tiles),
                              entry.get('measured'))['sustainable'])
            for tiles in expected)
    totals = dict((tiles, sum(counts[tiles] for counts in per_host.values())) for tiles in expected)

    def load(added=0, like=None):
        share = 0.0
        for tiles, count in expected.items():
            total = totals[tiles] + (added * per_host[like][tiles] if like else 0)
            if not total:
                return float('inf')
            share += count / float(total)
        return share

    mix = ', '.join('%d with %s' % (count, _plural(tiles, 'webcam')) for tiles, count in sorted(expected.items()))
    held = ', '.join('%d with %s' % (totals[tiles], _plural(tiles, 'webcam')) for tiles in sorted(expected))
    result = {'expected': expected, 'sustainable': totals, 'missing_hosts': 0, 'like': None}
    share = load()
    result['enough'] = share <= 1 + _EPSILON
    result['load_percent'] = None if math.isinf(share) else int(round(share * 100))
    if not expected:
        result['message'] = 'no expected peak set'
        return result
    summary = '%s %s %s; the expected peak is %s' % (
        _plural(len(per_host), 'recorder host'), 'sustains' if len(per_host) == 1 else 'sustain', held, mix)
    if result['enough']:
        result['message'] = '%s (%d %% of what they sustain)' % (summary, result['load_percent'])
        return result
    # The host that carries the largest part of the expected mix is the one to add more of.
    like = max(sorted(per_host), key=lambda name: sum(per_host[name][tiles] * count
                                                      for tiles, count in expected.items())) if per_host else None
    if like is None or not all(per_host[like][tiles] for tiles in expected):
        result['missing_hosts'] = None
        result['message'] = ('%s: no recorder host in the inventory sustains every expected profile; add larger '
                             'recorder hosts (docs/sizing.md gives the size per recording) or lower the expected '
                             'peak' % summary)
        return result
    added = 1
    while load(added, like) > 1 + _EPSILON:
        added += 1
    host = recorders[like]['host']
    result.update({'missing_hosts': added, 'like': like})
    load_text = ('%d %% of what they sustain' % result['load_percent'] if result['load_percent'] is not None
                 else 'a profile none of them sustains')
    result['message'] = ('%s, %s: add %s like %s (%s vCPUs, %d MiB, sustaining %s each) or lower the expected '
                         'peak' % (summary, load_text, _plural(added, 'recorder host'), like,
                                   _fmt(float(host['vcpus'])), int(float(host['memory_mb'])),
                                   ', '.join('%d with %s' % (per_host[like][tiles], _plural(tiles, 'webcam'))
                                             for tiles in sorted(expected))))
    return result


def _recommend(host, profile, measured, constants):
    model = _constants(constants)
    host = normalize_host(host)
    profile = normalize_profile(profile)
    measured = normalize_measured(measured, profile)
    cap = int(model['max_limit_cap'])
    limit_percent = profile['transcoding_cpu_limit']
    if limit_percent is None:
        limit_percent = model['transcode_cpu_limit_percent']
    profile['transcoding_cpu_limit'] = limit_percent

    os_vcpus = model['os_vcpus'] + model['os_vcpus_fraction'] * host['vcpus']
    os_memory = model['os_memory_mb'] + model['os_memory_fraction'] * host['memory_mb']
    result = {
        'host': {'vcpus': round(host['vcpus'], 3), 'memory_mb': int(round(host['memory_mb'])),
                 'architecture': host['architecture']},
        'profile': profile,
        'warnings': [],
    }

    if profile['mode'] == 'transcoderOnly':
        result.update({
            'max_limit': 1,
            'bound_by': 'mode',
            'undersized': False,
            'reason': 'max_limit 1: mode transcoderOnly records nothing (it only transcodes queued recordings), so '
                      'max_limit is not used',
            'limits': {'cpu': None, 'memory': None, 'cap': cap},
            'per_recording': None,
            'reserves': {'os_vcpus': round(os_vcpus, 3), 'os_memory_mb': int(round(os_memory)),
                         'transcode_vcpus': 0.0, 'transcode_memory_mb': 0},
            'available': None,
        })
        return result

    cpu, memory, transcode = per_recording(profile, host['architecture'], model, measured)
    need_cpu = sum(cpu.values())
    need_memory = sum(memory.values())

    transcoding = profile['mode'] == 'both' and profile['post_mp4_convert']
    transcode_vcpus = transcode_memory = 0.0
    if transcoding:
        above_limit = (1 - limit_percent / 100.0) * host['vcpus'] if limit_percent > 0 else 0.0
        transcode_vcpus = max(transcode['vcpus'], above_limit)
        transcode_memory = transcode['memory_mb']

    left_cpu = host['vcpus'] - os_vcpus - transcode_vcpus
    left_memory = host['memory_mb'] - os_memory - transcode_memory
    by_cpu = _floor(left_cpu / need_cpu)
    by_memory = _floor(left_memory / need_memory)

    result.update({
        'limits': {'cpu': by_cpu, 'memory': by_memory, 'cap': cap},
        'per_recording': {
            'vcpus': round(need_cpu, 4),
            'memory_mb': int(math.ceil(need_memory)),
            'vcpus_parts': _round_parts(cpu, 4),
            'memory_mb_parts': _round_parts(memory, 1),
            'encode_source': 'model' if measured is None else 'measured',
        },
        'reserves': {'os_vcpus': round(os_vcpus, 3), 'os_memory_mb': int(round(os_memory)),
                     'transcode_vcpus': round(transcode_vcpus, 3), 'transcode_memory_mb': int(round(transcode_memory))},
        'available': {'vcpus': round(max(left_cpu, 0.0), 3), 'memory_mb': int(max(left_memory, 0.0))},
    })

    if measured is not None:
        if (measured['width'], measured['height'], measured['framerate']) != (
                profile['width'], profile['height'], profile['framerate']):
            result['warnings'].append(
                'the encode cost was measured at %dx%d@%s fps and scaled to the profile\'s %dx%d@%s fps'
                % (measured['width'], measured['height'], _fmt(measured['framerate']),
                   profile['width'], profile['height'], _fmt(profile['framerate'])))
        if measured['realtime_speed'] is not None and measured['realtime_speed'] < 1:
            result['warnings'].append(
                'one core encoded the benchmark at %sx real time only: each recording\'s x264 needs more than one '
                'core (upstream does not limit the encoder\'s threads, so it can, but frames drop when the host is '
                'busy)' % _fmt(measured['realtime_speed']))

    cpu_text = _cpu_sentence(host, os_vcpus, transcode_vcpus, left_cpu, need_cpu, profile, measured)
    memory_text = _memory_sentence(host, os_memory, transcode_memory, left_memory, need_memory)

    # Undersized means one recording does not fit next to the OS even when no transcode runs.
    short_cpu = left_cpu + transcode_vcpus + _EPSILON < need_cpu
    short_memory = left_memory + transcode_memory + _EPSILON < need_memory
    if short_cpu or short_memory:
        lacking = []
        if short_cpu:
            lacking.append(_cpu_sentence(host, os_vcpus, 0.0, left_cpu + transcode_vcpus, need_cpu, profile,
                                         measured))
        if short_memory:
            lacking.append(_memory_sentence(host, os_memory, 0.0, left_memory + transcode_memory, need_memory))
        # The scarcer resource binds: the smaller share of one recording's need that is left.
        cpu_share = (left_cpu + transcode_vcpus) / need_cpu
        memory_share = (left_memory + transcode_memory) / need_memory
        result.update({
            'max_limit': 1,
            'bound_by': 'cpu' if cpu_share <= memory_share else 'memory',
            'undersized': True,
            'reason': 'undersized: %s; max_limit is 1 only because it cannot be 0, recordings on this host will '
                      'drop frames or fail: give it more %s or record a smaller profile'
                      % ('; '.join(lacking), ' and '.join(
                          name for name, short in (('CPU', short_cpu), ('memory', short_memory)) if short)),
        })
        return result

    if by_cpu < 1 or by_memory < 1:
        # One recording fits, but not next to a running transcode: 1, with a warning rather than undersized.
        bound = 'cpu' if by_cpu < 1 else 'memory'
        result['warnings'].append(
            'one recording fits only while no transcode runs: a post-recording transcode competes with it; run the '
            'transcoding elsewhere (mode recorderOnly plus a transcoderOnly host) or give the host more %s'
            % ('CPU' if bound == 'cpu' else 'memory'))
        result.update({
            'max_limit': 1,
            'bound_by': bound,
            'undersized': False,
            'reason': 'max_limit 1 (%s-bound, tight): %s; one recording fits only while no transcode runs'
                      % ('CPU' if bound == 'cpu' else 'memory', cpu_text if bound == 'cpu' else memory_text),
        })
        return result

    allowed = min(by_cpu, by_memory)
    if allowed > cap:
        result.update({
            'max_limit': cap,
            'bound_by': 'cap',
            'undersized': False,
            'reason': 'max_limit %d: the ceiling, upstream\'s default (more recorder hosts rather than more than %d '
                      'recordings on one); CPU would allow %d, memory %d (%s per recording)'
                      % (cap, cap, by_cpu, by_memory, _need_text(need_cpu, need_memory, profile, measured)),
        })
    elif by_cpu <= by_memory:
        result.update({
            'max_limit': by_cpu,
            'bound_by': 'cpu',
            'undersized': False,
            'reason': 'max_limit %d (CPU-bound): %s; memory would allow %d' % (by_cpu, cpu_text, by_memory),
        })
    else:
        result.update({
            'max_limit': by_memory,
            'bound_by': 'memory',
            'undersized': False,
            'reason': 'max_limit %d (memory-bound): %s; CPU would allow %d' % (by_memory, memory_text, by_cpu),
        })
    return result


def _need_text(need_cpu, need_memory, profile, measured):
    return '%s vCPU%s and %d MiB at %s' % (
        _fmt(need_cpu), ' (encode measured)' if measured else '', int(math.ceil(need_memory)), _describe(profile))


def _cpu_sentence(host, os_vcpus, transcode_vcpus, left, need, profile, measured):
    reserves = '%s for the OS' % _fmt(os_vcpus)
    if transcode_vcpus:
        reserves += ' and %s for one transcode' % _fmt(transcode_vcpus)
    unit = 'vCPU' if host['vcpus'] == 1 else 'vCPUs'
    return ('%s %s less %s leave %s, one recording needs %s vCPU%s at %s'
            % (_fmt(host['vcpus']), unit, reserves, _fmt(max(left, 0.0)), _fmt(need),
               ' (encode measured)' if measured else '', _describe(profile)))


def _memory_sentence(host, os_memory, transcode_memory, left, need):
    reserves = '%d for the OS' % int(round(os_memory))
    if transcode_memory:
        reserves += ' and %d for one transcode' % int(round(transcode_memory))
    return ('%d MiB less %s leave %d MiB, one recording needs %d MiB'
            % (int(round(host['memory_mb'])), reserves, int(max(left, 0.0)), int(math.ceil(need))))


def participants(size, per_vcpu=9.0, participant_mbps=2.0, usable_link=0.8):
    """About how many participants a media host carries: the smaller of its vCPUs x per_vcpu and the participants
    its link carries (usable_link of the NIC speed / participant_mbps); the link is left out when its speed is not
    known. size: {vcpus, nic_speed_mbps} as the base role records it (/etc/plugnmeet/host/size.json)."""
    size = size or {}
    vcpus = size.get('vcpus')
    by_cpu = int(_number(vcpus, 'vcpus') * _number(per_vcpu, 'participants per vCPU')) if vcpus is not None else 0
    nic = int(_number(size.get('nic_speed_mbps') or 0, 'nic_speed_mbps'))
    by_link = int(nic * usable_link / _number(participant_mbps, 'Mbit/s per participant')) if nic > 0 else None
    return {
        'vcpus': vcpus,
        'nic_speed_mbps': nic or 'unknown',
        'by_cpu': by_cpu,
        'by_link': by_link if by_link is not None else 'unknown (link speed not reported)',
        'participants': by_cpu if by_link is None else min(by_cpu, by_link),
    }
