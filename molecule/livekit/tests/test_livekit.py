"""The LiveKit role installs a real livekit-server that plugnmeet-server can drive with the deployment's keys."""

import asyncio
import json
import os
import re
import stat
import subprocess
import time
import urllib.request
import uuid

import pytest
import yaml
from livekit import api

from conftest import assert_no_secret_in, assert_root_read_only, instances, lab_address, run_check_diff, unit_properties

CONFIG = "/etc/livekit/livekit.yaml"
UNIT = "/etc/systemd/system/livekit.service"


def _url(host):
    return f"http://{lab_address(host)}:7880"


def _run(coro):
    return asyncio.new_event_loop().run_until_complete(coro)


def _main_pid(host):
    return host.check_output("systemctl show -p MainPID --value livekit")


def _converge(extra_vars):
    """Run the scenario's converge with extra variables; return (return code, output)."""
    proc = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            "-e",
            json.dumps(extra_vars),
            os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def _task_result(output, task):
    """The result lines Ansible printed for a task (between its header and the next one)."""
    start = output.index(task)
    end = output.find("TASK [", start)
    return output[start:] if end < 0 else output[start:end]


def test_service_running_as_its_own_user(host):
    service = host.service("livekit")
    assert service.is_enabled
    assert service.is_running
    main_pid = _main_pid(host)
    assert host.check_output(f"ps -o user= -p {main_pid}") == "livekit"
    assert host.user("livekit").shell == "/usr/sbin/nologin"
    assert host.check_output("/usr/local/bin/livekit-server --version").endswith("1.13.5")


def test_api_listens_on_private_address_only(host):
    address = lab_address(host)
    assert host.socket(f"tcp://{address}:7880").is_listening
    for other in ("0.0.0.0", "127.0.0.1", "::"):
        assert not host.socket(f"tcp://{other}:7880").is_listening


def test_ice_tcp_port_listening(host):
    assert host.socket("tcp://7881").is_listening


def test_health_endpoint_answers_ok(host):
    with urllib.request.urlopen(_url(host) + "/", timeout=5) as response:
        assert response.status == 200
        assert response.read() == b"OK"


def test_systemd_hardening_in_effect(host):
    props = unit_properties(host, "livekit", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
                            "PrivateDevices", "CapabilityBoundingSet", "AmbientCapabilities",
                            "MemoryDenyWriteExecute", "RestrictNamespaces", "TimeoutStopUSec")
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["ProtectHome"] == "yes"
    assert props["PrivateTmp"] == "yes"
    assert props["PrivateDevices"] == "yes"
    assert props["CapabilityBoundingSet"] == ""  # no port below 1024, so no capability at all
    assert props["AmbientCapabilities"] == ""
    assert props["MemoryDenyWriteExecute"] == "yes"
    assert props["RestrictNamespaces"] == "yes"
    assert props["TimeoutStopUSec"] == "1min 30s"
    # The running process really cannot write anywhere: / is read-only for it.
    assert_root_read_only(host, props["MainPID"])


def test_config_holds_the_deployment_keys(host, secrets):
    config = host.file(CONFIG)
    assert config.mode == 0o640
    assert config.user == "root"
    assert config.group == "livekit"
    assert host.file("/etc/livekit").mode == 0o750
    content = yaml.safe_load(config.content_string)
    address = lab_address(host)
    assert content["keys"] == {secrets["livekit_api_key"]: secrets["livekit_api_secret"]}
    assert content["port"] == 7880
    assert content["bind_addresses"] == [address]
    assert content["rtc"] == {
        "tcp_port": 7881,
        "port_range_start": 50000,
        "port_range_end": 60000,
        "use_external_ip": False,
        # The lab host has no global address, so the public address falls back to the private one.
        "node_ip": address,
    }
    # plugnmeet-server v2.4 never creates LiveKit rooms: a join must create them.
    assert content["room"] == {"auto_create": True, "enable_remote_unmute": True}
    # The scenario points the webhook at the host itself, where the tests listen for the events.
    assert content["webhook"] == {"api_key": secrets["livekit_api_key"], "urls": [f"http://{address}:8080/webhook"]}
    # One node: no Redis.
    assert "redis" not in content


