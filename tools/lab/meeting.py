"""Hold a real plugNmeet meeting on a lab deployment, record it on a recorder host, and check the file.

Test tooling (never shipped): `make lab` runs it as a program, the journey scenario imports it.

A participant is a lab host outside every inventory group: a container on the lab network running Debian's
Chromium with a fake camera and microphone (image pnm-lab/participant, tools/images.sh). This controller drives that
browser over the DevTools protocol (Playwright), as a moderator would: it opens the web client through HAProxy and
TLS, joins with camera and microphone, starts a cloud recording ("Cloud Record: Full Screen") and stops it. A
recorder host takes the job, its own browser joins and ffmpeg records; after transcoding the MP4 is on the shared
storage and listed by the server's recording API. The file is then measured with ffprobe on a recorder host.

    python tools/lab/meeting.py -i inventories/lab/hosts.yml [--seconds 35]
"""

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid

import requests
import yaml
from requests.adapters import HTTPAdapter

LAB_LABEL = "io.plugnmeet.deploy.lab"
PARTICIPANT_IMAGE = "pnm-lab/participant:latest"
DEVTOOLS_PORT = 9223  # socat in the participant forwards it to Chromium's loopback-only port 9222
RECORDINGS_DEFAULT = "/var/lib/plugnmeet/recording_files"


def docker(*args, check=True, timeout=120):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def docker_exec(host, command, check=True, timeout=300):
    """Run a shell command on a lab host and return its stdout."""
    result = docker("exec", host, "sh", "-c", command, check=False, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{host}: {command}: rc={result.returncode}: {result.stderr.strip()}")
    return result.stdout


def container_address(name):
    return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name).stdout.split()[0]


class Deployment:
    """What the meeting needs to know about a deployed inventory: names, addresses, secrets and hosts."""

    def __init__(self, domain, secrets, ca_file, loadbalancer, recorders, recordings_path=RECORDINGS_DEFAULT):
        self.domain = domain
        self.api_key = secrets["plugnmeet_api_key"]
        self.api_secret = secrets["plugnmeet_api_secret"]
        self.ca_file = ca_file
        self.loadbalancer = loadbalancer
        self.recorders = list(recorders)
        self.recordings_path = recordings_path
        self.session = requests.Session()
        self.session.mount("https://", _PinnedNameAdapter(domain))

    @classmethod
    def from_inventory(cls, inventory, secrets_file=None):
        data = json.loads(subprocess.run(["ansible-inventory", "-i", inventory, "--list"], capture_output=True,
                                         text=True, check=True).stdout)
        hostvars = data["_meta"]["hostvars"]
        groups = {name: value.get("hosts", []) for name, value in data.items() if isinstance(value, dict)}
        loadbalancer = groups["loadbalancers"][0]
        lb_vars = hostvars.get(loadbalancer, {})
        inventory_dir = inventory if os.path.isdir(inventory) else os.path.dirname(os.path.abspath(inventory))
        secrets_file = secrets_file or lb_vars.get("plugnmeet_secrets_file") or os.path.join(
            inventory_dir, "plugnmeet-secrets.yml")
        with open(secrets_file) as handle:
            secrets = yaml.safe_load(handle)
        return cls(domain=lb_vars["plugnmeet_domain"], secrets=secrets,
                   ca_file=os.path.join(os.path.dirname(secrets_file), "plugnmeet-ca.crt"),
                   loadbalancer=loadbalancer, recorders=groups.get("recorders", []),
                   recordings_path=lb_vars.get("plugnmeet_recording_files_path", RECORDINGS_DEFAULT))

    def url(self, path=""):
        return f"https://{container_address(self.loadbalancer)}{path}"

    def api(self, path, body):
        """A call to the server's /auth API through the load balancer, signed as plugNmeet's API wants."""
        payload = json.dumps(body).encode()
        signature = hmac.new(self.api_secret.encode(), payload, hashlib.sha256).hexdigest()
        response = self.session.post(self.url(f"/auth{path}"), data=payload, timeout=30, verify=self.ca_file,
                                     headers={"Host": self.domain, "Content-Type": "application/json",
                                              "API-KEY": self.api_key, "HASH-SIGNATURE": signature})
        response.raise_for_status()
        return response.json()

    def create_room(self, room_id):
        result = self.api("/room/create", {"room_id": room_id, "metadata": {
            "room_title": f"Lab meeting {room_id}",
            "room_features": {"allow_webcams": True,
                              "recording_features": {"is_allow": True, "is_allow_cloud": True}}}})
        assert result.get("status"), f"room {room_id} was not created: {result}"
        return result["room_info"]

    def join_url(self, room_id, name="Lab moderator"):
        result = self.api("/room/getJoinToken", {"room_id": room_id, "user_info": {
            "name": name, "user_id": f"moderator-{uuid.uuid4().hex[:8]}", "is_admin": True}})
        assert result.get("status"), f"no join token for {room_id}: {result}"
        return f"https://{self.domain}/?access_token={result['token']}"

    def recordings(self, room_id):
        result = self.api("/recording/fetch", {"room_ids": [room_id]})
        return (result.get("result") or {}).get("recordings_list", []) if result.get("status") else []

    def end_room(self, room_id):
        return self.api("/room/endRoom", {"room_id": room_id})


