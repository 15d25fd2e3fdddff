# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/module_utils/sizing.py: the recorder capacity model, its calibration points, edges and bad input."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect
import re

import pytest

from ansible_collections.plugnmeet.deploy.plugins.module_utils import sizing

AMD64_2 = {'vcpus': 2, 'memory_mb': 4096, 'architecture': 'x86_64'}
RECORDER_ONLY = {'mode': 'recorderOnly'}


def recommend(vcpus=2, memory_mb=4096, architecture='x86_64', measured=None, constants=None, **profile):
    return sizing.recommend({'vcpus': vcpus, 'memory_mb': memory_mb, 'architecture': architecture},
                            profile=profile, measured=measured, constants=constants)


# ---------------------------------------------------------------------------------------------------------------
# Calibration points: what benchmarks/recorder_capacity measured (docs/sizing.md)


def test_two_vcpus_record_one_at_1080p_with_a_few_webcams():
    """A 2-vCPU, 4 GiB amd64 host gets 1 recording at 1920x1080, 30 fps, 4 webcams when it only records, as
    measured (two concurrent recordings ran at 0.66x real time), not upstream's 2-3."""
    result = recommend(mode='recorderOnly')
    assert result['max_limit'] == 1
    assert result['bound_by'] == 'cpu'
    assert result['undersized'] is False
    assert result['warnings'] == []


def test_upstream_defaults_keep_room_for_a_transcode():
    """Upstream's defaults (both, post_mp4_convert) hold back one transcode: the same host gets 1, only while no
    transcode runs (tight, with a warning)."""
    result = sizing.recommend(AMD64_2)
    assert result['profile']['mode'] == 'both' and result['profile']['post_mp4_convert'] is True
    assert result['max_limit'] == 1
    assert result['undersized'] is False
    assert 'tight' in result['reason']
    assert result['reserves']['transcode_vcpus'] == pytest.approx(sizing.MODEL['transcode_vcpus_1080p30'])
    assert 'for one transcode' in result['reason']


def test_install_docs_production_host():
    """Upstream's production minimum, 4 cores and 4 GB, records 2 without transcoding, 1 with."""
    assert recommend(vcpus=4, memory_mb=4096, mode='recorderOnly')['max_limit'] == 2
    assert recommend(vcpus=4, memory_mb=4096)['max_limit'] == 1


def test_default_per_recording_estimate():
    """The 1080p30, 4-webcam recording the constants were calibrated with costs 1.22 vCPU and about 1.5 GiB."""
    per = sizing.recommend(AMD64_2)['per_recording']
    assert per['vcpus'] == pytest.approx(1.22)
    assert 1500 <= per['memory_mb'] <= 1600
    assert per['encode_source'] == 'model'
    assert sum(per['vcpus_parts'].values()) == pytest.approx(per['vcpus'])
    assert set(per['vcpus_parts']) == {'encode', 'capture', 'chromium', 'fixed'}
    assert set(per['memory_mb_parts']) == {'chromium', 'ffmpeg', 'xvfb', 'fixed'}


# ---------------------------------------------------------------------------------------------------------------
# Cap and floor


@pytest.mark.parametrize('vcpus,memory_mb', [(16, 32768), (64, 262144), (1024, 4194304)])
def test_never_above_upstreams_cap(vcpus, memory_mb):
    """Big hosts get upstream's default of 10, bound by the ceiling, and the reason says what CPU and memory would allow."""
    result = recommend(vcpus=vcpus, memory_mb=memory_mb, mode='recorderOnly')
    assert result['max_limit'] == 10
    assert result['bound_by'] == 'cap'
    assert result['limits']['cpu'] > 10 and result['limits']['memory'] > 10
    assert "the ceiling, upstream's default" in result['reason']
    assert 'CPU would allow %d' % result['limits']['cpu'] in result['reason']


def test_cap_holds_for_the_smallest_profile():
    """Even 320x320 at 1 fps without webcams on a large host stays at 10."""
    result = recommend(vcpus=96, memory_mb=393216, width=320, height=320, framerate=1, webcams=0)
    assert result['max_limit'] == 10


