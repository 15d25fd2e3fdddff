"""HAProxy is the TLS entry point: it routes to plugnmeet-server, LiveKit and the NATS websocket of the app host.

Everything is checked from the controller over the lab network, with SNI and Host meet.lab.test sent to the load
balancer's address and the certificate verified against the lab CA only. The app host's 8080 and 7880 servers are
test FIXTURES (molecule/haproxy/prepare.yml) that echo what they receive; /ws reaches the real NATS websocket.
"""

import base64
import hashlib
import http.client
import json
import os
import socket
import ssl
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import testinfra

from conftest import (assert_no_secret_in, assert_root_read_only, ephemeral_dir, haproxy_states, lab_address,
                      run_check_diff, unit_properties)

DOMAIN = "meet.lab.test"
LB = "pnm-lb"
APP = "pnm-lb-app"
PEM = f"/etc/haproxy/certs/{DOMAIN}.pem"
CONFIG = "/etc/haproxy/haproxy.cfg"
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _host(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


@pytest.fixture(scope="module")
def lb():
    return _host(LB)


@pytest.fixture(scope="module")
def app():
    return _host(APP)


@pytest.fixture(scope="module")
def lb_address(lb):
    return lab_address(lb)


def _controller_file(name):
    return os.path.join(ephemeral_dir(), name)


@pytest.fixture(scope="module")
def ca_file():
    return _controller_file("plugnmeet-ca.crt")


def _context(ca_file):
    """Trusts the lab CA only (not the controller's system store)."""
    return ssl.create_default_context(cafile=ca_file)


class _Connection(http.client.HTTPSConnection):
    """HTTPS to the load balancer's address with SNI and Host set to the domain (curl --resolve)."""

    def __init__(self, address, context):
        super().__init__(DOMAIN, 443, context=context, timeout=10)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _https(address, ca_file, path, method="GET", headers=None):
    connection = _Connection(address, _context(ca_file))
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _stat(lb, proxy, server):
    return haproxy_states(lb).get((proxy, server))


def _wait_for(predicate, timeout=40):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(1)
    return predicate()


def _playbook(*args):
    """Run the scenario's converge with extra arguments; return (return code, output)."""
    converge = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], converge, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def _key_material():
    """Every body line of the controller's private keys: none may ever be printed."""
    material = {}
    for name in ("plugnmeet-ca.key", f"plugnmeet-tls-{DOMAIN}.key"):
        with open(_controller_file(name)) as handle:
            for number, line in enumerate(handle):
                if line.strip() and not line.startswith("-----"):
                    material[f"{name} line {number}"] = line.strip()
    return material


# --- TLS and routing ----------------------------------------------------------------------------------------------


def test_health_check_over_tls_verified_against_the_lab_ca(lb_address, ca_file):
    status, headers, body = _https(lb_address, ca_file, "/healthCheck")
    assert status == 200
    assert json.loads(body) == {"status": True}
    assert headers["strict-transport-security"] == "max-age=63072000"