class _PinnedNameAdapter(HTTPAdapter):
    """HTTPS to an address while TLS (SNI and certificate check) uses the public name: the controller has no DNS
    entry for the lab's domain."""

    def __init__(self, name, **kwargs):
        self._name = name
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["server_hostname"] = self._name
        kwargs["assert_hostname"] = self._name
        super().init_poolmanager(*args, **kwargs)


@contextlib.contextmanager
def participant(deployment, name=None):
    """A participant's browser on the lab network (a lab host in no inventory group), as a Playwright page."""
    from playwright.sync_api import sync_playwright

    network = list(json.loads(docker("inspect", "-f", "{{json .NetworkSettings.Networks}}",
                                     deployment.loadbalancer).stdout))[0]
    lab = docker("inspect", "-f", f'{{{{index .Config.Labels "{LAB_LABEL}"}}}}', deployment.loadbalancer).stdout.strip()
    name = name or f"{deployment.loadbalancer}-participant"
    docker("rm", "--force", name, check=False)
    browser = " ".join([
        "chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking",
        "--disable-component-update --disable-sync --use-fake-ui-for-media-stream --use-fake-device-for-media-stream",
        # The lab CA is the deployment's own; this browser is a test client, not a managed host.
        "--ignore-certificate-errors --remote-debugging-port=9222 --remote-allow-origins=*",
        "--user-data-dir=/tmp/participant --window-size=1280,720 about:blank",
    ])
    # On the machine's last CPU: its camera encoding must not take the CPU a one-CPU lab host records on (CPU 0).
    pinned = ["--cpuset-cpus", str(os.cpu_count() - 1)] if (os.cpu_count() or 1) > 1 else []
    docker("run", "--detach", "--name", name, "--hostname", name, "--network", network, "--shm-size", "1g", *pinned,
           "--label", f"{LAB_LABEL}={lab}", PARTICIPANT_IMAGE, "sh", "-c",
           f"socat TCP-LISTEN:{DEVTOOLS_PORT},fork,reuseaddr TCP:127.0.0.1:9222 & exec {browser}")
    try:
        endpoint = f"http://{container_address(name)}:{DEVTOOLS_PORT}"
        wait_until(lambda: requests.get(f"{endpoint}/json/version", timeout=2).ok, 60, "the participant's browser")
        with sync_playwright() as playwright:
            browser = playwright.chromium.connect_over_cdp(endpoint)
            page = browser.contexts[0].new_page()
            page.set_default_timeout(60_000)
            yield page
    finally:
        docker("rm", "--force", name, check=False)


