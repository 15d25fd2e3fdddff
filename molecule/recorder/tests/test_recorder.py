"""The recorder's runtime really records as the unprivileged user `recorder`, under the unit's hardening.

The real plugnmeet-recorder (built from upstream's source by tools/artifacts.sh) is installed on a plain Debian host,
its runtime (Chromium, ffmpeg, Xvfb, PulseAudio, fonts) from Debian's packages. Without plugnmeet-server it cannot
log in to NATS; the journey scenario records whole meetings with it (registration, max_limit, the file).
"""

import json
import os
import shlex
import subprocess
import tempfile
import textwrap

import pytest
import yaml
from conftest import assert_no_secret_in, lab_address, run_check_diff

REC = "pnm-rec-deb12"
NATS = "pnm-rec-nats"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CONFIG = "/etc/plugnmeet-recorder/config.yaml"
UNIT = "/etc/systemd/system/plugnmeet-recorder.service"
SMOKE_DIR = "/opt/pnm-recorder-smoke"
SMOKE_STATE = "/var/lib/pnm-recorder-smoke"


def _yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


DEFAULTS = _yaml("roles", "recorder", "defaults", "main.yml")
ROLE_VARS = _yaml("roles", "recorder", "vars", "main.yml")
COMMON_VARS = _yaml("roles", "common", "vars", "main.yml")


def unit_hardening():
    """The [Service] options the role's unit gets: the common hardening with the recorder's exceptions."""
    options = dict(COMMON_VARS["__common_service_hardening"])
    options.update(ROLE_VARS["__recorder_unit_hardening"])
    if DEFAULTS["recorder_chrome_sandbox"]:
        options.update(ROLE_VARS["__recorder_unit_hardening_sandbox"])
    lines = []
    for name, value in sorted(options.items()):
        if value is None:
            continue
        lines.extend(f"{name}={line}" for line in ([value] if isinstance(value, str) else value))
    return lines + ["CapabilityBoundingSet=", "AmbientCapabilities="]


def recording_settings(host):
    """Size and ffmpeg recording arguments: the rendered config's when there is one, else the role's defaults."""
    if host.file(CONFIG).exists:
        config = yaml.safe_load(host.file(CONFIG).content_string)
        return (config["recorder"]["width"], config["recorder"]["height"],
                config["ffmpeg_settings"]["recording"])
    return DEFAULTS["recorder_width"], DEFAULTS["recorder_height"], DEFAULTS["recorder_ffmpeg_settings"]["recording"]


def test_runtime_packages(lab):
    rec = lab[REC]
    for name in ["chromium", "ffmpeg", "xvfb", "pulseaudio", "pulseaudio-utils", "rsync"] + \
            DEFAULTS["recorder_font_packages"]:
        assert rec.package(name).is_installed, name
    assert "Noto Sans CJK" in rec.check_output("fc-list")


def test_recorder_account(lab):
    user = lab[REC].user("recorder")
    assert user.exists
    assert user.shell == "/usr/sbin/nologin"
    assert user.uid < 1000
    assert user.home == "/var/lib/plugnmeet-recorder"
    assert lab[REC].check_output("passwd -S recorder").split()[1] == "L"