def test_exactly_the_cap_is_bound_by_the_resource():
    """When a resource allows exactly the cap, that resource (not the cap) is named."""
    by_cpu = recommend(vcpus=6, memory_mb=262144, mode='recorderOnly')['limits']['cpu']
    result = recommend(vcpus=6, memory_mb=262144, mode='recorderOnly', constants={'max_limit_cap': by_cpu})
    assert (result['max_limit'], result['bound_by']) == (by_cpu, 'cpu')
    result = recommend(vcpus=6, memory_mb=262144, mode='recorderOnly', constants={'max_limit_cap': by_cpu - 1})
    assert (result['max_limit'], result['bound_by']) == (by_cpu - 1, 'cap')


@pytest.mark.parametrize('mode', ['both', 'recorderOnly'])
def test_one_vcpu_is_undersized_not_a_silent_one(mode):
    """1 vCPU leaves 0.5 after the OS reserve: 1 with undersized set and a reason naming CPU (measured: one
    recording alone ran at 0.46x real time)."""
    result = recommend(vcpus=1, memory_mb=8192, mode=mode)
    assert result['max_limit'] == 1
    assert result['undersized'] is True
    assert result['bound_by'] == 'cpu'
    assert result['reason'].startswith('undersized: 1 vCPU less 0.5 for the OS leave 0.5')
    assert 'give it more CPU or' in result['reason']
    assert result['limits']['cpu'] == 0


def test_small_memory_is_undersized():
    """1 GiB cannot hold the OS reserve and one Chromium-based recording."""
    result = recommend(vcpus=8, memory_mb=1024)
    assert result['max_limit'] == 1 and result['undersized'] is True
    assert result['bound_by'] == 'memory'
    assert 'MiB' in result['reason'] and 'give it more memory' in result['reason']


def test_both_resources_short_are_both_named():
    """Short of both: both sentences, and the scarcer one binds."""
    result = recommend(vcpus=0.5, memory_mb=1200)
    assert result['undersized'] is True
    assert 'more CPU and memory' in result['reason']
    assert 'vCPU' in result['reason'] and 'MiB' in result['reason']
    assert result['bound_by'] == 'cpu'  # 0.5 vCPU leaves almost nothing; 1200 MiB leaves a third


def test_recording_that_fits_only_without_a_transcode_is_not_undersized():
    """2 vCPUs fit one recording but not one recording plus a transcode: 1, a warning, not undersized."""
    result = recommend(vcpus=2, memory_mb=4096)
    assert result['max_limit'] == 1
    assert result['undersized'] is False
    assert result['limits']['cpu'] == 0
    assert 'tight' in result['reason']
    assert any('only while no transcode runs' in warning for warning in result['warnings'])


def test_memory_tight_because_of_the_transcode():
    """The same holds for memory: the transcode's memory is what does not fit."""
    result = recommend(vcpus=4, memory_mb=2500)
    assert (result['max_limit'], result['bound_by'], result['undersized']) == (1, 'memory', False)
    assert 'give the host more memory' in result['warnings'][0]


# ---------------------------------------------------------------------------------------------------------------
# Which resource binds


def test_memory_bound():
    """Many CPUs and little memory: memory binds and the reason says what CPU would allow."""
    result = recommend(vcpus=16, memory_mb=4096, mode='recorderOnly')
    assert result['bound_by'] == 'memory'
    assert result['max_limit'] == result['limits']['memory'] == 2
    assert result['reason'].startswith('max_limit 2 (memory-bound): 4096 MiB less')
    assert 'CPU would allow %d' % result['limits']['cpu'] in result['reason']


def test_cpu_bound():
    """Few CPUs and much memory: CPU binds and the reason says what memory would allow."""
    result = recommend(vcpus=5, memory_mb=65536, mode='recorderOnly')
    assert result['bound_by'] == 'cpu'
    assert result['max_limit'] == result['limits']['cpu'] == 3
    assert result['reason'].startswith('max_limit 3 (CPU-bound): 5 vCPUs less 0.9 for the OS leave 4.1')
    assert 'memory would allow %d' % result['limits']['memory'] in result['reason']