def wait_until(condition, seconds, what, interval=2):
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = condition()
            if value:
                return value
        except (requests.RequestException, OSError, RuntimeError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {seconds} s")
        time.sleep(interval)


def join(page, url):
    """Open the join URL and enter the meeting with camera and microphone, as the client's landing asks."""
    page.goto(url)
    modal = page.locator("#startupJoinModal")
    modal.get_by_role("button", name="Enable Microphone and Camera").click()
    modal.get_by_role("button", name="Join", exact=True).click()
    page.locator("#main-area").wait_for()


def start_cloud_recording(page, timeout=180):
    """Start a full-screen cloud recording; returns when the client shows it running (a recorder took it)."""
    page.get_by_role("button", name="Start Recording").click()
    dialog = page.get_by_role("dialog").filter(has_text="How would you like to record?")
    dialog.locator("#full-screen").check()
    dialog.get_by_role("button", name="Start Recording").click()
    page.get_by_role("button", name="Stop Recording").wait_for(timeout=timeout * 1000)
    return time.monotonic()


def stop_cloud_recording(page):
    page.get_by_role("button", name="Stop Recording").click()
    page.get_by_role("button", name="Start Recording").wait_for()
    return time.monotonic()


def busy_recorder(deployment, user="recorder", seconds=30):
    """The recorder host whose recorder (running as `user`) runs an ffmpeg (records or transcodes), or None if none
    does within `seconds` (the client shows a recording as started a moment before the recorder's ffmpeg runs)."""
    def busy():
        for host in deployment.recorders:
            if docker("exec", host, "pgrep", "-u", user, "-x", "ffmpeg", check=False).returncode == 0:
                return host
        return None
    try:
        return wait_until(busy, seconds, "a recorder's ffmpeg", interval=1)
    except TimeoutError:
        return None


def probe(host, path):
    """Figures of a recording file, read with ffprobe/ffmpeg on a host that mounts the shared storage."""
    info = json.loads(docker_exec(host, f"ffprobe -v error -print_format json -show_streams -show_format '{path}'"))
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    # One small grey frame per second: identical hashes mean a still picture.
    hashes = [line.split(",")[-1].strip() for line in docker_exec(
        host, f"ffmpeg -v error -i '{path}' -an -vf fps=1,scale=160:90,format=gray -f framemd5 -").splitlines()
        if line and not line.startswith("#")]
    volume = docker_exec(host, f"ffmpeg -v info -i '{path}' -vn -af volumedetect -f null - 2>&1 | "
                               "sed -n 's/.*max_volume: \\(.*\\) dB/\\1/p'").strip()
    # Decoding the whole file: an intact one gives no error.
    decode_errors = docker_exec(host, f"ffmpeg -v error -i '{path}' -f null - 2>&1").strip().splitlines()
    return {
        "path": path,
        "size_mb": round(int(info["format"]["size"]) / 2**20, 1),
        "duration_s": round(float(info["format"]["duration"]), 1),
        "width": video["width"],
        "height": video["height"],
        "video_codec": video["codec_name"],
        "audio_codec": audio[0]["codec_name"] if audio else None,
        "audio_max_volume_db": float(volume) if volume else None,
        "frames_sampled": len(hashes),
        "frames_distinct": len(set(hashes)),
        "decode_errors": len(decode_errors),
    }


def record_meeting(deployment, seconds=35, room_id=None, before_join=None, before_recording=None,
                   listing_timeout=300):
    """Create a room, join it as a moderator, record `seconds` and wait until the MP4 is listed. Returns figures.

    before_join/before_recording: optional callables run at those points (e.g. to steer HAProxy to one server).
    """
    room_id = room_id or f"lab-{uuid.uuid4().hex[:10]}"
    deployment.create_room(room_id)
    url = deployment.join_url(room_id)
    with participant(deployment) as page:
        if before_join:
            before_join()
        join(page, url)
        if before_recording:
            before_recording()
        started = start_cloud_recording(page)
        recorder = busy_recorder(deployment)
        time.sleep(seconds)
        stopped = stop_cloud_recording(page)
    listed_at = time.monotonic()
    listed = wait_until(lambda: deployment.recordings(room_id), listing_timeout, f"the recording of {room_id} listed")
    figures = {"room_id": room_id, "recorder": recorder, "recorded_s": round(stopped - started, 1),
               "listed_after_stop_s": round(time.monotonic() - stopped, 1),
               "waited_for_listing_s": round(time.monotonic() - listed_at, 1)}
    file_path = listed[0]["file_path"]
    path = file_path if file_path.startswith("/") else f"{deployment.recordings_path}/{file_path}"
    figures.update(probe(recorder or deployment.recorders[0], path))
    deployment.end_room(room_id)
    return figures


def check(figures, width=1920, height=1080):
    """The assertions a recorded meeting must pass; returns the list of failures (empty: it passed)."""
    failures = []
    if (figures["width"], figures["height"]) != (width, height):
        failures.append(f"video is {figures['width']}x{figures['height']}, configured {width}x{height}")
    if abs(figures["duration_s"] - figures["recorded_s"]) > 0.2 * figures["recorded_s"]:
        failures.append(f"duration {figures['duration_s']} s is not within 20 % of the {figures['recorded_s']} s "
                        "recorded")
    if not figures["audio_codec"]:
        failures.append("no audio stream")
    if figures["decode_errors"]:
        failures.append(f"{figures['decode_errors']} errors decoding the file")
    if figures["frames_distinct"] < max(2, figures["frames_sampled"] // 2):
        failures.append(f"the picture barely moves: {figures['frames_distinct']} distinct of "
                        f"{figures['frames_sampled']} sampled frames")
    return failures


def summary(figures):
    return [
        f"recorded meeting {figures['room_id']} on {figures['recorder']}: {figures['path']}",
        f"  {figures['width']}x{figures['height']} {figures['video_codec']}, {figures['duration_s']} s of "
        f"{figures['recorded_s']} s recorded, {figures['size_mb']} MiB, audio {figures['audio_codec']} "
        f"(max {figures['audio_max_volume_db']} dB), {figures['frames_distinct']}/{figures['frames_sampled']} "
        f"sampled frames differ, listed by the server {figures['listed_after_stop_s']} s after the stop",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("-i", "--inventory", required=True)
    parser.add_argument("--seconds", type=int, default=35, help="how long to record (default 35)")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    args = parser.parse_args()
    figures = record_meeting(Deployment.from_inventory(args.inventory), seconds=args.seconds)
    print("\n".join(summary(figures)))
    failures = check(figures, args.width, args.height)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