SMOKE_SCRIPT = r"""#!/bin/bash
# In the transient unit, as the recorder user: $1 output dir, $2 width, $3 height, $4 display, $5 ffmpeg pre_input,
# $6 ffmpeg post_input, $7 seconds.
set -u
out=$1 width=$2 height=$3 display=$4 pre=$5 post=$6 seconds=$7
cd "$out"
cp /opt/pnm-recorder-smoke/index.html .
python3 -m http.server 8765 --bind 127.0.0.1 >http.log 2>&1 &
http=$!
Xvfb "$display" -nocursor -screen 0 "${width}x${height}x24" -ac -nolisten tcp -nolisten unix -dpi 96 +extension RANDR \
  >xvfb.log 2>&1 &
xvfb=$!
pulseaudio --daemonize=yes --exit-idle-time=-1 --log-target=stderr >pulse.log 2>&1
pactl load-module module-null-sink sink_name=smoke sink_properties=device.description=smoke >pactl.log 2>&1
PULSE_SINK=smoke chromium --display="$display" --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$out/profile" --disable-gpu --disable-dev-shm-usage \
  --kiosk --window-position=0,0 --window-size="$width,$height" --autoplay-policy=no-user-gesture-required \
  http://127.0.0.1:8765/index.html >chromium.log 2>&1 &
browser=$!
for _ in $(seq 120); do grep -q 'GET /index.html' http.log && break; sleep 0.5; done
sleep 3
renderer=$(pgrep -u "$(id -u)" -f -- '--type=renderer' | head -1)
{
  echo "user $(id -un)"
  echo "browser_userns $(readlink /proc/$browser/ns/user)"
  echo "renderer_userns $(readlink /proc/$renderer/ns/user)"
  echo "renderer_seccomp $(awk '/^Seccomp:/ {print $2}' /proc/$renderer/status)"
  ps -o user=,comm= -u "$(id -u)" | sed 's/^/process /'
} >processes.txt 2>&1
eval "set -- $pre"; pre_args=("$@")
eval "set -- $post"; post_args=("$@")
ffmpeg "${pre_args[@]}" -video_size "${width}x${height}" -f x11grab -i "$display" -f pulse -i smoke.monitor \
  "${post_args[@]}" -t "$seconds" out.mp4 >ffmpeg.log 2>&1
echo "ffmpeg $?" >>processes.txt
kill "$browser" "$xvfb" "$http" 2>/dev/null
pulseaudio --kill 2>/dev/null
wait
"""

SMOKE_PAGE = """<!doctype html><html><body style="margin:0;background:#000">
<canvas id="c" width="1920" height="1080"></canvas>
<script>
const c = document.getElementById('c'), x = c.getContext('2d'); let t = 0;
function f() {
  t++; x.fillStyle = 'hsl(' + (t * 5 % 360) + ',80%,50%)'; x.fillRect(0, 0, 1920, 1080);
  x.fillStyle = '#fff'; x.fillRect((t * 17) % 1800, (t * 7) % 1000, 120, 120);
  x.font = '96px sans-serif'; x.fillText('frame ' + t, 100, 540); requestAnimationFrame(f);
}
f();
</script></body></html>
"""


@pytest.fixture(scope="module")
def smoke(lab):
    """Record 5 s of a moving page the way the recorder does, as `recorder`, under the unit's hardening."""
    rec = lab[REC]
    width, height, ffmpeg = recording_settings(rec)
    rec.run_expect([0], f"rm -rf {SMOKE_STATE} && mkdir -p {SMOKE_DIR}")
    for name, content in (("smoke.sh", SMOKE_SCRIPT), ("index.html", SMOKE_PAGE)):
        rec.run_expect([0], f"printf %s {shlex.quote(content)} > {SMOKE_DIR}/{name}")
    rec.run_expect([0], f"chmod -R a+rX {SMOKE_DIR}")
    properties = ["User=recorder", "Group=recorder", "StateDirectory=pnm-recorder-smoke",
                  "RuntimeDirectory=pnm-recorder-smoke", f"Environment=HOME={SMOKE_STATE}",
                  "Environment=XDG_RUNTIME_DIR=/run/pnm-recorder-smoke"] + unit_hardening()
    command = ["systemd-run", "--wait", "--pipe", "--collect", "--quiet"]
    for prop in properties:
        command += ["-p", prop]
    command += ["/bin/bash", f"{SMOKE_DIR}/smoke.sh", SMOKE_STATE, str(width), str(height), ":87",
                ffmpeg["pre_input"], ffmpeg["post_input"], "5"]
    run = rec.run(" ".join(shlex.quote(part) for part in command))
    logs = rec.run(f"tail -n 5 {SMOKE_STATE}/*.log").stdout
    probe = rec.run(f"ffprobe -v error -show_entries stream=codec_type,codec_name,width,height:format=duration "
                    f"-of json {SMOKE_STATE}/out.mp4")
    frames = rec.run(f"ffmpeg -v error -i {SMOKE_STATE}/out.mp4 -map 0:v -f framemd5 -").stdout
    processes = rec.run(f"cat {SMOKE_STATE}/processes.txt").stdout
    yield {
        "width": width, "height": height, "run": run, "logs": logs, "processes": processes,
        "probe": json.loads(probe.stdout) if probe.rc == 0 else None,
        "frames": [line.split(",")[-1].strip() for line in frames.splitlines() if line and not line.startswith("#")],
    }
    rec.run(f"rm -rf {SMOKE_STATE} {SMOKE_DIR}")


