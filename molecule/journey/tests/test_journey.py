"""One deployment grown as operators grow it: all-in-one -> phase 1 -> phase 2 -> phase 3, on the same lab hosts.

Every stage runs the collection's playbook as a user runs it (ansible-playbook phaseN-*.yml -i <inventory>), with
the stage's inventory from ../inventory/, and is then checked: the deployment records a real meeting
(tools/lab/meeting.py: the real web client in a participant's browser, the real server, a recorder host, the file on
the shared storage). Phase 3, which runs every role on every host, then runs again and changes nothing, beside a
`--check --diff` that reports no change and prints no secret.
The tests run in order and stop at the first failure (verifier option -x); each writes its playbook output to
journey-<step>.log in the scenario's ephemeral directory, and the stage times to journey-times.json.
"""

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
import yaml
from playwright.sync_api import Error as PlaywrightError
from conftest import EXPOSURE_COMMAND, assert_no_secret_in, exposure_in

PROJECT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
SCENARIO = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
sys.path.insert(0, os.path.join(PROJECT, "tools", "lab"))
import meeting  # noqa: E402  (test tooling shared with `make lab`)
from play_recap import play_recap  # noqa: E402  (shared with benchmarks/)

MAIN, REC1, REC2, APP2, NATS3 = "pnm-j-main", "pnm-j-rec1", "pnm-j-rec2", "pnm-j-app2", "pnm-j-nats3"
PHASE3_HOSTS = (MAIN, APP2, NATS3, REC1, REC2)
DOMAIN = "meet.lab.test"
SECRETS = os.path.join(EPHEMERAL, "plugnmeet-secrets.yml")
WIDTH, HEIGHT = 960, 540  # inventory/group_vars/all.yml
# The retire play's task that waits while the old recorder records or transcodes.
RETIRE_WAIT = "Wait for the recordings in progress on the old recorder to end"
RETIRE_STOP = "TASK [Stop and disable the old recorder]"
TIMES = {}
ROOMS = {}  # stage -> room id of the meeting recorded there


class Play:
    """ansible-playbook on a stage's inventory, from the checkout's root as a user runs it; output kept in a log."""

    def __init__(self, step, stage, playbook, *args):
        self.step = step
        self.lines = []
        self.log = open(os.path.join(EPHEMERAL, f"journey-{step}.log"), "w")
        # The journey's own fact cache: a user's (~/.cache/plugnmeet-deploy/facts) may hold facts of an earlier
        # journey's hosts of the same names.
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(PROJECT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_CACHE_PLUGIN_CONNECTION=os.path.join(EPHEMERAL, "facts"))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            ["ansible-playbook", "-i", os.path.join(SCENARIO, "inventory", f"{stage}.yml"), playbook, *args],
            cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            self.log.write(line)
            self.log.flush()

    @property
    def output(self):
        return "".join(self.lines)

    def running(self):
        return self.proc.poll() is None

    def wait(self, timeout=3600, succeeds=True):
        rc = self.proc.wait(timeout=timeout)
        self.reader.join()
        self.log.close()
        TIMES[self.step] = round(time.monotonic() - self.started)
        with open(os.path.join(EPHEMERAL, "journey-times.json"), "w") as handle:
            json.dump(TIMES, handle, indent=2)
        assert (rc == 0) == succeeds, f"{self.step}: rc={rc}:\n{self.output[-6000:]}"
        return self

    def hosts_done(self, task, results=("ok: [", "changed: [")):
        """Hosts with a result line (ok or changed, delegated or not) under the tasks whose title has `task`."""
        hosts, inside = set(), False
        for line in self.lines:
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                inside = task in line
            elif inside and line.startswith(results):
                hosts.add(line.split("[", 1)[1].split("]", 1)[0].split(" -> ")[0])
        return hosts

    def recap(self):
        return play_recap(self.lines)


def play(step, stage, playbook, *args):
    return Play(step, stage, playbook, *args).wait()


def secrets():
    with open(SECRETS) as handle:
        return yaml.safe_load(handle)


def deployment(recorders):
    return meeting.Deployment(DOMAIN, secrets(), os.path.join(EPHEMERAL, "plugnmeet-ca.crt"), MAIN, recorders)


