"""Calibrate the recorder sizing model against a measured recording load (a benchmark, not a test).

On a lab host (a Debian 12 container on the local dockerd) limited to each CPU set given, run N concurrent
recording-equivalent pipelines (pipelines.sh: Xvfb at the recorder's size, Chromium rendering a page of moving
"webcam" tiles, PulseAudio, ffmpeg x11grab with the recorder role's own recording settings) and find the largest N
that keeps real time: every pipeline's encoder at speed >= 0.97x and >= 97% of the expected frames, for the whole
period. Then print measured N next to the filter's prediction, the module's measured-mode prediction and upstream's
rule of thumb. Run it on an otherwise idle machine:

    .venv/bin/python benchmarks/recorder_capacity/run.py --cpusets 0 0-1 --seconds 30

docs/sizing.md holds the figures and how they were used.
"""

import argparse
import json
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, ".collections"))
from ansible_collections.plugnmeet.deploy.plugins.module_utils import sizing  # noqa: E402

NAME = "pnm-bench-recorder"
IMAGE = "pnm-lab/debian12:latest"
PACKAGES = ["chromium", "ffmpeg", "xvfb", "x11-xkb-utils", "xkb-data", "pulseaudio", "pulseaudio-utils",
            "fonts-dejavu-core"]
# Upstream's rule of thumb: "a 2-vCPU server can handle approximately 2-3 simultaneous recordings".
UPSTREAM_PER_VCPU = (1.0, 1.5)


