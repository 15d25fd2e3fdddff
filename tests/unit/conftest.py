# -*- coding: utf-8 -*-
# Copyright (c) 2026 plugnmeet.deploy maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the unit tests: importing the collection, running a real ansible-playbook, a loopback HTTP server.

The checkout is the collection plugnmeet.deploy. In the repository it is reachable as
``.collections/ansible_collections/plugnmeet/deploy`` (a symlink to the repository root); when the tree is already
laid out as ``ansible_collections/plugnmeet/deploy`` (ansible-test's copy) the directory above ``ansible_collections``
is used instead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import json
import os
import subprocess
import sys
import threading

import pytest
import yaml

try:
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
except ImportError:  # pragma: no cover - Python 2 is not supported by these tests
    SimpleHTTPRequestHandler = ThreadingHTTPServer = None

# tests/unit/conftest.py -> tests/unit -> tests -> repository root: three dirname() calls.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collections_root():
    """The directory that holds ``ansible_collections/plugnmeet/deploy`` for this checkout."""
    above = os.path.dirname(os.path.dirname(REPO_ROOT))
    if (os.path.basename(os.path.dirname(REPO_ROOT)) == 'plugnmeet'
            and os.path.basename(above) == 'ansible_collections'):
        return os.path.dirname(above)
    return os.path.join(REPO_ROOT, '.collections')


COLLECTIONS_ROOT = _collections_root()
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)


def _ansible_playbook():
    """The venv's ansible-playbook (next to the Python running the tests), else the repository's .venv."""
    for directory in (os.path.dirname(sys.executable), os.path.join(REPO_ROOT, '.venv', 'bin')):
        candidate = os.path.join(directory, 'ansible-playbook')
        if os.access(candidate, os.X_OK):
            return candidate
    return None


class PlaybookRun(object):
    """The outcome of one ansible-playbook run: return code, output, and each task's result by task name."""

    def __init__(self, rc, stdout, stderr, results):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.results = results

    def __getitem__(self, task_name):
        return self.results[task_name]

    def describe(self):
        """Text for assertion messages: the return code and stderr (stdout may hold censored task results only)."""
        return 'ansible-playbook rc=%s\nstderr:\n%s' % (self.rc, self.stderr[-4000:])


def _parse_json_callback(stdout):
    """Task results by task name from the ansible.builtin.json callback's document.

    ansible.cfg enables profile_tasks, which prints timing lines before and after the JSON document.
    """
    if stdout.startswith('{'):
        start = 0
    else:
        start = stdout.find('\n{')
        if start < 0:
            raise AssertionError('no JSON document in ansible-playbook output')
        start += 1
    document, _end = json.JSONDecoder().raw_decode(stdout[start:])
    results = {}
    for play in document.get('plays', []):
        for task in play.get('tasks', []):
            host_results = task.get('hosts', {})
            if 'localhost' in host_results:
                results[task['task']['name']] = host_results['localhost']
    return results


def _clean_environment():
    """The current environment without any ANSIBLE_* setting or proxy, so only what a test sets applies."""
    env = dict((key, value) for key, value in os.environ.items()
               if not key.startswith('ANSIBLE_') and key.lower() not in ('http_proxy', 'https_proxy', 'all_proxy'))
    env['no_proxy'] = env['NO_PROXY'] = '127.0.0.1,localhost'
    return env


@pytest.fixture
def run_playbook(tmp_path):
    """Run a playbook of the given tasks against the implicit localhost and return a PlaybookRun.

    ``tasks`` is a list of task dicts, each with a unique ``name``; results are read from the json stdout callback.
    ``check`` adds --check; ``env`` adds environment variables (for example ANSIBLE_VAULT_PASSWORD_FILE).
    """
    executable = _ansible_playbook()
    if executable is None:
        pytest.skip('ansible-playbook is not installed next to this Python')
    counter = [0]

    def run(tasks, check=False, env=None, extra_args=None, timeout=120):
        counter[0] += 1
        playbook = tmp_path / ('playbook-%d.yml' % counter[0])
        play = [{'name': 'test', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]
        playbook.write_text(yaml.safe_dump(play, default_flow_style=False, sort_keys=False))
        local_tmp = tmp_path / '.ansible-local'
        local_tmp.mkdir(exist_ok=True)
        environment = _clean_environment()
        environment.update({
            'ANSIBLE_CONFIG': os.path.join(REPO_ROOT, 'ansible.cfg'),
            'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_ROOT,
            'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.json',
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'ANSIBLE_LOCAL_TEMP': str(local_tmp),
            'ANSIBLE_NOCOLOR': '1',
        })
        environment.update(env or {})
        command = [executable, str(playbook)]
        if check:
            command.append('--check')
        command.extend(extra_args or [])
        proc = subprocess.run(command, cwd=str(tmp_path), env=environment, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout, check=False)
        try:
            results = _parse_json_callback(proc.stdout)
        except (AssertionError, ValueError):
            raise AssertionError('ansible-playbook printed no JSON result (rc=%s)\nstderr:\n%s'
                                 % (proc.returncode, proc.stderr[-4000:]))
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, results)

    return run


class _QuietHandler(SimpleHTTPRequestHandler if SimpleHTTPRequestHandler else object):
    """Serves a directory and records every requested path; logs nothing."""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.server.requests.append(self.path)
        return SimpleHTTPRequestHandler.do_GET(self)


class LoopbackServer(object):
    """An HTTP server on 127.0.0.1 serving ``root``; ``requests`` lists the paths asked for."""

    def __init__(self, root):
        self.root = str(root)
        handler = functools.partial(_QuietHandler, directory=self.root)
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), handler)
        self._server.requests = []
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05})
        self._thread.daemon = True

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self._server.server_address[1]

    @property
    def requests(self):
        return self._server.requests

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def http_server(tmp_path):
    """A loopback HTTP server (free port) serving tmp_path/www for the duration of one test."""
    root = tmp_path / 'www'
    root.mkdir()
    server = LoopbackServer(root).start()
    try:
        yield server
    finally:
        server.stop()
