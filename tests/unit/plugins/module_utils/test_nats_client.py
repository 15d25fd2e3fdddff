# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The minimal NATS client and recorder_registry against a real nats-server (the artifact tools/artifacts.sh builds)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import glob
import os
import socket
import subprocess
import tarfile
import time

import pytest

from ansible_collections.plugnmeet.deploy.plugins.module_utils import nats_client, nkeys
from ansible_collections.plugnmeet.deploy.plugins.modules import recorder_registry

CACHE = os.environ.get('PNM_CACHE_DIR', os.path.expanduser('~/.cache/plugnmeet-deploy'))


def _nats_server_binary(tmp_path_factory):
    archives = sorted(glob.glob(os.path.join(CACHE, 'artifacts', 'nats-server', '*', 'amd64', '*.tar.gz')))
    if not archives:
        pytest.skip('no nats-server artifact (run tools/artifacts.sh nats)')
    target = tmp_path_factory.mktemp('nats-bin')
    with tarfile.open(archives[-1]) as archive:
        member = [m for m in archive.getmembers() if m.name.endswith('/nats-server')][0]
        member.name = 'nats-server'
        archive.extract(member, str(target))
    return str(target / 'nats-server')


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _start(binary, config_text, work, port):
    config = work / 'nats.conf'
    config.write_text(config_text)
    process = subprocess.Popen([binary, '-c', str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _attempt in range(50):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return process


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    binary = _nats_server_binary(tmp_path_factory)
    work = tmp_path_factory.mktemp('nats')
    seed = nkeys.generate_seed('user')
    port = _free_port()
    process = _start(binary, '''
host: 127.0.0.1
port: %d
jetstream { store_dir: "%s" }
accounts { PNM: { jetstream: enabled, users: [ {nkey: "%s"} ] } }
''' % (port, work / 'js', nkeys.public_key(seed)), work, port)
    yield {'url': 'nats://127.0.0.1:%d' % port, 'seed': seed}
    process.terminate()
    process.wait(10)


def _write_ca_and_certificate(work):
    """A CA and a server certificate for 127.0.0.1 signed by it, as the common role's certificate entry point
    makes them."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u'test CA')])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
               .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u'nats')]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(u'127.0.0.1'))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = {'ca': work / 'ca.crt', 'cert': work / 'nats.crt', 'key': work / 'nats.key'}
    files['ca'].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files['cert'].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files['key'].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return files


@pytest.fixture(scope='module')
def tls_server(tmp_path_factory):
    """A server whose client port requires TLS, as the nats role configures it."""
    binary = _nats_server_binary(tmp_path_factory)
    work = tmp_path_factory.mktemp('nats-tls')
    files = _write_ca_and_certificate(work)
    seed = nkeys.generate_seed('user')
    port = _free_port()
    process = _start(binary, '''
host: 127.0.0.1
port: %d
tls { cert_file: "%s", key_file: "%s" }
accounts { PNM: { users: [ {nkey: "%s"} ] } }
''' % (port, files['cert'], files['key'], nkeys.public_key(seed)), work, port)
    yield {'url': 'nats://127.0.0.1:%d' % port, 'seed': seed, 'ca_file': str(files['ca'])}
    process.terminate()
    process.wait(10)


def test_tls_server_checked_against_the_ca_file(tls_server):
    client = nats_client.Client(tls_server['url'], tls_server['seed'], ca_file=tls_server['ca_file'])
    try:
        assert client.connect()['tls_required']
        with pytest.raises(nats_client.NatsError, match='no responders'):
            client.request('$JS.API.INFO')
    finally:
        client.close()


def test_tls_server_whose_ca_is_not_trusted_is_refused(tls_server):
    client = nats_client.Client(tls_server['url'], tls_server['seed'])
    with pytest.raises(nats_client.NatsError, match='TLS with .* failed.*CERTIFICATE_VERIFY_FAILED'):
        client.connect()
    client.close()


def _publish_like_a_recorder(server, recorder_id, max_limit, ping_ms):
    nats = pytest.importorskip('nats')

    async def run():
        nc = await nats.connect(servers=[server['url']], nkeys_seed_str=server['seed'])
        js = nc.jetstream()
        try:
            kv = await js.key_value('pnm-recorderInfo')
        except Exception:  # pylint: disable=broad-except
            kv = await js.create_key_value(bucket='pnm-recorderInfo')
        await kv.put('recorder_%s-FIELD_0' % recorder_id, str(max_limit).encode())
        await kv.put('recorder_%s-FIELD_1' % recorder_id, str(ping_ms).encode())
        await kv.put('recorder_%s-FIELD_3' % recorder_id, b'0')
        await nc.close()

    asyncio.new_event_loop().run_until_complete(run())


def test_missing_bucket_is_reported(server):
    client = nats_client.Client(server['url'], server['seed'])
    client.connect()
    try:
        with pytest.raises(nats_client.NatsError, match='does not exist'):
            nats_client.kv_get(client, 'pnm-recorderInfo', 'recorder_x-FIELD_0')
    finally:
        client.close()


def test_reads_alive_stale_and_unknown_recorders(server):
    now = time.time()
    _publish_like_a_recorder(server, 'fresh', 3, int(now * 1000))
    _publish_like_a_recorder(server, 'stale', 5, int((now - 60) * 1000))
    client = nats_client.Client(server['url'], server['seed'])
    client.connect()
    try:
        found = recorder_registry.read_recorders(client, 'pnm-recorderInfo', ['fresh', 'stale', 'never'], 8, now=now)
    finally:
        client.close()
    assert found['fresh'] == {'registered': True, 'alive': True, 'max_limit': 3, 'progress': 0,
                              'last_ping_age': 0.0}
    assert found['stale']['registered'] and not found['stale']['alive'] and found['stale']['max_limit'] == 5
    assert found['never'] == {'registered': False, 'alive': False, 'max_limit': None, 'progress': None,
                              'last_ping_age': None}


def test_transcoding_queue_waiting_then_in_flight_then_idle(server):
    """The queue as the recorders use it: a WorkQueue stream and one durable pull consumer."""
    nats = pytest.importorskip('nats')
    from nats.js.api import ConsumerConfig, RetentionPolicy, StreamConfig

    def read():
        client = nats_client.Client(server['url'], server['seed'])
        client.connect()
        try:
            return recorder_registry.read_transcoding(client, 'pnm-RecorderTranscoderJobs', 'transcoderWorker')
        finally:
            client.close()

    assert read() is None
    states = []

    async def run():
        nc = await nats.connect(servers=[server['url']], nkeys_seed_str=server['seed'])
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name='pnm-RecorderTranscoderJobs', subjects=['pnm-RecorderTranscoderJobs'],
                                         retention=RetentionPolicy.WORK_QUEUE))
        await js.add_consumer('pnm-RecorderTranscoderJobs', ConsumerConfig(durable_name='transcoderWorker'))
        await js.publish('pnm-RecorderTranscoderJobs', b'job')
        states.append(read())
        subscription = await js.pull_subscribe('pnm-RecorderTranscoderJobs', 'transcoderWorker')
        job = (await subscription.fetch(1, timeout=5))[0]
        states.append(read())
        await job.ack()
        await nc.flush()
        states.append(read())
        await nc.close()

    asyncio.new_event_loop().run_until_complete(run())
    assert states == [{'waiting': 1, 'in_flight': 0}, {'waiting': 0, 'in_flight': 1}, {'waiting': 0, 'in_flight': 0}]


def test_busy_names_recordings_and_transcoding():
    recorders = {'old': {'progress': 1}, 'new': {'progress': 0}}
    assert recorder_registry.busy(recorders, {'waiting': 0, 'in_flight': 0}, ['new']) == []
    assert recorder_registry.busy(recorders, None, ['old', 'new']) == ['old records (progress 1)']
    assert recorder_registry.busy(recorders, {'waiting': 2, 'in_flight': 1}, ['new']) == [
        'transcoding: 2 waiting, 1 in flight']


def test_wrong_seed_is_refused(server):
    client = nats_client.Client(server['url'], nkeys.generate_seed('user'))
    with pytest.raises(nats_client.NatsError, match='refused'):
        client.connect()
    client.close()


def test_not_a_nats_server():
    with socket.socket() as listener:
        listener.bind(('127.0.0.1', 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        client = nats_client.Client('nats://127.0.0.1:%d' % port, timeout=1)
        with pytest.raises(nats_client.NatsError, match='timed out'):
            client.connect()
        client.close()


@pytest.mark.parametrize('url, expected', [
    ('nats://10.0.0.5:4222', ('10.0.0.5', 4222)),
    ('nats://[fd00::5]:4223', ('fd00::5', 4223)),
    ('nats://host.example', ('host.example', 4222)),
    ('10.0.0.5:5222', ('10.0.0.5', 5222)),
])
def test_parse_url(url, expected):
    assert nats_client.parse_url(url) == expected