def test_the_media_stack_runs_as_the_recorder_user(smoke):
    assert smoke["run"].rc == 0, smoke["run"].stderr + smoke["logs"]
    processes = smoke["processes"]
    assert "user recorder" in processes
    for program in ("Xvfb", "pulseaudio", "chromium"):
        assert f"process recorder {program}" in processes, processes
    assert "ffmpeg 0" in processes, smoke["logs"]


def test_chromium_keeps_its_sandbox_under_the_unit_hardening(smoke):
    fields = dict(line.split(" ", 1) for line in smoke["processes"].splitlines() if " " in line)
    assert fields["renderer_userns"] != fields["browser_userns"]  # the renderer is in its own user namespace
    assert fields["renderer_seccomp"] == "2"  # and under a seccomp filter


def test_the_recording_has_the_configured_size_duration_and_motion(smoke):
    probe = smoke["probe"]
    assert probe, smoke["logs"]
    video = [s for s in probe["streams"] if s["codec_type"] == "video"]
    audio = [s for s in probe["streams"] if s["codec_type"] == "audio"]
    assert [(s["codec_name"], s["width"], s["height"]) for s in video] == [("h264", smoke["width"], smoke["height"])]
    assert [s["codec_name"] for s in audio] == ["aac"]
    assert 4.5 <= float(probe["format"]["duration"]) <= 5.5
    assert len(smoke["frames"]) >= 60
    assert len(set(smoke["frames"])) >= 20, "the page moves, so the frames must differ"