def test_certificate_is_for_the_domain_and_from_the_lab_ca(lb_address, ca_file):
    with socket.create_connection((lb_address, 443), timeout=10) as raw:
        with _context(ca_file).wrap_socket(raw, server_hostname=DOMAIN) as sock:
            cert = sock.getpeercert()
            version = sock.version()
    assert ("DNS", DOMAIN) in cert["subjectAltName"]
    assert dict(item[0] for item in cert["issuer"])["commonName"] == "plugnmeet.deploy CA"
    assert version in ("TLSv1.2", "TLSv1.3")
    # A client that does not trust the lab CA refuses the certificate.
    with socket.create_connection((lb_address, 443), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(raw, server_hostname=DOMAIN)


def test_default_route_reaches_plugnmeet_server_with_forwarding_headers(lb_address, ca_file):
    status, _headers, body = _https(
        lb_address, ca_file, "/some/page?x=1", headers={"X-Forwarded-For": "203.0.113.66", "X-Forwarded-Proto": "http"}
    )
    assert status == 200
    echo = json.loads(body)
    assert echo["fixture"] == "plugnmeet"
    assert echo["path"] == "/some/page?x=1"
    assert echo["x_forwarded_proto"] == "https"
    assert echo["x_forwarded_host"] == DOMAIN
    # The client's address, set by HAProxy; a forged X-Forwarded-For from the client is dropped.
    assert len(echo["x_forwarded_for"]) == 1
    assert "203.0.113.66" not in echo["x_forwarded_for"][0]
    assert echo["x_real_ip"] == echo["x_forwarded_for"][0]


@pytest.mark.parametrize("path,expected", [("/livekit/rtc/validate", "/rtc/validate"), ("/livekit", "/"),
                                           ("/livekit/rtc?access_token=t", "/rtc?access_token=t")])
def test_livekit_prefix_is_stripped(lb_address, ca_file, path, expected):
    status, _headers, body = _https(lb_address, ca_file, path)
    assert status == 200
    echo = json.loads(body)
    assert echo["fixture"] == "livekit"
    assert echo["path"] == expected


def test_paths_that_only_start_like_a_route_go_to_plugnmeet_server(lb_address, ca_file):
    assert json.loads(_https(lb_address, ca_file, "/livekitten")[2])["fixture"] == "plugnmeet"
    assert json.loads(_https(lb_address, ca_file, "/wsx")[2])["fixture"] == "plugnmeet"


def _read_exactly(sock, count, buffered=b""):
    data = buffered
    while len(data) < count:
        chunk = sock.recv(65536)
        assert chunk, "connection closed early"
        data += chunk
    return data[:count], data[count:]


def test_nats_websocket_handshake_through_haproxy(lb_address, ca_file):
    """A real websocket upgrade on /ws: HTTP 101 with the right accept key, then NATS's INFO frame."""
    context = _context(ca_file)
    context.set_alpn_protocols(["http/1.1"])
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws HTTP/1.1\r\nHost: {DOMAIN}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://{DOMAIN}\r\n\r\n"
    )
    with socket.create_connection((lb_address, 443), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as sock:
            sock.sendall(request.encode())
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                assert chunk, f"connection closed during the handshake: {data!r}"
                data += chunk
            head, rest = data.split(b"\r\n\r\n", 1)
            lines = head.decode().split("\r\n")
            assert lines[0].startswith("HTTP/1.1 101"), lines[0]
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
            accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
            assert headers["sec-websocket-accept"] == accept
            assert headers["upgrade"].lower() == "websocket"
            # The first frame: the server's INFO (unmasked, text or binary).
            frame, rest = _read_exactly(sock, 2, rest)
            assert frame[0] & 0x0F in (1, 2)
            assert not frame[1] & 0x80
            length = frame[1] & 0x7F
            if length == 126:
                extended, rest = _read_exactly(sock, 2, rest)
                length = int.from_bytes(extended, "big")
            elif length == 127:
                extended, rest = _read_exactly(sock, 8, rest)
                length = int.from_bytes(extended, "big")
            payload, _rest = _read_exactly(sock, length, rest)
    assert payload.startswith(b"INFO {")
    info = json.loads(payload[len(b"INFO "):].strip())
    assert info["server_name"] == APP
    assert info["auth_required"] is True


def _h2_frame(kind, flags, stream, payload=b""):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def _hpack_literal(name, value):
    """HPACK literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2); short strings only."""
    name, value = name.encode(), value.encode()
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def test_nats_websocket_over_http2(lb_address, ca_file):
    """Browsers that negotiate HTTP/2 open websockets with extended CONNECT (RFC 8441): HAProxy must offer it
    (SETTINGS_ENABLE_CONNECT_PROTOCOL), answer 200 and carry NATS's INFO frame in DATA frames."""
    context = _context(ca_file)
    context.set_alpn_protocols(["h2"])
    headers = b"".join(_hpack_literal(name, value) for name, value in [
        (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"), (":path", "/ws"),
        (":authority", DOMAIN), ("sec-websocket-version", "13"), ("origin", f"https://{DOMAIN}")])
    with socket.create_connection((lb_address, 443), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as sock:
            assert sock.selected_alpn_protocol() == "h2"
            sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + _h2_frame(4, 0, 0))
            buffered, settings, status, data = b"", {}, None, b""
            while b"INFO {" not in data or not data.endswith(b"\r\n"):
                header, buffered = _read_exactly(sock, 9, buffered)
                length, kind, flags = int.from_bytes(header[:3], "big"), header[3], header[4]
                stream = int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
                payload, buffered = _read_exactly(sock, length, buffered) if length else (b"", buffered)
                if kind == 4 and not flags & 1:  # the server's SETTINGS: acknowledge, then open the stream
                    settings = {int.from_bytes(payload[i:i + 2], "big"): int.from_bytes(payload[i + 2:i + 6], "big")
                                for i in range(0, len(payload), 6)}
                    assert settings.get(8) == 1, f"no SETTINGS_ENABLE_CONNECT_PROTOCOL: {settings}"
                    sock.sendall(_h2_frame(4, 1, 0) + _h2_frame(1, 4, 1, headers))
                elif kind == 1 and stream == 1:
                    status = payload[0]
                    assert status == 0x88, f"not :status 200 (HPACK {payload[:8].hex()})"
                elif kind == 0 and stream == 1:
                    data += payload
                elif kind in (3, 7):  # RST_STREAM, GOAWAY
                    pytest.fail(f"HTTP/2 frame type {kind}: {payload.hex()}")
    assert status == 0x88
    # A websocket frame from the server (unmasked) carrying the whole INFO line.
    assert data[0] & 0x0F in (1, 2) and not data[1] & 0x80
    assert f'"server_name":"{APP}"'.encode() in data


def _http(address, path):
    connection = http.client.HTTPConnection(address, 80, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": DOMAIN})
        response = connection.getresponse()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def test_http_redirects_to_https(lb_address):
    assert _http(lb_address, "/room/abc?join=1") == (301, f"https://{DOMAIN}/room/abc?join=1")
    # Without acme mode the challenge path redirects too: nothing answers it on port 80.
    assert _http(lb_address, "/.well-known/acme-challenge/x")[0] == 301


@pytest.mark.parametrize("version", ["TLSv1", "TLSv1_1"])
def test_old_tls_versions_are_refused(lb_address, ca_file, version):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(ca_file)
    # Let this client offer the old version at all (OpenSSL 3 disables it at the default security level).
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = getattr(ssl.TLSVersion, version)
    context.maximum_version = getattr(ssl.TLSVersion, version)
    with socket.create_connection((lb_address, 443), timeout=10) as raw:
        with pytest.raises(ssl.SSLError) as refused:
            context.wrap_socket(raw, server_hostname=DOMAIN)
    # The refusal came from the server, not from a client unable to offer the version.
    assert "NO_PROTOCOLS_AVAILABLE" not in str(refused.value)
    assert "PROTOCOL_VERSION" in str(refused.value) or "UNSUPPORTED_PROTOCOL" in str(refused.value), refused.value


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_tls_1_2_and_1_3_are_accepted(lb_address, ca_file, version):
    context = _context(ca_file)
    context.minimum_version = getattr(ssl.TLSVersion, version)
    context.maximum_version = getattr(ssl.TLSVersion, version)
    with socket.create_connection((lb_address, 443), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=DOMAIN) as sock:
            assert sock.version() == version.replace("_", ".")


# --- Health checks and the stats socket ------------------------------------------------------------------------


def test_stats_socket_reports_backends_up(lb):
    assert _wait_for(lambda: _stat(lb, "plugnmeet", "BACKEND") == "UP")
    assert _stat(lb, "plugnmeet", APP) == "UP"
    assert _stat(lb, "livekit", APP) == "UP"
    assert _stat(lb, "nats", APP) == "UP"
    assert lb.file("/run/haproxy-admin.sock").mode == 0o600


def test_backend_goes_down_and_comes_back_with_the_server(lb, app, lb_address, ca_file):
    app.run_expect([0], "systemctl stop pnm-fixture-plugnmeet")
    try:
        assert _wait_for(lambda: _stat(lb, "plugnmeet", "BACKEND") == "DOWN"), "the health check did not notice"
        assert _https(lb_address, ca_file, "/")[0] == 503
    finally:
        app.run_expect([0], "systemctl start pnm-fixture-plugnmeet")
    assert _wait_for(lambda: _stat(lb, "plugnmeet", "BACKEND") == "UP")
    assert _https(lb_address, ca_file, "/")[0] == 200


def test_no_sticky_sessions_and_round_robin(lb):
    config = lb.file(CONFIG).content_string
    backend = config.split("\nbackend plugnmeet\n", 1)[1].split("\nbackend ", 1)[0]
    assert "balance roundrobin" in backend
    assert "cookie" not in backend and "stick" not in backend
    assert "http-check send meth HEAD uri /healthCheck" in backend


def test_monitoring_only_on_loopback(lb, app):
    assert lb.socket("tcp://127.0.0.1:8404").is_listening
    assert not lb.socket("tcp://0.0.0.0:8404").is_listening
    assert lb.run("curl -sf http://127.0.0.1:8404/healthz").rc == 0
    assert app.run(f"curl -s --max-time 3 http://{lab_address(lb)}:8404/healthz").rc != 0


def test_access_log_keeps_tokens_out(lb, lb_address, ca_file):
    """Join links and LiveKit's signal URL carry tokens in the query string, downloads in the path: the log shows the
    request without them (it still shows every request)."""
    marker = f"t{int(time.time() * 1000)}"
    requests = {
        f"/?access_token=QUERY{marker}": "GET / HTTP/1.1",
        f"/livekit/rtc?access_token=SIGNAL{marker}": "GET /livekit/rtc HTTP/1.1",
        f"/download/recording/PATH{marker}": "GET /download/recording/- HTTP/1.1",
        f"/{marker}/healthCheck": f"GET /{marker}/healthCheck HTTP/1.1",
    }
    for path in requests:
        _https(lb_address, ca_file, path)

    def logged():
        return lb.run("journalctl -u haproxy --no-pager -o cat --since '-10min'").stdout

    assert _wait_for(lambda: f"/{marker}/healthCheck" in logged()), "HAProxy logs no requests to the journal"
    log = logged()
    for line in requests.values():
        assert f'"{line}"' in log, line
    for secret in ("QUERY", "SIGNAL", "PATH"):
        assert secret + marker not in log, secret

# --- Files, trust, hardening, firewall ---------------------------------------------------------------------------


def test_controller_private_keys_are_0600():
    for name in ("plugnmeet-ca.key", f"plugnmeet-tls-{DOMAIN}.key"):
        assert stat.S_IMODE(os.stat(_controller_file(name)).st_mode) == 0o600, name


def test_certificate_file_on_the_load_balancer(lb):
    pem = lb.file(PEM)
    assert pem.user == "root"
    assert pem.group == "haproxy"
    assert pem.mode == 0o640
    assert lb.file("/etc/haproxy/certs").mode == 0o750
    config = lb.file(CONFIG)
    assert (config.user, config.group, config.mode) == ("root", "haproxy", 0o640)


def test_load_balancer_trusts_the_lab_ca(lb):
    """The system trust store has the lab CA: curl without --cacert verifies the certificate."""
    assert lb.file("/usr/local/share/ca-certificates/plugnmeet-ca.crt").exists
    lb.run_expect([0], f"curl -sSf -o /dev/null --resolve {DOMAIN}:443:127.0.0.1 https://{DOMAIN}/healthCheck")


def test_systemd_hardening_in_effect(lb):
    props = unit_properties(lb, "haproxy", "NoNewPrivileges", "ProtectSystem", "ProtectHome",
                            "CapabilityBoundingSet", "RestrictNamespaces")
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["ProtectHome"] == "yes"
    assert set(props["CapabilityBoundingSet"].split()) == {
        "cap_net_bind_service", "cap_setuid", "cap_setgid", "cap_sys_chroot", "cap_kill"}
    workers = lb.check_output(f"ps -o user= --ppid {props['MainPID']}").split()
    assert workers and set(workers) == {"haproxy"}
    assert_root_read_only(lb, props["MainPID"])


def test_firewall_opens_http_and_https_to_everyone(lb, app):
    rules = lb.check_output("cat /etc/plugnmeet/firewall.d/haproxy.nft")
    assert "tcp dport { 80, 443 } accept" in rules
    assert "policy drop" in lb.check_output("nft list table inet plugnmeet")
    address = lab_address(lb)
    for port in (80, 443):
        assert app.run(f"timeout 3 bash -c '</dev/tcp/{address}/{port}'").rc == 0


# --- Runs of the role: reload, other TLS modes, preflight, check mode ------------------------------------------


def test_config_change_reloads_and_provided_mode_installs_the_same_certificate(lb, lb_address, ca_file):
    """A changed haproxy.cfg reloads HAProxy (the master keeps its PID). Provided mode with the lab's own files yields
    the very same PEM (nothing to change for it). The next run puts the scenario's settings back."""
    master = lb.check_output("systemctl show -p MainPID --value haproxy")
    code, output = _playbook(
        "--limit", LB, "--tags", "haproxy",
        "-e", "haproxy_tls_mode=provided",
        "-e", f"haproxy_tls_certificate_file={_controller_file(f'plugnmeet-tls-{DOMAIN}.crt')}",
        "-e", f"haproxy_tls_key_file={_controller_file(f'plugnmeet-tls-{DOMAIN}.key')}",
        "-e", "haproxy_hsts_max_age=600",
    )
    assert code == 0, output[-3000:]
    assert "RUNNING HANDLER [plugnmeet.deploy.haproxy : Reload haproxy]" in output
    assert "RUNNING HANDLER [plugnmeet.deploy.haproxy : Restart haproxy]" not in output
    provided_task = output.split("Install the provided certificate and key", 1)[1].split("TASK [", 1)[0]
    assert "ok: [pnm-lb]" in provided_task, provided_task
    assert_no_secret_in(output, _key_material())
    assert lb.check_output("systemctl show -p MainPID --value haproxy") == master
    assert _https(lb_address, ca_file, "/healthCheck")[1]["strict-transport-security"] == "max-age=600"

    code, output = _playbook("--limit", LB, "--tags", "haproxy")
    assert code == 0, output[-3000:]
    assert lb.check_output("systemctl show -p MainPID --value haproxy") == master
    assert _https(lb_address, ca_file, "/healthCheck")[1]["strict-transport-security"] == "max-age=63072000"


PREFLIGHT_CASES = {
    "no domain": (["-e", "plugnmeet_domain="], "Set plugnmeet_domain"),
    "bad mode": (["-e", "haproxy_tls_mode=letsencrypt"], "haproxy_tls_mode"),
    "acme without email": (["-e", "haproxy_tls_mode=acme"], "needs plugnmeet_acme_email"),
    "provided without files": (
        ["-e", "haproxy_tls_mode=provided", "-e", "haproxy_tls_certificate_file=/nonexistent/cert.pem"],
        "haproxy_tls_mode provided needs haproxy_tls_certificate_file",
    ),
    "provided key of another certificate": (
        ["-e", "haproxy_tls_mode=provided",
         "-e", f"haproxy_tls_certificate_file={_controller_file(f'plugnmeet-tls-{DOMAIN}.crt')}",
         "-e", f"haproxy_tls_key_file={_controller_file('plugnmeet-ca.key')}"],
        "must be a valid certificate for meet.lab.test",
    ),
}


def test_preflight_says_what_to_change():
    """Each wrong setting stops the run in preflight with a message that names the variable to set."""
    def run(args):
        return _playbook("--limit", LB, "--tags", "haproxy-preflight", *args)

    with ThreadPoolExecutor(max_workers=len(PREFLIGHT_CASES)) as pool:
        results = dict(zip(PREFLIGHT_CASES, pool.map(run, [args for args, _m in PREFLIGHT_CASES.values()])))
    for case, (code, output) in results.items():
        message = PREFLIGHT_CASES[case][1]
        assert code != 0, f"{case}: the run did not fail"
        assert message in " ".join(output.split()), f"{case}: {output[-2000:]}"
        assert_no_secret_in(output, _key_material())


def test_preflight_without_a_plugnmeet_server(tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "all:\n"
        "  vars:\n"
        f"    plugnmeet_secrets_file: {_controller_file('plugnmeet-secrets.yml')}\n"
        "  children:\n"
        "    loadbalancers:\n"
        f"      hosts:\n        {LB}:\n          ansible_connection: community.docker.docker\n"
    )
    converge = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), converge, "--tags", "haproxy-preflight"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode != 0
    output = " ".join((proc.stdout + proc.stderr).split())
    assert "put the plugnmeet-server hosts in the inventory group plugnmeet_servers" in output, output[-2000:]


def test_check_diff_shows_the_config_but_never_key_material(lb):
    """--check --diff with haproxy.cfg and the PEM moved aside: the config is shown, no key line ever is."""
    before = lb.file(PEM).sha256sum
    code, output = run_check_diff([CONFIG, PEM])
    assert code == 0, output[-3000:]
    assert "frontend https" in output  # the config's content really was shown
    assert "PRIVATE KEY" not in output
    assert_no_secret_in(output, _key_material())
    assert lb.file(PEM).sha256sum == before


def test_acme_mode_renders_in_check_mode(lb):
    """acme cannot reach Let's Encrypt from the lab: its configuration is shown by a check run instead."""
    code, output = _playbook("--limit", LB, "--tags", "haproxy", "--check", "--diff",
                             "-e", "haproxy_tls_mode=acme", "-e", "plugnmeet_acme_email=ops@lab.test")
    assert code == 0, output[-3000:]
    flat = " ".join(output.split())
    assert "+ acl acme_challenge path_beg /.well-known/acme-challenge/" in flat
    assert "+ http-request redirect scheme https code 301 unless acme_challenge" in flat
    assert "+ server certbot 127.0.0.1:9080" in flat
    assert 'RENEWED_LINEAGE:-$live' in flat  # the deploy hook's content
    assert "Would ask https://acme-v02.api.letsencrypt.org/directory for a certificate for meet.lab.test" in flat
    assert "PRIVATE KEY" not in output
    # Nothing changed: the lab still serves the selfsigned setup.
    assert "acme" not in lb.file(CONFIG).content_string
    assert not lb.exists("certbot")