def test_started_single_node_with_the_configured_node_ip(host):
    log = host.check_output("journalctl -u livekit -o cat --no-pager | grep 'starting LiveKit server' | tail -n 1")
    started = json.loads(log[log.index("{"):])
    assert started["nodeIP"] == lab_address(host)
    assert started["bindAddresses"] == [lab_address(host)]
    assert started["rtc.portICERange"] == [50000, 60000]
    assert host.run("journalctl -u livekit -o cat --no-pager | grep -q 'using single-node routing'").rc == 0


def test_secrets_file_private(secrets_path):
    assert stat.S_IMODE(os.stat(secrets_path).st_mode) == 0o600


def test_room_lifecycle_with_the_deployment_keys(host, secrets):
    name = f"molecule-{uuid.uuid4().hex[:8]}"

    async def scenario():
        lkapi = api.LiveKitAPI(_url(host), secrets["livekit_api_key"], secrets["livekit_api_secret"])
        try:
            created = await lkapi.room.create_room(api.CreateRoomRequest(name=name))
            listed = [room.name for room in (await lkapi.room.list_rooms(api.ListRoomsRequest())).rooms]
            await lkapi.room.delete_room(api.DeleteRoomRequest(room=name))
            after = [room.name for room in (await lkapi.room.list_rooms(api.ListRoomsRequest())).rooms]
            return created.name, created.sid, listed, after
        finally:
            await lkapi.aclose()

    created, sid, listed, after = _run(scenario())
    assert created == name
    assert sid.startswith("RM_")
    assert name in listed
    assert name not in after


def test_wrong_secret_is_refused(host, secrets):
    async def scenario():
        lkapi = api.LiveKitAPI(_url(host), secrets["livekit_api_key"], "x" * 48)
        try:
            await lkapi.room.list_rooms(api.ListRoomsRequest())
        except api.TwirpError as error:
            return error.status
        finally:
            await lkapi.aclose()
        return None

    assert _run(scenario()) == 401


# Stands in for plugnmeet-server's /webhook on the lab host: appends each POST (headers and body) as a JSON line.
RECEIVER = """
import http.server, json, os, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        with open(sys.argv[2], "a") as out:
            out.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"), "body": body}) + "\\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer((sys.argv[1], 8080), Handler)
with open(sys.argv[3], "w") as pid:
    pid.write(str(os.getpid()))
server.serve_forever()
"""


@pytest.fixture
def webhook_receiver(host):
    name = host.backend.get_hostname()
    address = lab_address(host)
    received, pidfile = "/tmp/pnm-webhooks.jsonl", "/tmp/pnm-webhooks.pid"
    host.run(f"rm -f {received} {pidfile}")
    subprocess.run(
        ["docker", "exec", "-d", name, "python3", "-c", RECEIVER, address, received, pidfile], check=True
    )
    for _attempt in range(50):
        if host.socket(f"tcp://{address}:8080").is_listening:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the webhook receiver did not start")
    try:
        yield received
    finally:
        host.run(f"kill $(cat {pidfile})")


def test_webhook_reaches_plugnmeet_server_signed(host, secrets, webhook_receiver):
    """Room events arrive at the plugnmeet_servers host's :8080/webhook, signed with the deployment's key."""
    name = f"molecule-hook-{uuid.uuid4().hex[:8]}"

    async def scenario():
        lkapi = api.LiveKitAPI(_url(host), secrets["livekit_api_key"], secrets["livekit_api_secret"])
        try:
            await lkapi.room.create_room(api.CreateRoomRequest(name=name))
            await lkapi.room.delete_room(api.DeleteRoomRequest(room=name))
        finally:
            await lkapi.aclose()

    _run(scenario())
    receiver = api.WebhookReceiver(api.TokenVerifier(secrets["livekit_api_key"], secrets["livekit_api_secret"]))
    events = []
    for _attempt in range(100):
        events = []
        if host.file(webhook_receiver).exists:
            for line in host.file(webhook_receiver).content_string.splitlines():
                post = json.loads(line)
                assert post["path"] == "/webhook"
                event = receiver.receive(post["body"], post["auth"])  # raises unless signed with the secret
                if event.room.name == name:
                    events.append(event.event)
        if {"room_started", "room_finished"} <= set(events):
            break
        time.sleep(0.1)
    assert "room_started" in events
    assert "room_finished" in events