def assert_changes_nothing(step, stage, playbook):
    """A second run changes nothing; --check --diff reports no change either and never prints a secret.
    (Both at once: neither changes anything, so neither can disturb the other, and the journey is shorter.)"""
    again = Play(f"{step}-again", stage, playbook)
    check = Play(f"{step}-check", stage, playbook, "--check", "--diff")
    again.wait()
    changed = {host: counts["changed"] for host, counts in again.recap().items() if counts["changed"]}
    assert not changed, f"a second run changed something: {changed}"
    check.wait()
    changed = {host: counts["changed"] for host, counts in check.recap().items() if counts["changed"]}
    assert not changed, f"--check --diff reports changes: {changed}"
    assert_no_secret_in(check.output, secrets())


def haproxy(command):
    """A command on HAProxy's admin socket (on the main host)."""
    script = ("import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect('/run/haproxy-admin.sock'); "
              "s.sendall(sys.argv[1].encode()+b'\\n'); print(s.recv(65536).decode())")
    return meeting.docker_exec(MAIN, f"python3 -c \"{script}\" '{command}'")


def streams(host):
    """JetStream streams as NATS reports them on the host's monitoring port (loopback)."""
    jsz = json.loads(meeting.docker_exec(host, "curl -sf 'http://127.0.0.1:8223/jsz?streams=true&config=true'"))
    return {stream["name"]: stream for account in jsz.get("account_details", [])
            for stream in account.get("stream_detail", [])}


def listed_rooms(dep):
    return {room: [r["file_path"] for r in dep.recordings(room)] for room in ROOMS.values()}


def record_and_check(dep, stage, recorders, **hooks):
    figures = meeting.record_meeting(dep, seconds=35, **hooks)
    ROOMS[stage] = figures["room_id"]
    print("\n".join(meeting.summary(figures)))
    assert figures["recorder"] in recorders, figures
    failures = meeting.check(figures, WIDTH, HEIGHT)
    assert not failures, failures
    return figures


def test_all_in_one():
    """The starting point: one host with everything, and a recorder as upstream's installer leaves it."""
    play("0-all-in-one", "all-in-one", os.path.join(SCENARIO, "all-in-one.yml"))


def test_phase1_with_a_mistake_is_refused_before_any_host_changes():
    """A mistake the last role's checks catch (a reserved database name) stops phase 1 in preflight: no
    configuration, program or unit on any host changed after the run started (the running services' own data and
    logs do change: NATS's heartbeats, the recorder's log)."""
    hosts = (MAIN, REC1, REC2)
    for host in hosts:
        meeting.docker_exec(host, "touch /run/pnm-preflight-marker")
    refused = Play("1-phase1-refused", "phase1", "phase1-split-recorder.yml", "-e", "mariadb_database=test")
    assert refused.proc.wait(timeout=900) != 0
    refused.reader.join()
    assert "mariadb_database is test, a database MariaDB keeps for itself" in " ".join(refused.output.split())
    assert all(counts["changed"] == 0 for counts in refused.recap().values()), refused.recap()
    for host in hosts:
        changed = meeting.docker_exec(host, "find /etc /opt /usr /srv -xdev -newer /run/pnm-preflight-marker"
                                            " -not -path '*/logs/*' -print")
        assert not changed.strip(), f"{host} changed: {changed}"