def test_reason_is_one_line():
    for result in (recommend(), recommend(vcpus=1), recommend(vcpus=64, memory_mb=262144),
                   recommend(mode='transcoderOnly'), recommend(vcpus=1.5, memory_mb=4096)):
        assert '\n' not in result['reason'] and result['reason']


# ---------------------------------------------------------------------------------------------------------------
# Fractional vCPUs, architectures


@pytest.mark.parametrize('vcpus,expected,undersized', [
    (3.2, 2, False),   # 3.2 - 0.72 = 2.48 -> 2 x 1.22
    (1.9, 1, False),   # 1.9 - 0.59 = 1.31 -> 1
    (1.5, 1, True),    # 1.5 - 0.55 = 0.95 < 1.22
    ('3.2', 2, False),  # a quota read as text
])
def test_fractional_vcpus_from_a_quota(vcpus, expected, undersized):
    result = recommend(vcpus=vcpus, memory_mb=8192, mode='recorderOnly')
    assert result['max_limit'] == expected
    assert result['undersized'] is undersized
    assert result['host']['vcpus'] == pytest.approx(float(vcpus))


def test_arm64_encodes_slower():
    """arm64 multiplies the modelled x264 cost (encode and transcode), nothing else."""
    amd = recommend(vcpus=8, memory_mb=16384)
    arm = recommend(vcpus=8, memory_mb=16384, architecture='aarch64')
    factor = sizing.MODEL['arm64_x264_factor']
    assert arm['host']['architecture'] == 'arm64' and amd['host']['architecture'] == 'amd64'
    assert arm['per_recording']['vcpus_parts']['encode'] == pytest.approx(
        amd['per_recording']['vcpus_parts']['encode'] * factor, abs=1e-3)
    for part in ('capture', 'chromium', 'fixed'):
        assert arm['per_recording']['vcpus_parts'][part] == amd['per_recording']['vcpus_parts'][part]
    assert arm['per_recording']['memory_mb'] == amd['per_recording']['memory_mb']
    assert arm['max_limit'] <= amd['max_limit']


@pytest.mark.parametrize('name,expected', [('x86_64', 'amd64'), ('amd64', 'amd64'), ('aarch64', 'arm64'),
                                           ('arm64', 'arm64'), (' AARCH64 ', 'arm64')])
def test_architecture_names(name, expected):
    assert sizing.release_arch(name) == expected


# ---------------------------------------------------------------------------------------------------------------
# Modes


def test_transcoder_only_records_nothing():
    result = recommend(vcpus=1, memory_mb=512, mode='transcoderOnly')
    assert result['max_limit'] == 1
    assert result['bound_by'] == 'mode'
    assert result['undersized'] is False
    assert 'transcoderOnly records nothing' in result['reason']
    assert result['per_recording'] is None


def test_transcoder_only_still_validates_its_input():
    with pytest.raises(sizing.SizingError, match='vcpus must be above 0'):
        recommend(vcpus=0, mode='transcoderOnly')


@pytest.mark.parametrize('mode,convert,reserved', [
    ('both', True, True), ('both', False, False), ('recorderOnly', True, False), ('recorderOnly', False, False)])
def test_transcoding_reserve_only_in_both_mode_with_post_mp4_convert(mode, convert, reserved):
    result = recommend(vcpus=4, memory_mb=8192, mode=mode, post_mp4_convert=convert)
    assert (result['reserves']['transcode_vcpus'] > 0) is reserved
    assert (result['reserves']['transcode_memory_mb'] > 0) is reserved


def test_transcoding_cpu_limit_share():
    """On a big host the share above the 80 % limit outweighs one transcode; 0 turns the rule off; 50 doubles it."""
    assert recommend(vcpus=8, memory_mb=65536)['reserves']['transcode_vcpus'] == pytest.approx(1.6)
    off = recommend(vcpus=8, memory_mb=65536, transcoding_cpu_limit=0)
    assert off['reserves']['transcode_vcpus'] == pytest.approx(sizing.MODEL['transcode_vcpus_1080p30'])
    assert recommend(vcpus=8, memory_mb=65536, transcoding_cpu_limit=50)['reserves']['transcode_vcpus'] == 4
    assert recommend(vcpus=8, memory_mb=65536)['profile']['transcoding_cpu_limit'] == 80


