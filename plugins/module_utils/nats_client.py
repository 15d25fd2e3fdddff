# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A minimal NATS client for modules: connect with an nkey, request/reply, JetStream message get.

A server that requires TLS (the nats role's client port) gets it: the certificate is checked against `ca_file`, or
the system store (where the deployment's CA is trusted), and the host name or address of the URL.

Just enough protocol (INFO, CONNECT, PING/PONG, SUB, PUB, MSG/HMSG) to read a KV bucket on a host where no NATS
client library is installed. Needs `cryptography` (Debian: python3-cryptography) for the nkey signature.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import socket
import ssl
import time

from ansible_collections.plugnmeet.deploy.plugins.module_utils import nkeys


class NatsError(Exception):
    """Connection, authentication or protocol failure; the message says which."""


def parse_url(url):
    """(host, port) of nats://host:port, IPv6 in brackets."""
    rest = url.split('://', 1)[-1].rstrip('/')
    if '@' in rest:
        raise NatsError('credentials in the NATS URL are not supported; use an nkey seed')
    if rest.startswith('['):
        host, _sep, port = rest[1:].partition(']')
        port = port.lstrip(':')
    else:
        host, _sep, port = rest.rpartition(':') if rest.count(':') == 1 else (rest, '', '')
    return host or rest, int(port or 4222)


class Client(object):

    def __init__(self, url, seed=None, timeout=5.0, ca_file=None):
        self.url = url
        self.seed = seed
        self.ca_file = ca_file
        self.timeout = timeout
        self.sock = None
        self.buffer = b''
        self.inbox = '_INBOX.pnmdeploy.%s' % base64.b32encode(os.urandom(10)).decode('ascii').rstrip('=')
        self.sid = 0

    # -- wire ----------------------------------------------------------------------------------------------
    def _readline(self, deadline):
        while b'\r\n' not in self.buffer:
            self._fill(deadline)
        line, self.buffer = self.buffer.split(b'\r\n', 1)
        return line.decode('utf-8', 'replace')

    def _read_exact(self, size, deadline):
        while len(self.buffer) < size + 2:
            self._fill(deadline)
        data, self.buffer = self.buffer[:size], self.buffer[size + 2:]
        return data

    def _fill(self, deadline):
        remaining = deadline - time.time()
        if remaining <= 0:
            raise NatsError('timed out waiting for %s' % self.url)
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise NatsError('timed out waiting for %s' % self.url)
        if not chunk:
            raise NatsError('%s closed the connection' % self.url)
        self.buffer += chunk

    def _send(self, data):
        self.sock.sendall(data)

    # -- protocol ------------------------------------------------------------------------------------------
    def connect(self):
        host, port = parse_url(self.url)
        try:
            self.sock = socket.create_connection((host, port), timeout=self.timeout)
        except (OSError, socket.error) as exc:
            raise NatsError('cannot connect to %s: %s' % (self.url, exc))
        deadline = time.time() + self.timeout
        line = self._readline(deadline)
        if not line.startswith('INFO '):
            raise NatsError('%s is not a NATS server (got %r)' % (self.url, line[:40]))
        info = json.loads(line[5:])
        if info.get('tls_required'):
            self._start_tls(host)
        options = {'verbose': False, 'pedantic': False, 'lang': 'python-pnmdeploy', 'version': '1',
                   'protocol': 1, 'headers': True, 'no_responders': True}
        if self.seed:
            nonce = info.get('nonce', '').encode('ascii')
            try:
                signature = nkeys.sign(self.seed, nonce)
                options['nkey'] = nkeys.public_key(self.seed)
            except nkeys.NkeyError as exc:
                raise NatsError('the nkey seed is not usable: %s' % exc)
            options['sig'] = base64.urlsafe_b64encode(signature).decode('ascii').rstrip('=')
        self._send(('CONNECT %s\r\nPING\r\n' % json.dumps(options)).encode('utf-8'))
        while True:
            line = self._readline(deadline)
            if line == 'PONG':
                break
            if line.startswith('-ERR'):
                raise NatsError('%s refused the connection: %s' % (self.url, line[5:].strip(" '")))
            if line == 'PING':
                self._send(b'PONG\r\n')
        self._send(('SUB %s.* 1\r\n' % self.inbox).encode('ascii'))
        return info

    def _start_tls(self, host):
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
            self.sock = context.wrap_socket(self.sock, server_hostname=host)
        except (OSError, ssl.SSLError, socket.error) as exc:
            raise NatsError('TLS with %s failed: %s' % (self.url, exc))

    def request(self, subject, payload=b''):
        """Send a request and return (headers text, payload bytes) of the reply."""
        self.sid += 1
        reply = '%s.%d' % (self.inbox, self.sid)
        self._send(('PUB %s %s %d\r\n' % (subject, reply, len(payload))).encode('ascii') + payload + b'\r\n')
        deadline = time.time() + self.timeout
        while True:
            line = self._readline(deadline)
            if line == 'PING':
                self._send(b'PONG\r\n')
                continue
            if line.startswith('-ERR'):
                raise NatsError('%s: %s' % (subject, line[5:].strip(" '")))
            parts = line.split(' ')
            if parts[0] == 'MSG' and parts[1] == reply:
                return '', self._read_exact(int(parts[-1]), deadline)
            if parts[0] == 'HMSG' and parts[1] == reply:
                header_size, total = int(parts[-2]), int(parts[-1])
                data = self._read_exact(total, deadline)
                headers = data[:header_size].decode('utf-8', 'replace')
                if ' 503' in headers.split('\r\n', 1)[0]:
                    raise NatsError('no responders for %s (is JetStream enabled for this account?)' % subject)
                return headers, data[header_size:]
            if parts[0] in ('MSG', 'HMSG'):
                # A stale reply of an earlier request: skip its payload.
                self._read_exact(int(parts[-1]), deadline)

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None


def consumer_info(client, stream, consumer):
    """A JetStream consumer's state (num_pending, num_ack_pending, ...), or None when the stream or consumer is
    missing."""
    _headers, body = client.request('$JS.API.CONSUMER.INFO.%s.%s' % (stream, consumer))
    answer = json.loads(body.decode('utf-8'))
    error = answer.get('error')
    if error:
        if error.get('code') == 404:
            return None
        raise NatsError('reading consumer %s of %s: %s' % (consumer, stream, error.get('description')))
    return answer


def kv_get(client, bucket, key):
    """Latest value of a KV key as text, or None when absent, deleted or purged."""
    _headers, body = client.request('$JS.API.STREAM.MSG.GET.KV_%s' % bucket,
                                    json.dumps({'last_by_subj': '$KV.%s.%s' % (bucket, key)}).encode('utf-8'))
    answer = json.loads(body.decode('utf-8'))
    error = answer.get('error')
    if error:
        if error.get('code') == 404:
            if 'stream' in error.get('description', '') and 'not found' in error.get('description', ''):
                raise NatsError('KV bucket %s does not exist (plugnmeet-server creates it at start)' % bucket)
            return None
        raise NatsError('reading %s from %s: %s' % (key, bucket, error.get('description')))
    message = answer.get('message') or {}
    headers = base64.b64decode(message.get('hdrs') or '').decode('utf-8', 'replace')
    if 'KV-Operation: DEL' in headers or 'KV-Operation: PURGE' in headers:
        return None
    return base64.b64decode(message.get('data') or '').decode('utf-8', 'replace')