def test_phase1_while_the_all_in_one_records():
    """Phase 1 runs while the all-in-one host records a meeting: the old recorder is retired only after that
    recording ended and was transcoded, and its file is intact on the shared storage.

    The recording starts while the play configures the main host's services (before the new recorders exist, so
    the old recorder takes it) and goes on until the play waits to retire the old recorder."""
    dep = deployment([MAIN])
    room = f"journey-aio-{uuid.uuid4().hex[:8]}"
    dep.create_room(room)
    phase1 = Play("1-phase1", "phase1", "phase1-split-recorder.yml")
    with meeting.participant(dep) as page:
        meeting.wait_until(lambda: "PLAY [HAProxy, the public entry point]" in phase1.output or not phase1.running(),
                           1800, "phase 1 at the main host's services")
        meeting.join(page, dep.join_url(room))
        started = meeting.start_cloud_recording(page)
        assert meeting.busy_recorder(dep, user="root") == MAIN
        # Record on until the play waits for the old recorder, and at least 30 s.
        meeting.wait_until(lambda: RETIRE_WAIT in phase1.output or not phase1.running(), 1800, "phase 1 at the retire")
        assert phase1.running(), phase1.output[-4000:]
        time.sleep(max(0.0, 30 - (time.monotonic() - started)))
        assert meeting.busy_recorder(dep, user="root") == MAIN, "the all-in-one recording ended too early"
        output_while_recording = phase1.output
        stopped = meeting.stop_cloud_recording(page)
    phase1.wait()
    ROOMS["all-in-one"] = room
    output = phase1.output
    # The play waited while the recording ran and stopped the old recorder only after it ended. (Which wait task
    # held it depends on timing: the pgrep of ffmpeg, or the registry's busy flag while Chromium starts.)
    assert RETIRE_STOP not in output_while_recording, "the old recorder was stopped while it recorded"
    assert output.index(RETIRE_WAIT) < output.index(RETIRE_STOP)
    listed = meeting.wait_until(lambda: dep.recordings(room), 300, f"the all-in-one recording of {room} listed")
    path = f"{dep.recordings_path}/{listed[0]['file_path']}"
    figures = meeting.probe(MAIN, path)
    print(f"all-in-one recording: {figures} (recorded {stopped - started:.0f} s on one CPU)")
    assert (figures["width"], figures["height"]) == (WIDTH, HEIGHT)
    assert figures["audio_codec"]
    assert figures["decode_errors"] == 0, "the file does not decode cleanly"
    assert figures["duration_s"] > 0.5 * (stopped - started), figures
    # The report compares the two new recorders, registered and alive, with the expected peak (group_vars/all.yml).
    report = output[output.index("TASK [Show whether the registered recorders sustain the expected peak]"):]
    assert re.match(r'[^\n]*\n[^\n]*\nok: \[localhost\] => \{\n *"msg": "2 recorder hosts sustain \d+ with 4 '
                    r'webcams; the expected peak is 1 with 4 webcams \(\d+ % of what they sustain\)"', report), report[:800]
    # The old recorder is gone from the main host (its recordings stay).
    for path in ("/etc/systemd/system/plugnmeet-recorder.service", "/opt/plugNmeet/recorder/plugnmeet-recorder"):
        assert meeting.docker("exec", MAIN, "test", "-e", path, check=False).returncode != 0, path


def test_phase1_records_a_meeting_on_a_new_recorder():
    record_and_check(deployment([REC1, REC2]), "phase1", [REC1, REC2])


def _service_starts(names, host=MAIN):
    out = meeting.docker_exec(host, "systemctl show -p Id -p ActiveEnterTimestampMonotonic " + " ".join(names))
    starts, current = {}, None
    for line in out.splitlines():
        if line.startswith("Id="):
            current = line[3:]
        elif line.startswith("ActiveEnterTimestampMonotonic=") and current:
            starts[current] = int(line.split("=", 1)[1])
    return starts


def restarted_one_at_a_time(before, after):
    """The (host, unit) pairs whose start changed between two readings ({host: _service_starts(...)}), in the order
    they started. Each must have started more than 1 s after the previous one (the hosts share the machine's
    monotonic clock): one at a time, each after the previous was up and its health wait had passed."""
    restarts = sorted((after[host][unit], host, unit) for host in after for unit in after[host]
                      if after[host][unit] != before[host][unit])
    gaps = [b[0] - a[0] for a, b in zip(restarts, restarts[1:])]
    assert all(gap > 1_000_000 for gap in gaps), (restarts, gaps)
    return [entry[1:] for entry in restarts]


class Probe(threading.Thread):
    """Requests through HAProxy (a new TLS connection each) until stopped; counts the ones that failed."""

    def __init__(self, dep, path="/"):
        super().__init__(daemon=True)
        self.dep, self.path = dep, path
        self.sent, self.failed, self.errors = 0, 0, []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.sent += 1
            try:
                response = self.dep.session.get(self.dep.url(self.path), timeout=5, verify=self.dep.ca_file,
                                                headers={"Host": DOMAIN, "Connection": "close"})
                if response.status_code != 200:
                    raise RuntimeError(f"HTTP {response.status_code}")
            except (requests.RequestException, RuntimeError) as exc:
                self.failed += 1
                self.errors.append(f"{time.strftime('%H:%M:%S')} {exc}")
            self.stopping.wait(0.25)


SERVICES = ["mariadb.service", "redis-server.service", "nats.service", "plugnmeet-server.service",
            "livekit.service", "haproxy.service"]