def test_post_mp4_convert_accepts_ansible_booleans():
    assert recommend(post_mp4_convert='no')['profile']['post_mp4_convert'] is False
    assert recommend(post_mp4_convert='True')['profile']['post_mp4_convert'] is True
    assert recommend(post_mp4_convert=0)['profile']['post_mp4_convert'] is False


# ---------------------------------------------------------------------------------------------------------------
# The profile's effect


def test_more_webcams_never_allow_more_recordings():
    previous = None
    for webcams in range(0, 101, 5):
        result = recommend(vcpus=16, memory_mb=16384, webcams=webcams, mode='recorderOnly')
        if previous is not None:
            assert result['max_limit'] <= previous
        previous = result['max_limit']


def test_bigger_hosts_never_get_fewer():
    for mode in sizing.MODES:
        previous = 0
        for vcpus in [0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 32]:
            result = recommend(vcpus=vcpus, memory_mb=vcpus * 2048, mode=mode)
            assert 1 <= result['max_limit'] <= 10
            assert result['max_limit'] >= previous, (mode, vcpus)
            previous = result['max_limit']


def test_encode_scales_with_pixels_and_frame_rate():
    base = recommend()['per_recording']['vcpus_parts']
    sixty = recommend(framerate=60)['per_recording']['vcpus_parts']
    uhd = recommend(width=3840, height=2160)['per_recording']['vcpus_parts']
    assert sixty['encode'] == pytest.approx(2 * base['encode'])
    assert sixty['chromium'] == base['chromium']  # Chromium renders whatever x11grab's rate
    assert uhd['encode'] == pytest.approx(4 * base['encode'])
    assert uhd['chromium'] == pytest.approx(4 * base['chromium'])


def test_tiny_pictures_keep_a_floor():
    """Costs never fall below min_pixel_scale of their 1080p30 value."""
    tiny = recommend(width=320, height=320, framerate=1)['per_recording']['vcpus_parts']
    floor = sizing.MODEL['min_pixel_scale']
    assert tiny['encode'] == pytest.approx(sizing.MODEL['encode_vcpus_1080p30'] * floor, abs=1e-3)


def test_smaller_picture_allows_at_least_as_many():
    assert recommend(vcpus=4, width=1280, height=720)['max_limit'] >= recommend(vcpus=4)['max_limit']


# ---------------------------------------------------------------------------------------------------------------
# A measured encode cost


def test_measured_encode_replaces_the_estimate():
    measured = {'encode_vcpus': 0.1, 'width': 1920, 'height': 1080, 'framerate': 30, 'realtime_speed': 9.5}
    result = recommend(vcpus=4, memory_mb=8192, mode='recorderOnly', measured=measured)
    assert result['per_recording']['vcpus_parts']['encode'] == pytest.approx(0.1)
    assert result['per_recording']['encode_source'] == 'measured'
    assert '(encode measured)' in result['reason']
    assert result['max_limit'] == 3  # 3.2 / 0.82
    assert result['warnings'] == []


def test_measured_cost_is_not_multiplied_for_arm64():
    measured = {'encode_vcpus': 0.2}
    result = recommend(architecture='aarch64', measured=measured, mode='recorderOnly')
    assert result['per_recording']['vcpus_parts']['encode'] == pytest.approx(0.2)


def test_slow_measurement_lowers_the_answer():
    slow = recommend(vcpus=8, memory_mb=16384, mode='recorderOnly', measured={'encode_vcpus': 0.9})
    assert slow['max_limit'] < recommend(vcpus=8, memory_mb=16384, mode='recorderOnly')['max_limit']


def test_measurement_at_another_size_is_scaled_and_said():
    measured = {'encode_vcpus': 0.1, 'width': 1280, 'height': 720, 'framerate': 30}
    result = recommend(measured=measured)
    assert result['per_recording']['vcpus_parts']['encode'] == pytest.approx(0.1 * 2.25)
    assert any('measured at 1280x720@30 fps and scaled' in warning for warning in result['warnings'])