def sh(*args, check=True, capture=True):
    proc = subprocess.run(list(args), check=False, capture_output=capture, text=True)
    if check and proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(args)}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def role_settings():
    with open(os.path.join(ROOT, "roles", "recorder", "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    recording = defaults["recorder_ffmpeg_settings"]["recording"]
    return defaults["recorder_width"], defaults["recorder_height"], recording["pre_input"], recording["post_input"]


def start_host(cpuset):
    sh("docker", "rm", "-f", NAME, check=False)
    cache = os.path.expanduser(os.environ.get("PNM_CACHE_DIR", "~/.cache/plugnmeet-deploy")) + "/apt-archives"
    os.makedirs(cache, exist_ok=True)
    sh("docker", "run", "-d", "--name", NAME, "--label", "io.plugnmeet.deploy.lab=benchmark",
       "--cpuset-cpus", cpuset, "--shm-size", "2g", "--entrypoint", "sleep",
       "-v", f"{cache}:/var/cache/apt/archives", "-v", f"{HERE}:/bench:ro", IMAGE, "infinity")
    sh("docker", "exec", NAME, "sh", "-c",
       "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
       + " ".join(PACKAGES) + " >/dev/null")


def process_kind(command):
    """Chromium's processes (chromium, chrome_crashpad...) count as one kind; every other command is its own."""
    return "chromium" if command.startswith("chrom") else command


def run_pipelines(n, seconds, width, height, tiles, pre, post):
    out = sh("docker", "exec", NAME, "/bench/pipelines.sh", str(n), str(seconds), str(width), str(height),
             str(tiles), pre, post)
    rows, cpu_seconds, memory_mb, window = [], {}, {}, None
    for line in out.splitlines():
        if line.startswith(("cpu ", "memory ")):
            what, command, used = line.split()
            totals = cpu_seconds if what == "cpu" else memory_mb
            totals[process_kind(command)] = totals.get(process_kind(command), 0.0) + float(used) / n
        elif line.startswith("window "):
            window = float(line.split()[1])
        elif line.startswith("pipeline "):
            f = line.split()
            rows.append({"frames": int(f[3] or 0), "expected": int(f[5]), "speed": float(f[7] or 0),
                         "drop": int(f[9] or 0)})
    realtime = len(rows) == n and all(r["speed"] >= 0.97 and r["frames"] >= 0.97 * r["expected"] for r in rows)
    # vCPUs per recording by process kind while recording (the model's terms: ffmpeg = encode + capture).
    per_recording = {kind: used / window for kind, used in cpu_seconds.items()} if window else {}
    return realtime, rows, per_recording, memory_mb


def predicted(result):
    """The recordings a sizing result says the host sustains: max_limit, or 0 when it flags the host undersized
    (max_limit is then 1 only because the recorder cannot be given 0)."""
    if result.get("max_limit") is None:
        return "?"
    if result.get("undersized"):
        return "0 (undersized)"
    # Tight: one recording fits only while no transcode runs (a resource allows 0 next to the transcode's reserve).
    limits = result.get("capacity", result).get("limits") or {}
    tight = limits.get("cpu") == 0 or limits.get("memory") == 0
    return str(result["max_limit"]) + (" (tight)" if tight else "")


def module_prediction(tiles):
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible"), "all", "-i", f"{NAME},",
         "-c", "community.docker.docker", "-e",
         "ansible_python_interpreter=/usr/bin/python3", "-m", "plugnmeet.deploy.recorder_capacity", "-a",
         json.dumps({"benchmark": True, "profile": {"mode": "recorderOnly", "webcams": tiles}}), "-o"],
        capture_output=True, text=True, check=False, cwd=ROOT)
    text = proc.stdout
    try:
        result = json.loads(text[text.index("{"):])
    except ValueError:
        return None, text[-500:]
    return predicted(result), result.get("benchmark")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--cpusets", nargs="+", default=["0", "0-1"])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--tiles", type=int, default=4)
    parser.add_argument("--max-n", type=int, default=6)
    args = parser.parse_args()
    width, height, pre, post = role_settings()
    print(f"profile: {width}x{height}, {args.tiles} tiles, recorder's recording settings; {args.seconds} s each")
    table = []
    for cpuset in args.cpusets:
        start_host(cpuset)
        vcpus = int(sh("docker", "exec", NAME, "nproc").strip())
        memory_mb = int(sh("docker", "exec", NAME, "awk", "/MemTotal/ {print int($2/1024)}", "/proc/meminfo"))
        measured = 0
        for n in range(1, args.max_n + 1):
            realtime, rows, per_recording, recording_memory = run_pipelines(
                n, args.seconds, width, height, args.tiles, pre, post)
            worst = min(rows, key=lambda r: r["speed"]) if rows else {}
            shares = ", ".join(f"{kind} {used:.2f}" for kind, used in
                               sorted(per_recording.items(), key=lambda item: -item[1]) if used >= 0.005)
            print(f"  cpus {cpuset} ({vcpus} vCPU) N={n}: {'real time' if realtime else 'BEHIND'} "
                  f"worst speed {worst.get('speed')} frames {worst.get('frames')}/{worst.get('expected')}; "
                  f"vCPUs per recording: {shares} (total {sum(per_recording.values()):.2f}); MiB per recording: "
                  + ", ".join(f"{kind} {used:.0f}" for kind, used in
                              sorted(recording_memory.items(), key=lambda item: -item[1])
                              if kind in ("chromium", "ffmpeg", "Xvfb")),
                  flush=True)
            if not realtime:
                break
            measured = n
        host = {"vcpus": vcpus, "memory_mb": memory_mb, "architecture": "x86_64"}
        profile = {"mode": "recorderOnly", "webcams": args.tiles, "width": width, "height": height}
        filter_n = predicted(sizing.recommend(host, profile=profile))
        both_n = predicted(sizing.recommend(host, profile=dict(profile, mode="both")))
        module_n, bench = module_prediction(args.tiles)
        upstream = "-".join(str(int(vcpus * f)) for f in UPSTREAM_PER_VCPU)
        table.append((vcpus, measured, filter_n, module_n, both_n, upstream, bench))
        sh("docker", "rm", "-f", NAME, check=False)
    print()
    print("| vCPUs | measured N (real time) | filter (recorderOnly) | module, measured encode | filter (both + "
          "transcode) | upstream rule of thumb |")
    print("|---|---|---|---|---|---|")
    for vcpus, measured, filter_n, module_n, both_n, upstream, _bench in table:
        print(f"| {vcpus} | {measured} | {filter_n} | {module_n} | {both_n} | {upstream} |")
    for vcpus, *_rest, bench in table:
        print(f"module benchmark on {vcpus} vCPU: {json.dumps(bench)}")


if __name__ == "__main__":
    main()
