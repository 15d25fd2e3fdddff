"""The plugnmeet_server role runs the real plugnmeet-server (v2.4.0, built from upstream's source) in a container
loaded from an image archive, and the rest of plugNmeet can use it.

Everything is checked from the controller with the real protocols: HTTP for /healthCheck, the web client and the
recorder's notify API, NATS (nats-py) for JetStream and the auth callout, with tokens made the way plugNmeet makes
them (pyjwt). The binary method and whole meetings are proven by the journey scenario.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import time

import jwt
import nats
import pytest
import requests
import yaml
from nats.errors import Error as NatsError
from conftest import assert_no_secret_in, instances, lab_address, nats_tls_context, run_check_diff

CONFIG = "/etc/plugnmeet/config.yaml"
UNIT = "/etc/systemd/system/plugnmeet-server.service"


def _run(coro):
    return asyncio.new_event_loop().run_until_complete(coro)


def _url(host, path):
    return f"http://{lab_address(host)}:8080{path}"


def _token(secrets, secret=None, **claims):
    """A plugNmeet access token: HS256 with the API secret, issuer = API key, subject = user id."""
    now = int(time.time())
    body = {
        "iss": secrets["plugnmeet_api_key"],
        "sub": "rec-molecule",
        "nbf": now,
        "exp": now + 300,
        "name": "PLUGNMEET_RECORDER_AUTH",
        "user_id": "rec-molecule",
    }
    body.update(claims)
    return jwt.encode(body, secret or secrets["plugnmeet_api_secret"], algorithm="HS256")


async def _connect(host, **options):
    return await nats.connect(
        servers=[f"nats://{lab_address(host)}:4222"],
        tls=nats_tls_context(),
        allow_reconnect=False,
        max_reconnect_attempts=0,
        connect_timeout=10,
        **options,
    )


async def _refused(host, **options):
    """True when the server refuses the connection (authorization violation)."""
    try:
        nc = await _connect(host, **options)
    except NatsError as exc:
        return "authorization" in str(exc).lower()
    try:
        await nc.flush(timeout=5)
        return False
    except NatsError:
        return True
    finally:
        await nc.close()


def _enum(value):
    """nats-py gives some config fields as enums, some as their string values."""
    return getattr(value, "value", value)


def _docker_inspect(host, template, name="plugnmeet-server", kind="container"):
    return host.check_output(f"docker {kind} inspect -f '{template}' {name}")


def test_service_runs_the_real_server_from_the_loaded_image(host):
    service = host.service("plugnmeet-server")
    assert service.is_enabled
    assert service.is_running
    assert _docker_inspect(host, "{{.Config.Image}}") == "pnm-lab/plugnmeet-server:v2.4.0"
    assert host.check_output("docker exec plugnmeet-server /usr/bin/plugnmeet-server -version") == "2.4.0"
    # The archive (a `docker save` tarball) was copied to the host and loaded; no registry was asked.
    archive = host.check_output("ls /var/lib/plugnmeet-images")
    assert archive.startswith("plugnmeet-server-image-") and archive.endswith(".tar")
    assert host.file(f"/var/lib/plugnmeet-images/{archive}").mode == 0o600
    # It runs as the plugnmeet user, not as the image's root.
    plugnmeet = host.user("plugnmeet")
    assert _docker_inspect(host, "{{.Config.User}}") == f"{plugnmeet.uid}:{plugnmeet.gid}"
    pid = _docker_inspect(host, "{{.State.Pid}}")
    assert host.check_output(f"ps -o user= -p {pid}") == "plugnmeet"
    assert plugnmeet.shell == "/usr/sbin/nologin"


def test_container_confinement(host):
    assert _docker_inspect(host, "{{json .HostConfig.CapDrop}}") == '["ALL"]'
    assert "no-new-privileges" in _docker_inspect(host, "{{json .HostConfig.SecurityOpt}}")
    assert _docker_inspect(host, "{{.HostConfig.NetworkMode}}") == "host"
    assert _docker_inspect(host, "{{.HostConfig.ReadonlyRootfs}}") == "true"
    mounts = {m["Destination"]: m for m in json.loads(_docker_inspect(host, "{{json .Mounts}}"))}
    # Read-only: its configuration, the web client, and the host's CA bundle (the deployment's own CA with
    # selfsigned TLS, for its calls to LiveKit through the public name).
    for path in ("/app/config.yaml", "/opt/plugnmeet/web", "/etc/ssl/certs/ca-certificates.crt"):
        assert not mounts[path]["RW"], path
    for path in ("/var/lib/plugnmeet", "/var/lib/plugnmeet/recording_files", "/var/log/plugnmeet"):
        assert mounts[path]["RW"], path
    # It wrote what the real server writes at startup, as its own user.
    for path in ("/var/lib/plugnmeet/recording_files/del_backup", "/var/lib/plugnmeet/artifacts/trash"):
        assert host.file(path).is_directory
    assert host.file("/var/log/plugnmeet/plugNmeet.log").user == "plugnmeet"


def test_health_check_answers_get_and_head(host):
    response = requests.get(_url(host, "/healthCheck"), timeout=5)
    assert response.status_code == 200, response.text
    assert response.text == "Healthy"
    assert requests.head(_url(host, "/healthCheck"), timeout=5).status_code == 200


def test_health_check_reports_a_missing_dependency(host):
    """With Redis stopped the health check is 503 with the reason; it recovers when Redis is back."""
    host.check_output("systemctl stop redis-server")
    try:
        response = requests.get(_url(host, "/healthCheck"), timeout=10)
        assert response.status_code == 503
        assert response.text == "Redis connection error"
    finally:
        host.check_output("systemctl start redis-server")
    for _attempt in range(20):
        if requests.get(_url(host, "/healthCheck"), timeout=5).status_code == 200:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the health check did not recover after Redis came back")


def test_web_client_is_served_with_upstreams_defaults(host):
    page = requests.get(_url(host, "/?access_token=x"), timeout=5)
    assert page.status_code == 200
    assert '<div id="plugNmeet-app"></div>' in page.text
    config = requests.get(_url(host, "/assets/config.js"), timeout=5).text
    # The release's config_sample.js with only serverUrl replaced, as upstream's client downloader does.
    assert "serverUrl: 'https://pnm-main.lab.test'," in config
    assert "enableSimulcast: true," in config and "enableDynacast: true," in config
    sample = host.file("/opt/plugnmeet/web/2.4.0/client/dist/assets/config_sample.js").content_string
    assert config == sample.replace("serverUrl: 'http://localhost:8080',", "serverUrl: 'https://pnm-main.lab.test',")


def test_config_holds_every_section_and_the_deployment_secrets(host, secrets):
    config_file = host.file(CONFIG)
    assert config_file.user == "root"
    assert config_file.group == "plugnmeet"
    assert config_file.mode == 0o640
    config = yaml.safe_load(config_file.content_string)
    for section in (
        "client", "room_default_settings", "log_settings", "livekit_info", "redis_info", "database_info",
        "nats_info", "upload_file_settings", "recorder_info", "shared_notepad", "artifacts_settings",
    ):
        assert section in config, section
    address = lab_address(host)
    assert config["client"]["port"] == 8080
    assert config["client"]["api_key"] == secrets["plugnmeet_api_key"]
    assert config["client"]["secret"] == secrets["plugnmeet_api_secret"]
    assert config["client"]["proxy_conf"]["enabled"] is True
    assert config["livekit_info"] == {
        "host": "https://pnm-main.lab.test/livekit",
        "api_key": secrets["livekit_api_key"],
        "secret": secrets["livekit_api_secret"],
    }
    assert config["redis_info"]["host"] == f"{address}:6379"
    assert config["redis_info"]["password"] == secrets["redis_password"]
    assert config["redis_info"]["use_tls"] is True  # the redis role's default, followed
    database = config["database_info"]
    assert (database["driver_name"], database["host"], database["port"]) == ("mysql", address, 3306)
    assert (database["username"], database["db"], database["prefix"]) == ("plugnmeet", "plugnmeet", "pnm_")
    assert database["password"] == secrets["mariadb_password"]
    natsinfo = config["nats_info"]
    assert natsinfo["nats_urls"] == [f"nats://{address}:4222"]
    assert natsinfo["nats_ws_urls"] == ["wss://pnm-main.lab.test/ws"]
    assert natsinfo["account"] == "PNM"
    assert natsinfo["nkey"] == secrets["nats_server_user_seed"]
    assert natsinfo["auth_callout_issuer_private"] == secrets["nats_auth_callout_issuer_seed"]
    assert natsinfo["auth_callout_xkey_private"] == secrets["nats_auth_callout_xkey_seed"]
    assert natsinfo["num_replicas"] == 1
    assert natsinfo["recorder"] == {
        "recorder_channel": "recorderChannel",
        "recorder_info_kv": "pnm-recorderInfo",
        "transcoding_jobs_subject": "pnm-RecorderTranscoderJobs",
    }
    assert config["recorder_info"]["recording_files_path"] == "/var/lib/plugnmeet/recording_files"
    assert config["shared_notepad"]["enabled"] is False


def test_jetstream_objects_exist_as_the_recorder_expects(host, secrets):
    async def scenario():
        nc = await _connect(host, nkeys_seed_str=secrets["nats_server_user_seed"])
        try:
            js = nc.jetstream()
            kv = await js.stream_info("KV_pnm-recorderInfo")
            jobs = await js.stream_info("pnm-RecorderTranscoderJobs")
            consumer = await js.consumer_info("pnm-RecorderTranscoderJobs", "transcoderWorker")
            room = await js.stream_info("pnm-room-stream")
            return kv.config, jobs.config, consumer.config, room.config
        finally:
            await nc.close()

    kv, jobs, consumer, room = _run(scenario())
    assert kv.num_replicas == 1
    assert _enum(jobs.retention) == "workqueue"
    assert jobs.subjects == ["pnm-RecorderTranscoderJobs"]
    assert jobs.num_replicas == 1
    assert consumer.durable_name == "transcoderWorker"
    assert _enum(consumer.ack_policy) == "explicit"
    assert consumer.ack_wait == 600
    assert consumer.max_deliver == 3
    assert _enum(room.retention) == "interest"


def test_recorder_token_is_authorized_through_the_auth_callout(host, secrets):
    """A recorder logs in with a plugNmeet JWT as its NATS token; the callout gives it exactly its permissions."""
    errors = []

    async def on_error(exc):
        errors.append(str(exc))

    async def scenario():
        nc = await _connect(host, token=_token(secrets), error_cb=on_error)
        try:
            kv = await nc.jetstream().key_value("pnm-recorderInfo")
            await kv.put("recorder_rec-molecule-FIELD_0", b"4")
            entry = await kv.get("recorder_rec-molecule-FIELD_0")
            await kv.delete("recorder_rec-molecule-FIELD_0")
            await nc.publish("unrelated.subject", b"x")
            await nc.flush(timeout=5)
            await asyncio.sleep(0.5)
            return entry.value, nc.is_connected
        finally:
            await nc.close()

    value, still_connected = _run(scenario())
    assert value == b"4"
    assert still_connected
    assert any("permissions violation" in e.lower() and "unrelated.subject" in e for e in errors), errors


def test_bad_tokens_are_refused(host, secrets):
    assert _run(_refused(host, token=_token(secrets, secret="not-the-api-secret-but-as-long-as-one")))
    assert _run(_refused(host, token=_token(secrets, iss="another-api-key")))
    assert _run(_refused(host, token=_token(secrets, exp=int(time.time()) - 600)))
    assert _run(_refused(host))


def test_recorder_notify_checks_the_signature(host, secrets):
    # A RecorderToPlugNmeet message from someone other than a recorder: accepted and ignored once signed.
    body = b"\x0a\x08molecule"
    signature = hmac.new(secrets["plugnmeet_api_secret"].encode(), body, hashlib.sha256).hexdigest()
    headers = {"API-KEY": secrets["plugnmeet_api_key"], "Content-Type": "application/protobuf"}
    url = _url(host, "/auth/recorder/notify")
    good = requests.post(url, data=body, headers={**headers, "HASH-SIGNATURE": signature}, timeout=5)
    assert good.status_code == 200
    bad = hmac.new(b"wrong-secret", body, hashlib.sha256).hexdigest()
    assert requests.post(url, data=body, headers={**headers, "HASH-SIGNATURE": bad}, timeout=5).status_code == 401
    assert requests.post(url, data=body + b"x", headers={**headers, "HASH-SIGNATURE": signature},
                         timeout=5).status_code == 401
    assert requests.post(url, data=body, headers={"HASH-SIGNATURE": signature}, timeout=5).status_code == 401


def test_livekit_webhook_is_verified(host, secrets):
    body = json.dumps({"event": "room_started", "room": {"name": "room1"}}).encode()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    token = jwt.encode(
        {"iss": secrets["livekit_api_key"], "exp": int(time.time()) + 60, "sha256": digest},
        secrets["livekit_api_secret"],
        algorithm="HS256",
    )
    url = _url(host, "/webhook")
    assert requests.post(url, data=body, headers={"Authorization": token}, timeout=5).status_code == 200
    assert requests.post(url, data=body + b" ", headers={"Authorization": token}, timeout=5).status_code == 403
    assert requests.post(url, data=body, timeout=5).status_code == 403


def test_check_diff_shows_changes_but_never_a_secret(host, secrets):
    """--check --diff on a host missing config.yaml and the unit: no secret appears, nothing changes."""
    if host.backend.get_hostname() != instances()[0]:
        pytest.skip("runs once for the scenario")
    before = host.file(CONFIG).sha256sum
    code, output = run_check_diff([CONFIG, UNIT])
    assert code == 0, output[-3000:]
    assert "ExecStart=/usr/bin/docker run" in output and "pnm-lab/plugnmeet-server:v2.4.0" in output
    assert "Write config.yaml" in output
    assert_no_secret_in(output, secrets)
    assert host.file(CONFIG).sha256sum == before