def test_measurement_slower_than_real_time_warns():
    result = recommend(vcpus=8, memory_mb=16384, measured={'encode_vcpus': 0.95, 'realtime_speed': 0.8})
    assert any('0.8x real time' in warning for warning in result['warnings'])


@pytest.mark.parametrize('measured', [None, {}, {'benchmark': None}])
def test_no_measurement_uses_the_model(measured):
    assert recommend(measured=measured)['per_recording']['encode_source'] == 'model'


def test_the_modules_whole_result_is_accepted():
    result = recommend(measured={'changed': False, 'benchmark': {'encode_vcpus': 0.12, 'framerate': 30}})
    assert result['per_recording']['vcpus_parts']['encode'] == pytest.approx(0.12)


# ---------------------------------------------------------------------------------------------------------------
# Bad input: a clear SizingError (a ValueError)


def test_sizing_error_is_a_value_error():
    assert issubclass(sizing.SizingError, ValueError)


@pytest.mark.parametrize('host,message', [
    ({'memory_mb': 2048, 'architecture': 'x86_64'}, 'host resources lack vcpus'),
    ({'vcpus': 2, 'architecture': 'x86_64'}, 'host resources lack memory_mb'),
    ({'vcpus': 2, 'memory_mb': 2048}, 'host resources lack architecture'),
    ({'vcpus': 0, 'memory_mb': 2048, 'architecture': 'x86_64'}, 'vcpus must be above 0'),
    ({'vcpus': -2, 'memory_mb': 2048, 'architecture': 'x86_64'}, 'vcpus must be above 0'),
    ({'vcpus': 2, 'memory_mb': 0, 'architecture': 'x86_64'}, 'memory_mb must be above 0'),
    ({'vcpus': 2, 'memory_mb': -1, 'architecture': 'x86_64'}, 'memory_mb must be above 0'),
    ({'vcpus': 'two', 'memory_mb': 2048, 'architecture': 'x86_64'}, "vcpus must be a number, not 'two'"),
    ({'vcpus': True, 'memory_mb': 2048, 'architecture': 'x86_64'}, 'vcpus must be a number, not True'),
    ({'vcpus': [2], 'memory_mb': 2048, 'architecture': 'x86_64'}, 'vcpus must be a number'),
    ({'vcpus': float('nan'), 'memory_mb': 2048, 'architecture': 'x86_64'}, 'vcpus must be a finite number'),
    ({'vcpus': 2, 'memory_mb': float('inf'), 'architecture': 'x86_64'}, 'memory_mb must be a finite number'),
    ({'vcpus': 2, 'memory_mb': 2048, 'architecture': 'ppc64le'}, 'released for amd64 (x86_64) and arm64'),
    ({'vcpus': 2, 'memory_mb': 2048, 'architecture': 7}, 'architecture must be a string'),
    ([2, 2048, 'x86_64'], 'host resources must be a dict'),
    (None, 'host resources must be a dict'),
])
def test_bad_host(host, message):
    with pytest.raises(sizing.SizingError) as caught:
        sizing.recommend(host)
    assert message in str(caught.value)