def test_check_diff_shows_changes_but_never_a_secret(host, secrets):
    """--check --diff on a host missing its config and unit: changes are reported, no secret appears, nothing
    changes. livekit.yaml holds the API secret, so its diff is withheld; the unit's diff is shown."""
    if host.backend.get_hostname() != instances()[0]:
        pytest.skip("runs once for the scenario")
    before = host.file(CONFIG).sha256sum
    main_pid = _main_pid(host)
    code, output = run_check_diff([CONFIG, UNIT])
    assert code == 0, output[-3000:]
    assert "ExecStart=/usr/local/bin/livekit-server --config /etc/livekit/livekit.yaml" in output  # the unit's diff
    assert re.search(r"^changed: \[", _task_result(output, "Write livekit.yaml"), re.MULTILINE)
    assert_no_secret_in(output, secrets)
    assert host.file(CONFIG).sha256sum == before
    assert _main_pid(host) == main_pid


def test_invalid_setting_is_refused_before_it_is_put_in_place(host, secrets):
    """livekit-server checks the new file first: an unknown key fails the run, the running config and server stay."""
    before = host.file(CONFIG).sha256sum
    main_pid = _main_pid(host)
    code, output = _converge({"livekit_config_extra": {"no_such_setting": 1}})
    assert code != 0
    assert "field no_such_setting not found" in _task_result(output, "Write livekit.yaml")
    assert_no_secret_in(output, secrets)
    assert host.file(CONFIG).sha256sum == before
    assert _main_pid(host) == main_pid


def test_config_change_restarts_livekit(host):
    """LiveKit has no reload: a changed setting restarts it (the idempotence step shows nothing else does).
    It leaves the host with debug logging."""
    main_pid = _main_pid(host)
    code, output = _converge({"livekit_log_level": "debug"})
    assert code == 0, output[-3000:]
    assert "RUNNING HANDLER [plugnmeet.deploy.livekit : Restart livekit]" in output
    assert yaml.safe_load(host.file(CONFIG).content_string)["logging"]["level"] == "debug"
    assert _main_pid(host) != main_pid
    with urllib.request.urlopen(_url(host) + "/", timeout=5) as response:
        assert response.read() == b"OK"


def test_a_restart_lost_with_an_interrupted_run_is_made_up(host):
    """A run that put a new livekit.yaml in place and stopped before its handler ran: the next run finds the file as
    it should be, and restarts LiveKit all the same, since it started before the file changed; the run after that
    restarts nothing. Runs after the debug change above, with the same settings."""
    main_pid = _main_pid(host)
    host.run_expect([0], f"cp -p {CONFIG} {CONFIG}.new && mv {CONFIG}.new {CONFIG}")  # what the template task does
    code, output = _converge({"livekit_log_level": "debug"})
    assert code == 0, output[-3000:]
    assert not re.search(r"^changed: \[", _task_result(output, "Write livekit.yaml"), re.MULTILINE)
    assert re.search(r"^changed: \[", _task_result(output, "stopped before restarting it"), re.MULTILINE)
    assert "RUNNING HANDLER [plugnmeet.deploy.livekit : Restart livekit]" in output
    restarted_pid = _main_pid(host)
    assert restarted_pid != main_pid
    code, output = _converge({"livekit_log_level": "debug"})
    assert code == 0, output[-3000:]
    assert "RUNNING HANDLER [plugnmeet.deploy.livekit : Restart livekit]" not in output
    assert _main_pid(host) == restarted_pid