def test_phase2_after_a_resize_while_users_keep_requesting():
    """The main host gets two CPUs and 8 GiB (as a cloud resize would); phase 2 re-tunes it while a probe keeps
    requesting the web client through HAProxy: no request fails, and services restart one at a time."""
    dep = deployment([REC1, REC2])
    started_before = _service_starts(SERVICES)
    meeting.docker("update", "--cpuset-cpus", "0-1", "--memory", "8g", "--memory-swap", "8g", MAIN)
    probe = Probe(dep)
    probe.start()
    report_file = os.path.join(EPHEMERAL, "phase2-report.json")
    try:
        play("2-phase2", "phase1", "phase2-vertical-scale.yml", "-e", f"plugnmeet_sizing_report_file={report_file}")
    finally:
        probe.stopping.set()
        probe.join()
    print(f"probe through HAProxy during phase 2: {probe.sent} requests, {probe.failed} failed")
    with open(os.path.join(EPHEMERAL, "phase2-probe.json"), "w") as handle:
        json.dump({"sent": probe.sent, "failed": probe.failed, "errors": probe.errors}, handle, indent=2)
    assert probe.failed == 0, probe.errors[:10]
    with open(report_file) as handle:
        report = json.load(handle)
    before, after = report["before"][MAIN], report["after"][MAIN]
    print(json.dumps({"before": before, "after": after, "participants": report["participants"]}, indent=1))
    assert float(before["vcpus"]) == 1.0 and float(after["vcpus"]) == 2.0, (before, after)
    assert int(before["memory_mb"]) == 4096 and int(after["memory_mb"]) == 8192, (before, after)
    assert report["participants"]["after"]["by_cpu"] == 2 * report["participants"]["before"]["by_cpu"] > 0
    restarted = restarted_one_at_a_time({MAIN: started_before}, {MAIN: _service_starts(SERVICES)})
    print("restarted, in order:", [entry[1] for entry in restarted])