@pytest.mark.parametrize('profile,message', [
    ({'width': 319}, 'width must be between 320 and 7680 pixels, not 319'),
    ({'width': 7682}, 'width must be between 320 and 7680'),
    ({'height': 0}, 'height must be between 320 and 7680'),
    ({'width': 1921}, 'width must be an even number of pixels'),
    ({'height': 1081}, 'height must be an even number of pixels'),
    ({'width': 1920.5}, 'width must be a whole number'),
    ({'width': 'wide'}, "width must be a number, not 'wide'"),
    ({'width': False}, 'width must be a number, not False'),
    ({'framerate': 0}, 'framerate must be between 1 and 60 fps, not 0'),
    ({'framerate': 61}, 'framerate must be between 1 and 60 fps'),
    ({'framerate': -30}, 'framerate must be between 1 and 60 fps'),
    ({'framerate': 'fast'}, 'framerate must be a number'),
    ({'webcams': -1}, 'webcams must be between 0 and 100'),
    ({'webcams': 101}, 'webcams must be between 0 and 100'),
    ({'webcams': 2.5}, 'webcams must be a whole number'),
    ({'mode': 'Both'}, "mode must be one of both, recorderOnly, transcoderOnly, not 'Both'"),
    ({'mode': 'recorder'}, 'mode must be one of'),
    ({'post_mp4_convert': 'maybe'}, "post_mp4_convert must be true or false, not 'maybe'"),
    ({'post_mp4_convert': 2}, 'post_mp4_convert must be true or false'),
    ({'transcoding_cpu_limit': 120}, 'transcoding_cpu_limit must be a percentage between 0 and 100'),
    ({'webcam': 4}, 'unknown recording profile key(s) webcam; known:'),
    ('1080p', 'the recording profile must be a dict'),
])
def test_absurd_profile(profile, message):
    with pytest.raises(sizing.SizingError) as caught:
        sizing.recommend(AMD64_2, profile=profile)
    assert message in str(caught.value)


@pytest.mark.parametrize('measured,message', [
    ({'realtime_speed': 2}, 'the measurement lacks encode_vcpus'),
    ({'encode_vcpus': 0}, 'measured encode_vcpus must be above 0'),
    ({'encode_vcpus': -0.1}, 'measured encode_vcpus must be above 0'),
    ({'encode_vcpus': 'fast'}, "measured encode_vcpus must be a number, not 'fast'"),
    ({'encode_vcpus': 0.2, 'framerate': 0}, 'measured framerate must be above 0'),
    ({'encode_vcpus': 0.2, 'realtime_speed': 0}, 'measured realtime_speed must be above 0'),
    ([0.2], 'the measurement must be a dict'),
])
def test_bad_measurement(measured, message):
    with pytest.raises(sizing.SizingError) as caught:
        sizing.recommend(AMD64_2, measured=measured)
    assert message in str(caught.value)


def test_none_values_in_the_profile_take_defaults():
    """Module options left unset arrive as None."""
    assert sizing.normalize_profile({'width': None, 'webcams': None}) == dict(
        sizing.DEFAULT_PROFILE, transcoding_cpu_limit=None)


# ---------------------------------------------------------------------------------------------------------------
# Facts


@pytest.mark.parametrize('facts,vcpus', [
    ({'processor_vcpus': 4, 'processor_nproc': 4}, 4),
    ({'processor_vcpus': 8, 'processor_nproc': 2}, 2),  # affinity or a cpuset limits the process
    ({'processor_vcpus': 0, 'processor_nproc': 3}, 3),
    ({'processor_nproc': 6}, 6),
    ({'processor_cores': 4, 'processor_count': 2}, 8),
    ({'processor_cores': 4, 'processor_count': 2, 'processor_threads_per_core': 2}, 16),
])
def test_cpus_from_facts(facts, vcpus):
    facts = dict(facts, memtotal_mb=4096, architecture='x86_64')
    assert sizing.host_from_facts(facts)['vcpus'] == vcpus


def test_hostvars_and_prefixed_facts():
    facts = {'processor_vcpus': 2, 'memtotal_mb': 1990, 'architecture': 'aarch64'}
    expected = {'vcpus': 2.0, 'memory_mb': 1990.0, 'architecture': 'arm64'}
    assert sizing.host_from_facts({'ansible_facts': facts, 'inventory_hostname': 'rec1'}) == expected
    assert sizing.host_from_facts(dict(('ansible_' + key, value) for key, value in facts.items())) == expected


def test_overrides_win_over_facts():
    facts = {'processor_vcpus': 16, 'memtotal_mb': 64000, 'architecture': 'x86_64'}
    host = sizing.host_from_facts(facts, vcpus=1.5, memory_mb=2048)
    assert host == {'vcpus': 1.5, 'memory_mb': 2048.0, 'architecture': 'amd64'}


