"""Phase 1 across hosts: recorders split off, registered with their sized max_limit, the old one retired, recordings
shared, and the firewall allowing recorders NATS and HTTPS only.

plugnmeet-server is the test STAND-IN (molecule/standin/), which speaks the NATS auth callout and creates the
recorders' KV bucket like the real server."""

import socket
import ssl
import time
import uuid

import pytest
from conftest import haproxy_states, lab_address

MAIN = "pnm-p1-main"
RECORDERS = ["pnm-p1-rec1", "pnm-p1-rec2"]
DOMAIN = "meet.lab.test"
RECORDINGS = "/var/lib/plugnmeet/recording_files"


@pytest.fixture(autouse=True)
def once(host):
    # Cross-host checks: run them once (testinfra runs every test per host).
    if host.backend.get_hostname() != MAIN:
        pytest.skip("cross-host test, run from the main host's pass")


@pytest.fixture(scope="module")
def main_address(lab):
    return lab_address(lab[MAIN])


def _registry(lab, secrets, ids):
    main = lab[MAIN]
    url = f"nats://{lab_address(main)}:4222"
    return main.ansible("plugnmeet.deploy.recorder_registry",
                        f"nats_url={url} user_seed={secrets['nats_server_user_seed']} "
                        f"recorder_ids={','.join(ids)} wait_for={','.join(ids)} timeout=60",
                        check=False)


def test_recorders_registered_with_the_sized_max_limit(lab, secrets):
    result = _registry(lab, secrets, RECORDERS)
    for name in RECORDERS:
        entry = result["recorders"][name]
        assert entry["alive"], f"{name} is not alive in pnm-recorderInfo: {entry}"
        sized = lab[name].ansible("plugnmeet.deploy.recorder_capacity", "", check=False)
        assert entry["max_limit"] == sized["max_limit"], (name, entry, sized["reason"])
        config = lab[name].file("/etc/plugnmeet-recorder/config.yaml").content_string
        assert f"max_limit: {sized['max_limit']}" in config


def test_all_in_one_recorder_was_retired(lab, secrets):
    main = lab[MAIN]
    assert not main.service("plugnmeet-recorder").is_running
    assert not main.file("/etc/systemd/system/plugnmeet-recorder.service").exists
    assert not main.file("/usr/local/bin/plugnmeet-recorder").exists
    result = _registry(lab, secrets, RECORDERS)
    assert "all-in-one" not in result["alive"]


def test_a_recording_written_on_a_recorder_is_visible_to_the_server(lab):
    name = f"phase1-{uuid.uuid4().hex}.mp4"
    rec = lab[RECORDERS[0]]
    rec.run_expect([0], f"runuser -u recorder -- sh -c 'mkdir -p {RECORDINGS}/{RECORDERS[0]} && "
                        f"echo recorded > {RECORDINGS}/{RECORDERS[0]}/{name}'")
    seen = lab[MAIN].file(f"{RECORDINGS}/{RECORDERS[0]}/{name}")
    assert seen.exists and seen.content_string.strip() == "recorded"
    assert seen.user == "plugnmeet"
    lab[MAIN].run_expect([0], f"runuser -u plugnmeet -- rm {RECORDINGS}/{RECORDERS[0]}/{name}")


def test_recorders_reach_https_and_nats(lab, main_address):
    for name in RECORDERS:
        rec = lab[name]
        out = rec.check_output(f"curl -sk -o /dev/null -w '%{{http_code}}' https://{DOMAIN}/healthCheck")
        assert out == "200", name
        rec.run_expect([0], f"timeout 5 bash -c 'exec 3<>/dev/tcp/{main_address}/4222'")


@pytest.mark.parametrize("port,what", [(3306, "MariaDB"), (6379, "Redis"), (7880, "LiveKit API"),
                                       (8080, "plugnmeet-server")])
def test_recorders_cannot_reach_the_main_hosts_internal_services(lab, main_address, port, what):
    rec = lab[RECORDERS[1]]
    result = rec.run(f"timeout 5 bash -c 'exec 3<>/dev/tcp/{main_address}/{port}'")
    assert result.rc != 0, f"a recorder reaches {what} on {port}"


@pytest.mark.parametrize("port", [4222, 3306, 6379])
def test_a_host_outside_every_group_cannot_reach_nats_mariadb_or_redis(main_address, port):
    # This controller is on the lab network but in no inventory group.
    with pytest.raises(OSError):
        socket.create_connection((main_address, port), timeout=3).close()


def test_haproxy_reports_every_backend_up(lab):
    def states():
        return {key: status for key, status in haproxy_states(lab[MAIN]).items() if key[1] == MAIN}

    deadline = time.time() + 60
    while states() != {("plugnmeet", MAIN): "UP", ("livekit", MAIN): "UP", ("nats", MAIN): "UP"}:
        assert time.time() < deadline, states()
        time.sleep(2)


def test_https_answers_from_outside_with_the_lab_certificate(main_address):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    deadline = time.time() + 30
    while True:
        try:
            with socket.create_connection((main_address, 443), timeout=5) as raw:
                with context.wrap_socket(raw, server_hostname=DOMAIN) as sock:
                    sock.sendall(f"GET /healthCheck HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n".encode())
                    assert sock.recv(64).startswith(b"HTTP/1.1 200")
                    return
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(2)