def _write_inventory(directory, hosts, extra_vars):
    inventory = {"all": {"vars": {
        "ansible_connection": "community.docker.docker",
        "ansible_python_interpreter": "/usr/bin/python3",
        "plugnmeet_domain": "pnm-main.lab.test",
        "recorder_nats_urls": ["nats://192.0.2.1:4222"],
        "plugnmeet_secrets_file": os.path.join(directory, "plugnmeet-secrets.yml"),
        **extra_vars,
    }, "children": {"recorders": {"hosts": hosts}}}}
    path = os.path.join(directory, "hosts.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(inventory, handle)
    playbook = os.path.join(directory, "recorders.yml")
    with open(playbook, "w") as handle:
        handle.write(textwrap.dedent("""\
            - name: Recorders
              hosts: recorders
              gather_facts: false
              roles:
                - role: plugnmeet.deploy.recorder
            """))
    return path, playbook


PREFLIGHT_CASES = {
    "duplicate ids": (
        {REC: {"recorder_id": "shared-id"}, "pnm-rec-twin": {"recorder_id": "shared-id", "ansible_host": REC}}, {},
        ["Recorder ids must be valid and unique", "Duplicates", "'shared-id' is used by pnm-rec-deb12, pnm-rec-twin"]),
    "names that sanitize alike": (
        {"pnm.rec.a": {"ansible_host": REC}, "pnm_rec_a": {"ansible_host": REC}}, {},
        ["'pnm_rec_a' is used by pnm.rec.a, pnm_rec_a"]),
    "invalid id": ({REC: {"recorder_id": "rec 1"}}, {}, ["pnm-rec-deb12 has 'rec 1'"]),
    "max_limit above 10": ({REC: {}}, {"recorder_max_limit": 11}, ["got 11"]),
    "unknown mode": ({REC: {}}, {"recorder_mode": "everything"}, ["recorder_mode", "everything"]),
    "no plugNmeet domain": ({REC: {}}, {"plugnmeet_domain": ""}, ["set plugnmeet_domain"]),
    "no NATS": ({REC: {}}, {"recorder_nats_urls": []}, ["The recorder needs NATS"]),
}


@pytest.mark.parametrize("case", sorted(PREFLIGHT_CASES))
def test_preflight_refuses_and_changes_nothing(lab, case):
    hosts, extra_vars, messages = PREFLIGHT_CASES[case]
    rec = lab[REC]
    before = rec.run("ls -la --time-style=full-iso /etc /usr/local/bin /var/lib | sha256sum").stdout
    with tempfile.TemporaryDirectory() as directory:
        inventory, playbook = _write_inventory(directory, hosts, extra_vars)
        proc = subprocess.run(["ansible-playbook", "-i", inventory, playbook], capture_output=True, text=True,
                              check=False)
        output = " ".join((proc.stdout + proc.stderr).split())
        assert not os.path.exists(os.path.join(directory, "plugnmeet-secrets.yml"))
    assert proc.returncode != 0
    for message in messages:
        assert message in output, output[-3000:]
    assert "changed=0" in output and " changed=1" not in output
    assert rec.run("ls -la --time-style=full-iso /etc /usr/local/bin /var/lib | sha256sum").stdout == before


def test_config_and_unit_render(lab, secrets):
    """The role's config.yaml with this lab's values."""
    rec, nats = lab[REC], lab[NATS]
    config = yaml.safe_load(rec.file(CONFIG).content_string)
    assert config["recorder"]["id"] == REC
    # Sized for this host by the collection's model (recorder_max_limit: auto).
    sized = rec.ansible("plugnmeet.deploy.recorder_capacity", "", check=False)["max_limit"]
    assert config["recorder"]["mode"] == "both" and config["recorder"]["max_limit"] == sized
    assert config["recorder"]["copy_to_path"] == {"main_path": "/var/lib/plugnmeet/recording_files", "sub_path": "node_01"}
    assert config["recorder"]["temporary_dir"] == "/var/lib/plugnmeet-recorder/recording-tmp"
    assert config["plugNmeet_info"] == {"host": "https://pnm-main.lab.test",
                                        "api_key": secrets["plugnmeet_api_key"],
                                        "api_secret": secrets["plugnmeet_api_secret"]}
    assert config["nats_info"]["nats_urls"] == [f"nats://{lab_address(nats)}:4222"]
    assert config["nats_info"]["num_replicas"] == 1
    assert config["nats_info"]["recorder"] == {"recorder_channel": "recorderChannel",
                                               "recorder_info_kv": "pnm-recorderInfo",
                                               "transcoding_jobs_subject": "pnm-RecorderTranscoderJobs"}
    assert config["chrome_settings"]["custom_chrome_path"] == "/usr/bin/chromium"
    assert rec.file(config["chrome_settings"]["custom_chrome_path"]).is_file
    assert {"name": "no-sandbox", "value": False} in config["chrome_settings"]["flags"]
    assert not [f for f in config["chrome_settings"]["flags"] if f["name"] == "ignore-certificate-errors"]
    assert set(config["log_settings"]) == {"log_file", "max_size", "max_backups", "max_age", "log_level"}
    assert "hooks" not in config


def test_check_diff_shows_changes_but_never_a_secret(lab, secrets):
    """--check --diff of the whole role with the config and unit moved aside: they would change, no secret is
    printed, nothing changes."""
    rec = lab[REC]
    code, output = run_check_diff([CONFIG, UNIT])
    assert code == 0, output[-3000:]
    assert_no_secret_in(output, secrets)
    # The unit's content was shown: the recorder's own user and the hardening exceptions.
    assert "+User=recorder" in output
    assert "+RestrictNamespaces=user pid net" in output
    assert "+ExecStartPre=/usr/bin/pulseaudio --daemonize=yes --exit-idle-time=-1 --log-target=journal" in output
    assert "Write config.yaml" in output
    assert rec.file("/usr/local/bin/plugnmeet-recorder").exists
    assert rec.file(CONFIG).exists and rec.file(UNIT).exists


def test_installed_unit_has_the_tested_hardening(lab):
    unit = lab[REC].file(UNIT).content_string.splitlines()
    for line in unit_hardening():
        assert line in unit, line


def test_service_runs_as_recorder(lab):
    """The real recorder and its own PulseAudio run as `recorder` and reach NATS on its private address.

    Without plugnmeet-server's auth callout the recorder cannot finish its NATS login ("i/o timeout" while the
    server waits for the callout), exits and is restarted every few seconds: each run is caught while it is up.
    """
    rec, nats = lab[REC], lab[NATS]
    assert rec.service("plugnmeet-recorder").is_enabled
    assert rec.check_output("systemctl show -P User plugnmeet-recorder") == "recorder"
    caught = rec.check_output(
        "for i in $(seq 80); do "
        "pid=$(systemctl show -P MainPID plugnmeet-recorder); "
        # Caught only once the main process runs the recorder (not systemd's fork before exec).
        "if ps -o comm= -p $pid | grep -q plugnmeet-recor && "
        "out=$(runuser -u recorder -- env XDG_RUNTIME_DIR=/run/plugnmeet-recorder pactl info 2>/dev/null); then "
        "echo \"$out\" | head -1; "
        "ps -o user=,comm= -p $pid; ps -o user=,comm= -C pulseaudio; break; fi; sleep 0.25; done")
    assert "Server String: /run/plugnmeet-recorder/pulse/native" in caught
    assert "recorder plugnmeet-recor" in caught and "recorder pulseaudio" in caught
    journal = rec.check_output("journalctl -u plugnmeet-recorder --no-pager -o cat")
    # The configured NATS URL, on the private address; TLS checked against the deployment's CA (no x509 error).
    assert f"->{lab_address(nats)}:4222" in journal
    for refused in ("Assertion", "Operation not permitted", "permission denied", "Read-only file system", "x509"):
        assert refused not in journal, refused
    config = rec.file(CONFIG)
    assert (config.user, config.group, config.mode) == ("root", "recorder", 0o640)


def test_sizing_is_kept_as_a_local_fact(lab):
    """The max_limit in the config and the model's answer it came from are kept as ansible_local.plugnmeet_recorder,
    which later runs (the report, phase 2's before/after) read."""
    rec = lab[REC]
    fact = rec.file("/etc/ansible/facts.d/plugnmeet_recorder.fact")
    assert (fact.user, fact.group, fact.mode) == ("root", "root", 0o644)
    kept = rec.ansible("ansible.builtin.setup", "filter=ansible_local")["ansible_facts"]["ansible_local"]
    kept = kept["plugnmeet_recorder"]
    max_limit = yaml.safe_load(rec.file(CONFIG).content_string)["recorder"]["max_limit"]
    assert kept["max_limit"] == max_limit == kept["capacity"]["max_limit"], kept
    assert kept["capacity"]["bound_by"] in ("cpu", "memory", "cap") and kept["capacity"]["reason"], kept


def test_restart_waits_for_recordings_in_progress(lab, tmp_path):
    """A configuration change while an ffmpeg of `recorder` runs leaves the restart pending; a later run does it."""
    rec, nats = lab[REC], lab[NATS]
    playbook = tmp_path / "recorder.yml"
    playbook.write_text(textwrap.dedent("""\
        - name: Recorder
          hosts: recorders
          gather_facts: true
          vars:
            plugnmeet_domain: pnm-main.lab.test
          roles:
            - role: plugnmeet.deploy.recorder
        """))
    nats_urls = {"recorder_nats_urls": [f"nats://{lab_address(nats)}:4222"]}

    def run(extra):
        proc = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--limit", REC,
                               "-e", json.dumps({**nats_urls, **extra}), str(playbook)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        return " ".join(proc.stdout.split())

    marker = "/run/plugnmeet-recorder.restart-pending"
    rec.run_expect([0], "install -D -m 0755 /bin/sleep /opt/pnm-busy/ffmpeg && "
                        "systemd-run --quiet --uid=recorder --unit=pnm-busy-ffmpeg /opt/pnm-busy/ffmpeg 600")
    try:
        output = run({"recorder_max_limit": 3})
        assert "runs 1 recording or transcoding job(s)" in output
        assert rec.file(marker).exists
        assert "max_limit: 3" in rec.file(CONFIG).content_string
    finally:
        rec.run("systemctl stop pnm-busy-ffmpeg; rm -rf /opt/pnm-busy")
    run({"recorder_max_limit": 3})  # nothing in progress now: the pending restart happens
    assert not rec.file(marker).exists
    output = run({})  # back to the scenario's settings: max_limit sized for this host
    assert not rec.file(marker).exists
    sized = rec.ansible("plugnmeet.deploy.recorder_capacity", "", check=False)
    assert f"max_limit: {sized['max_limit']}" in rec.file(CONFIG).content_string
    assert f"{REC}: max_limit {sized['max_limit']} (bound by {sized['capacity']['bound_by']})" in output