def test_overrides_fill_missing_facts():
    assert sizing.host_from_facts({'architecture': 'x86_64'}, vcpus=2, memory_mb=4096)['vcpus'] == 2


@pytest.mark.parametrize('facts,message', [
    ({'memtotal_mb': 2048, 'architecture': 'x86_64'}, 'no CPU count'),
    ({'processor_vcpus': 0, 'memtotal_mb': 2048, 'architecture': 'x86_64'}, 'no CPU count'),
    ({'processor_cores': 2, 'memtotal_mb': 2048, 'architecture': 'x86_64'}, 'no CPU count'),
    ({'processor_vcpus': 2, 'architecture': 'x86_64'}, 'no memtotal_mb'),
    ({'processor_vcpus': 2, 'memtotal_mb': 2048}, 'no architecture'),
    ({'processor_vcpus': 2, 'memtotal_mb': 0, 'architecture': 'x86_64'}, 'memory_mb must be above 0'),
    ({}, 'no CPU count'),
    (None, 'no CPU count'),
    ('rec1', "expected the host's facts"),
])
def test_missing_facts(facts, message):
    with pytest.raises(sizing.SizingError) as caught:
        sizing.host_from_facts(facts)
    assert message in str(caught.value)


def test_zero_cpu_override_is_refused():
    with pytest.raises(sizing.SizingError, match='vcpus must be above 0'):
        sizing.host_from_facts({'processor_vcpus': 2, 'memtotal_mb': 2048, 'architecture': 'x86_64'}, vcpus=0)


# ---------------------------------------------------------------------------------------------------------------
# The constants: one place, each explained, the only edit calibration needs


def test_every_constant_has_a_comment():
    """Each MODEL entry is preceded by a comment line saying what it stands for."""
    lines = inspect.getsource(sizing).splitlines()
    start = lines.index('MODEL = {')
    keys_seen = set()
    for index in range(start + 1, len(lines)):
        line = lines[index].strip()
        if line == '}':
            break
        match = re.match(r"'(\w+)':", line)
        if match:
            assert lines[index - 1].strip().startswith('#'), match.group(1)
            keys_seen.add(match.group(1))
    assert keys_seen == set(sizing.MODEL)


def test_editing_model_changes_the_answer(monkeypatch):
    """Calibration is editing MODEL: a cheaper encode there is all it takes to raise the answer."""
    before = recommend(vcpus=4, memory_mb=16384, mode='recorderOnly')['max_limit']
    monkeypatch.setitem(sizing.MODEL, 'encode_vcpus_1080p30', 0.05)
    assert recommend(vcpus=4, memory_mb=16384, mode='recorderOnly')['max_limit'] > before


def test_constants_override_per_call():
    result = recommend(vcpus=64, memory_mb=262144, constants={'max_limit_cap': 20})
    assert result['max_limit'] == 20 and result['limits']['cap'] == 20
    assert recommend(vcpus=64, memory_mb=262144)['max_limit'] == 10  # MODEL itself is untouched


def test_unknown_constant_is_refused():
    with pytest.raises(sizing.SizingError, match='unknown model constant'):
        recommend(constants={'encode_vcpu': 0.1})


def test_result_shape():
    result = sizing.recommend(AMD64_2)
    assert set(result) == {'max_limit', 'bound_by', 'undersized', 'reason', 'warnings', 'limits', 'host', 'profile',
                           'per_recording', 'reserves', 'available', 'sustainable'}
    assert result['bound_by'] in sizing.BOUNDS
    assert isinstance(result['max_limit'], int)
    assert set(result['reserves']) == {'os_vcpus', 'os_memory_mb', 'transcode_vcpus', 'transcode_memory_mb'}
    os_vcpus = sizing.MODEL['os_vcpus'] + sizing.MODEL['os_vcpus_fraction'] * 2
    assert result['reserves']['os_vcpus'] == pytest.approx(os_vcpus)
    assert result['reserves']['os_memory_mb'] == int(round(512 + 0.1 * 4096))


# ---------------------------------------------------------------------------------------------------------------
# The fleet: max_limit is a weight upstream, so what a fleet carries is the sum of what its hosts sustain.