def test_phase3_grows_the_deployment_and_keeps_its_data():
    """The rooms and recordings in MariaDB and the secrets survive; JetStream's streams are there again on all three
    nodes, replicated three times (nats-server cannot carry a standalone server's streams into a cluster: the main
    node's old store is kept aside, after the role waited until no meeting ran and no job was queued)."""
    dep = deployment([REC1, REC2])
    recordings_before = listed_rooms(dep)
    assert all(recordings_before.values()), recordings_before
    streams_before = streams(MAIN)
    with open(SECRETS, "rb") as handle:
        secrets_before = hashlib.sha256(handle.read()).hexdigest()

    play("3-phase3", "phase3", "phase3-horizontal-scale.yml")

    assert listed_rooms(dep) == recordings_before
    with open(SECRETS, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == secrets_before, "the secrets changed"
    jsz = json.loads(meeting.docker_exec(MAIN, "curl -sf http://127.0.0.1:8223/jsz"))
    assert jsz["meta_cluster"]["cluster_size"] == 3, jsz["meta_cluster"]
    # Every node holds a replica of every stream plugnmeet-server had (recreated there by it).
    for host in (MAIN, APP2, NATS3):
        now = streams(host)
        missing = set(streams_before) - set(now)
        assert not missing, f"streams missing on {host}: {missing}"
        assert all(now[name]["config"]["num_replicas"] == 3 for name in streams_before), now
        # Clients and routes over TLS; a route must show a certificate from the deployment's CA.
        varz = json.loads(meeting.docker_exec(host, "curl -sf http://127.0.0.1:8223/varz"))
        assert varz.get("tls_required") and varz["cluster"].get("tls_required") and varz["cluster"].get("tls_verify"), \
            varz
        routez = json.loads(meeting.docker_exec(host, "curl -sf http://127.0.0.1:8223/routez"))
        assert routez["num_routes"] >= 2, routez
    assert meeting.docker_exec(MAIN, "ls -d /var/lib/nats/jetstream.standalone-*").strip()


def test_phase3_changes_nothing_when_run_again():
    assert_changes_nothing("3-phase3", "phase3", "phase3-horizontal-scale.yml")


def test_phase3_meeting_joined_through_one_server_and_recorded_through_the_other():
    dep = deployment([REC1, REC2])

    def only(server):
        for name in (MAIN, APP2):
            haproxy(f"set server plugnmeet/{name} state {'ready' if name == server else 'maint'}")

    try:
        record_and_check(dep, "phase3", [REC1, REC2], before_join=lambda: only(MAIN),
                         before_recording=lambda: only(APP2))
    finally:
        for name in (MAIN, APP2):
            haproxy(f"set server plugnmeet/{name} state ready")


def registry(recorders):
    """The recorder_registry module's answer on the main host (plugnmeet-server's NATS user): who is alive."""
    args = json.dumps({"nats_url": f"nats://{meeting.container_address(MAIN)}:4222", "recorder_ids": list(recorders),
                       "user_seed": secrets()["nats_server_user_seed"]})
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(PROJECT, "ansible.cfg"), ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    result = subprocess.run(["ansible", MAIN, "-i", os.path.join(SCENARIO, "inventory", "phase3.yml"),
                             "-m", "plugnmeet.deploy.recorder_registry", "-a", args],
                            cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=True)
    # The JSON document, without the timings ansible.cfg's profile_tasks callback prints before and after it.
    document, _end = json.JSONDecoder().raw_decode(result.stdout[result.stdout.index("{"):])
    return document["plays"][0]["tasks"][0]["hosts"][MAIN]


def test_a_recorder_host_lost_while_it_records_leaves_the_registry_and_comes_back():
    """A recorder host dies in the middle of a recording (its init killed, as a power loss): it leaves
    pnm-recorderInfo, the other recorder keeps registering and records the next meeting end to end; started again,
    the lost one registers by itself. (A phase run while it is down leaves it out: tests/unit/test_preflight_play.py.)"""
    dep = deployment([REC1, REC2])
    room = f"journey-lost-{uuid.uuid4().hex[:8]}"
    dep.create_room(room)
    with meeting.participant(dep) as page:
        meeting.join(page, dep.join_url(room))
        meeting.start_cloud_recording(page)
        lost = meeting.busy_recorder(dep)
        assert lost in (REC1, REC2), "no recorder took the recording"
        meeting.docker("kill", lost)
        killed = time.monotonic()
    dep.end_room(room)
    kept = REC2 if lost == REC1 else REC1
    try:
        meeting.wait_until(lambda: registry([REC1, REC2])["alive"] == [kept], 120, f"{lost} gone from the registry")
        left_after = time.monotonic() - killed
        record_and_check(deployment([kept]), "recorder-lost", [kept])
    finally:
        meeting.docker("start", lost)
    started = time.monotonic()
    meeting.wait_until(lambda: registry([REC1, REC2])["alive"] == sorted([REC1, REC2]), 300,
                       f"{lost} registered again after it started")
    figures = {"left_registry_after_kill_s": round(left_after, 1),
               "registered_after_start_s": round(time.monotonic() - started, 1)}
    print("recorder host lost:", figures)
    with open(os.path.join(EPHEMERAL, "recorder-lost.json"), "w") as handle:
        json.dump(figures, handle, indent=2)


# The exposure systemd-analyze security gives each unit, at most (docs/security.md commits to these).
EXPOSURE_LEVELS = {
    (MAIN, "nats"): 1.5, (MAIN, "livekit"): 1.5, (MAIN, "plugnmeet-server"): 1.5, (MAIN, "redis-server"): 1.5,
    (MAIN, "haproxy"): 3.0, (MAIN, "mariadb"): 2.0, (REC1, "plugnmeet-recorder"): 2.5,
}


def test_every_unit_is_as_confined_as_docs_security_commits_to():
    measured = {f"{host} {unit}": exposure_in(meeting.docker_exec(host, EXPOSURE_COMMAND.format(unit=unit)), unit)
                for host, unit in EXPOSURE_LEVELS}
    print("systemd-analyze security exposure:", measured)
    with open(os.path.join(EPHEMERAL, "systemd-exposure.json"), "w") as handle:
        json.dump(measured, handle, indent=2)
    committed = {f"{host} {unit}": level for (host, unit), level in EXPOSURE_LEVELS.items()}
    above = {key: level for key, level in measured.items() if level > committed[key]}
    assert not above, f"more exposed than committed: {above}"


# Where a secret must never be, on each host: the processes' command lines, unit files, files anyone may read, logs.
# (Files only root reads, e.g. /etc/plugnmeet/config.yaml in mode 0640, are where the secrets belong.)
SECRET_PLACES = {
    "process command lines": "ps -eo args | grep -oFf {patterns} | sort -u",
    "systemd unit files": "grep -rlFf {patterns} /etc/systemd /usr/lib/systemd/system",
    "world-readable files": "find /etc /opt /usr/local /var /srv /home /tmp /run -xdev -type f -perm -o=r -size -64M "
                            "-print0 2>/dev/null | xargs -0r grep -lFf {patterns}",
    "the journal": "journalctl --no-pager -o cat | grep -oFf {patterns} | sort -u",
    "log files": "grep -rlFf {patterns} /var/log",
}


def test_no_secret_in_processes_unit_files_world_readable_files_or_logs():
    """Every secret of the deployment (the API keys are identifiers, sent in every token: not searched) on every
    phase 3 host, after the journey's meetings, restarts and phase runs."""
    names = {str(value): name for name, value in secrets().items() if value and not name.endswith("_api_key")}
    values = "\n".join(names)
    found = {}
    for host in PHASE3_HOSTS:
        patterns = "/root/.pnm-secret-patterns"
        subprocess.run(["docker", "exec", "-i", host, "sh", "-c", f"umask 077; cat > {patterns}"], input=values,
                       text=True, check=True, timeout=60)
        try:
            for place, command in SECRET_PLACES.items():
                result = meeting.docker("exec", host, "sh", "-c", command.format(patterns=patterns), check=False,
                                        timeout=600)
                if result.stdout.strip():
                    # Files by path, matched text by the secret's name (never the value itself).
                    found[f"{host}: {place}"] = [names.get(line, line) for line in result.stdout.split()][:5]
        finally:
            meeting.docker_exec(host, f"rm -f {patterns}")
    assert not found, f"secrets found: {found}"


# What the firewall lets anyone reach: SSH, HTTP and HTTPS (HAProxy), LiveKit's ICE/TCP port.
PUBLIC_TCP_PORTS = {22, 80, 443, 7881}


def reachable(address, port):
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


def test_a_host_outside_every_allowlist_reaches_no_internal_port():
    """The controller is in no group's allowlist (only SSH's): of every TCP port a phase 3 host listens on outside
    loopback, it reaches the public ones (HTTPS on the loadbalancer, to show the path works) and none of the others."""
    listening = {}
    for host in PHASE3_HOSTS:
        ports = set()
        for line in meeting.docker_exec(host, "ss -Hltn").splitlines():
            local = line.split()[3]
            address, port = local.rsplit(":", 1)
            if not address.strip("[]").startswith(("127.", "::1")):
                ports.add(int(port))
        listening[host] = sorted(ports)
    print("TCP ports listening outside loopback:", listening)
    assert reachable(meeting.container_address(MAIN), 443), "HTTPS on the loadbalancer not reachable: no network path"
    probes = [(host, port) for host, ports in listening.items() for port in ports if port not in PUBLIC_TCP_PORTS]
    assert len(probes) >= 8, listening  # NATS client and cluster, MariaDB, Redis, plugnmeet-server, LiveKit API, ...
    with ThreadPoolExecutor(max_workers=16) as pool:
        answered = [probe for probe, ok in zip(probes, pool.map(lambda p: reachable(
            meeting.container_address(p[0]), p[1]), probes)) if ok]
    with open(os.path.join(EPHEMERAL, "internal-ports.json"), "w") as handle:
        json.dump({"internal_ports_tried": len(probes), "reached": answered, "listening": listening}, handle, indent=2)
    assert not answered, f"internal ports reachable from outside every allowlist: {answered}"


def caught_up(host):
    """Every stream the main node has is on the host, at least as far as the main node was a moment before."""
    leader_view = streams(MAIN)
    replica = streams(host)
    return all(name in replica and replica[name]["state"]["last_seq"] >= stream["state"]["last_seq"]
               for name, stream in leader_view.items())


def join_while_down(dep, room):
    """A figure, not a check: whether a participant gets into a room within 45 s, else what failed (the server's join
    token or the page), with plugnmeet-server's errors meanwhile."""
    started = time.monotonic()
    try:
        url = dep.join_url(room)
    except (AssertionError, requests.RequestException) as exc:
        failure = f"join token: {exc}"
    else:
        with meeting.participant(dep) as page:
            page.set_default_timeout(45_000)
            try:
                meeting.join(page, url)
                return {"joined_after_s": round(time.monotonic() - started, 1)}
            except PlaywrightError as exc:  # a timeout's first lines say which step of the join it was
                failure = "page: " + " ".join(str(exc).split())
    errors = meeting.docker_exec(MAIN, "journalctl -u plugnmeet-server --since -2min --no-pager -o cat"
                                       " | grep -i -E 'error|timeout' | tail -n 5", check=False)
    return {"joined_after_s": None, "failed": failure[:400], "server_errors": errors.splitlines()}


def test_one_of_three_nats_nodes_killed_the_others_stay_writable_and_it_rejoins():
    """nats3 killed at once (its host's init): the KV buckets, replicated three times, stay writable on the other two
    nodes (the recorders keep refreshing pnm-recorderInfo) and new rooms (a new KV bucket each) are created, timed:
    nats-server still places new buckets' replicas on the dead node, and some wait for an election or fail
    (docs/reliability.md). Started again, the node rejoins and catches up every stream by itself, and the rooms made
    during the outage can be ended. (A meeting right after the rejoin recorded end to end in one run and not in the
    next, where the client's stop of the recording did not complete: not required here, docs/reliability.md.)"""
    dep = deployment([REC1, REC2])
    meeting.docker("kill", NATS3)
    try:
        time.sleep(15)  # several of the recorders' 3 s refreshes, and the other nodes' routes to nats3 are gone
        assert sorted(registry([REC1, REC2])["alive"]) == [REC1, REC2], "pnm-recorderInfo not refreshed with nats3 down"
        creations = []
        for attempt in range(8):
            room = f"journey-nats-{attempt}-{uuid.uuid4().hex[:8]}"
            started = time.monotonic()
            try:
                dep.create_room(room)
                ok = True
            except (AssertionError, requests.RequestException):
                ok = False
            creations.append({"room": room, "created": ok, "seconds": round(time.monotonic() - started, 2)})
        created = [c["room"] for c in creations if c["created"]]
        figures = {"rooms_tried": len(creations), "rooms_created": len(created),
                   "seconds": [c["seconds"] for c in creations]}
        print("room creations with one of three NATS nodes down:", figures)
        assert created, creations
        figures.update(join_while_down(dep, created[0]))
        print("a participant joining with one of three NATS nodes down:", figures)
        with open(os.path.join(EPHEMERAL, "nats-node-killed.json"), "w") as handle:
            json.dump(figures, handle, indent=2)
    finally:
        meeting.docker("start", NATS3)
    started = time.monotonic()
    meeting.wait_until(lambda: caught_up(NATS3), 180, "nats3 caught up with every stream")
    print(f"nats3 caught up {time.monotonic() - started:.0f} s after its host started")
    meta = json.loads(meeting.docker_exec(NATS3, "curl -sf http://127.0.0.1:8223/jsz"))["meta_cluster"]
    assert meta["cluster_size"] == 3 and meta.get("leader"), meta
    for room in created:
        dep.end_room(room)


# The services phase 3 restarts one host at a time behind HAProxy, their backends there, and their roles.
ROLLED = {"plugnmeet-server.service": "plugnmeet", "livekit.service": "livekit"}
ROLES_CHANGED = ("plugnmeet_server", "livekit")
DRAIN = "Drain the host in HAProxy and take it out: "


def backend_states():
    """{(backend, server): status} of the plugnmeet and LiveKit servers as HAProxy sees them."""
    rows = [line.split(",") for line in haproxy("show stat").splitlines()]
    return {(row[0], row[1]): row[17] for row in rows
            if len(row) > 17 and row[0] in ROLLED.values() and row[1] in (MAIN, APP2)}


def probing(dep, step, *args, succeeds=True, during=None):
    """Phase 3 while two probes request the web client and LiveKit through HAProxy; `during(play, probes)` runs
    meanwhile. Returns the play and the probes. Limited to the two roles whose settings change (`--tags`), as an
    operator changing one of their settings runs it: preflight checks every host, then only those roles run."""
    probes = {path: Probe(dep, path) for path in ("/", "/livekit/")}
    for probe in probes.values():
        probe.start()
    try:
        run = Play(step, "phase3", "phase3-horizontal-scale.yml", "--tags", ",".join(ROLES_CHANGED), *args)
        if during:
            during(run, probes)
        run.wait(succeeds=succeeds)
    finally:
        for probe in probes.values():
            probe.stopping.set()
            probe.join()
    return run, probes


def probe_figures(probes):
    return {path: {"sent": probe.sent, "failed": probe.failed, "errors": probe.errors[:20]}
            for path, probe in probes.items()}


def sent_and_failed(figures):
    return {path: (f["sent"], f["failed"]) for path, f in figures.items()}


# Changes that restart plugnmeet-server, or LiveKit, everywhere and nothing else.
QUIETER_SERVERS = ("-e", "plugnmeet_server_log_level=warn")
QUIETER_LIVEKIT = ("-e", "livekit_log_level=warn")
INTERRUPTED = {}  # what the interrupted run left, for the run after it


def test_phase3_rolls_restarts_through_haproxy_until_a_host_is_lost_halfway():
    """A changed log level restarts plugnmeet-server on both hosts; phase 3 does it one host at a time, each drained
    in HAProxy first and taken back once HAProxy sees it up, while probes keep requesting the web client and LiveKit
    through HAProxy. Right after HAProxy drained app2 for its restart, app2's host dies (its init killed): the run
    stops there, with no probe request failed until then, and HAProxy keeps app2 out."""
    dep = deployment([REC1, REC2])
    before = _service_starts(ROLLED, MAIN)

    def lose_app2_once_drained(run, probes):
        meeting.wait_until(lambda: APP2 in run.hosts_done(DRAIN + "plugnmeet") or not run.running(), 900,
                           "the run draining app2", interval=0.5)
        INTERRUPTED["probes_until_lost"] = probe_figures(probes)
        meeting.docker("kill", APP2)

    run, probes = probing(dep, "3-lost-halfway", *QUIETER_SERVERS, succeeds=False, during=lose_app2_once_drained)
    INTERRUPTED["probes_whole_run"] = probe_figures(probes)
    INTERRUPTED["backends_after"] = {"/".join(key): state for key, state in backend_states().items()}
    print("probes until app2 was lost:", sent_and_failed(INTERRUPTED["probes_until_lost"]))
    print("probes over the whole interrupted run:", sent_and_failed(INTERRUPTED["probes_whole_run"]))
    # A host lost in the middle of a task fails it (here the exec is killed, rc 137); between tasks it is
    # unreachable. Either way only app2 stopped, after main's server restarted drained.
    stopped = {host: counts for host, counts in run.recap().items() if counts["failed"] or counts["unreachable"]}
    assert list(stopped) == [APP2], run.recap()
    assert run.hosts_done(DRAIN + "plugnmeet") == {MAIN, APP2}
    assert _service_starts(ROLLED, MAIN)["plugnmeet-server.service"] != before["plugnmeet-server.service"]
    assert all(f["failed"] == 0 for f in INTERRUPTED["probes_until_lost"].values()), INTERRUPTED
    assert INTERRUPTED["backends_after"]["plugnmeet/" + APP2] == "MAINT", INTERRUPTED
    assert meeting.docker_exec(MAIN, f"ls /run/plugnmeet-drained-plugnmeet-{APP2}").strip()


def test_the_run_after_the_interrupted_one_converges_and_rolls_without_failing_a_request():
    """Once app2's host is back, phase 3 runs again with the servers' log level put back and LiveKit's changed, so
    both servers and both LiveKit nodes restart. It finds the drain the lost run left (its marker on the loadbalancer)
    and changes app2 first: its server is restarted and taken back before main's is drained, so the backend always
    has a server. Then LiveKit rolls on both hosts, one at a time, drained likewise; no probe request fails, and every
    server ends up in HAProxy."""
    meeting.docker("start", APP2)
    meeting.wait_until(lambda: meeting.docker_exec(APP2, "systemctl is-system-running --wait || true").strip()
                       in ("running", "degraded"), 300, "app2 booted")
    dep = deployment([REC1, REC2])
    before = {host: _service_starts(ROLLED, host) for host in (MAIN, APP2)}
    run, probes = probing(dep, "3-after-interruption", *QUIETER_LIVEKIT)
    figures = dict(INTERRUPTED, probes_run_again=probe_figures(probes))
    with open(os.path.join(EPHEMERAL, "rolling-restarts.json"), "w") as handle:
        json.dump(figures, handle, indent=2)
    print("probes while it ran again:", sent_and_failed(figures["probes_run_again"]))
    restarts = restarted_one_at_a_time(before, {host: _service_starts(ROLLED, host) for host in (MAIN, APP2)})
    print("restarted, in order:", restarts)
    # app2, left drained, before main; then LiveKit in inventory order.
    expected = [(APP2, "plugnmeet-server.service"), (MAIN, "plugnmeet-server.service"), (MAIN, "livekit.service"),
                (APP2, "livekit.service")]
    assert restarts == expected, restarts
    taken_back = run.hosts_done("Restart to take the host back into HAProxy if an interrupted run left it drained",
                                ("changed: [",))
    assert taken_back == {APP2}, taken_back
    assert run.hosts_done(DRAIN + "livekit") == {MAIN, APP2}
    assert all(f["failed"] == 0 for f in figures["probes_run_again"].values()), figures["probes_run_again"]
    assert set(backend_states().values()) == {"UP"}, backend_states()
    assert not meeting.docker_exec(MAIN, "ls /run | grep plugnmeet-drained || true").strip(), "a drain marker is left"