SMALL = {'vcpus': 2, 'memory_mb': 4096, 'architecture': 'x86_64'}
LARGE = {'vcpus': 8, 'memory_mb': 16384, 'architecture': 'x86_64'}
HD = {'width': 1280, 'height': 720}


def test_sustainable_is_not_capped_where_max_limit_is():
    result = sizing.recommend({'vcpus': 64, 'memory_mb': 131072, 'architecture': 'x86_64'}, HD)
    assert result['max_limit'] == 10 and result['bound_by'] == 'cap'
    assert result['sustainable'] == min(result['limits']['cpu'], result['limits']['memory']) > 10


TINY = {'vcpus': 1, 'memory_mb': 1024, 'architecture': 'x86_64'}


@pytest.mark.parametrize('profile, host', [({'mode': 'transcoderOnly'}, LARGE), ({}, TINY)])
def test_hosts_that_record_nothing_sustain_nothing(profile, host):
    result = sizing.recommend(host, profile)
    assert result['max_limit'] == 1 and result['sustainable'] == 0


def test_expected_peak_as_a_count_or_per_webcam_profile():
    assert sizing.normalize_expected(None) == {} == sizing.normalize_expected({})
    assert sizing.normalize_expected(6, webcams=2) == {2: 6}
    assert sizing.normalize_expected({'1': '4', 9: 2, 4: 0}) == {1: 4, 9: 2}
    for wrong in (-1, {4: -2}, {101: 1}, {'many': 1}, True, 2.5):
        with pytest.raises(sizing.SizingError, match='expected'):
            sizing.normalize_expected(wrong)


def test_fleet_that_carries_the_peak():
    small = sizing.recommend(SMALL, HD)['sustainable']
    large = sizing.recommend(LARGE, HD)['sustainable']
    result = sizing.fleet({'rec1': {'host': SMALL, 'profile': HD}, 'rec2': {'host': LARGE, 'profile': HD}},
                          small + large)
    assert result['enough'] and result['missing_hosts'] == 0 and result['load_percent'] == 100
    assert result['sustainable'] == {4: small + large}
    assert result['message'].startswith('2 recorder hosts sustain %d with 4 webcams' % (small + large))


def test_fleet_short_counts_the_hosts_to_add_like_the_best_one():
    large = sizing.recommend(LARGE, HD)['sustainable']
    fleet = {'rec1': {'host': SMALL, 'profile': HD}, 'rec2': {'host': LARGE, 'profile': HD}}
    total = sizing.fleet(fleet, 1)['sustainable'][4]
    result = sizing.fleet(fleet, total + 2 * large)
    assert not result['enough']
    assert (result['missing_hosts'], result['like']) == (2, 'rec2')
    assert 'add 2 recorder hosts like rec2 (8 vCPUs, 16384 MiB' in result['message']
    # One host fewer would not do: the answer is the least that carries the peak.
    assert not sizing.fleet(fleet, total + large + 1)['enough']


def test_fleet_mixed_webcam_profiles_share_the_hosts():
    """Each profile takes its share of the fleet: 10 one-webcam and 5 four-webcam recordings need both shares."""
    fleet = {'rec1': {'host': LARGE, 'profile': HD}}
    ones = sizing.recommend(LARGE, dict(HD, webcams=1))['sustainable']
    fours = sizing.recommend(LARGE, dict(HD, webcams=4))['sustainable']
    result = sizing.fleet(fleet, {1: ones, 4: fours})
    assert result['load_percent'] == 200 and result['missing_hosts'] == 1
    assert sizing.fleet(fleet, {1: ones})['enough']


def test_fleet_of_hosts_too_small_for_the_profile_says_so():
    result = sizing.fleet({'rec1': {'host': TINY}}, 2)
    assert not result['enough'] and result['missing_hosts'] is None and result['load_percent'] is None
    assert 'add larger recorder hosts' in result['message']
    assert 'add larger recorder hosts' in sizing.fleet({}, 1)['message']


def test_no_expected_peak_checks_nothing():
    assert sizing.fleet({'rec1': {'host': SMALL}}, None)['enough']
