"""Deploy speed: phase 1's converge on fresh lab hosts against its re-run, as recorder hosts grow (a benchmark, not a
test: it prints figures and passes or fails nothing).

For each recorder count, a lab like the built-in one (one main host, N recorder hosts: Debian systemd containers on
the local dockerd, made by tools/lab/up.yml) is created fresh, phase 1 converges on it, and runs again unchanged.
Printed per count: both wall times, the tasks each run did (the recap's ok + changed + failed, summed over the
hosts), the re-run's changed count (0 when idempotent) and the ratio re-run / converge. Fresh hosts still find the
Debian packages every lab host on this machine downloaded before (linked into their apt download caches) and the
upstream releases in the artifact directory (the offline path the lab uses): the converge measured is the deploy's
own work, not the network's. Run it on an idle machine:

    .venv/bin/python benchmarks/deploy_speed/run.py --recorders 1 2 4

docs/testing.md holds the figures (section "Deploy speed").
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
LAB = os.path.join(ROOT, "inventories", "lab")
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
from play_recap import play_recap  # noqa: E402  (shared with the journey)
LAB_NAME = "deploy-bench"
GROUPS_ON_MAIN = ["plugnmeet_servers", "livekit_servers", "nats_servers", "databases", "redis_servers",
                  "loadbalancers"]


def lab_hosts(recorders):
    return "pnm-bench-main", [f"pnm-bench-rec{i}" for i in range(1, recorders + 1)]


def write_inventory(directory, recorders):
    """The built-in lab's inventory with N recorder hosts, its group_vars and the main host's host_vars."""
    main, recs = lab_hosts(recorders)
    children = {"lab": {"hosts": dict.fromkeys([main] + recs)}, "recorders": {"hosts": dict.fromkeys(recs)}}
    children.update({group: {"hosts": {main: None}} for group in GROUPS_ON_MAIN})
    with open(os.path.join(directory, "hosts.yml"), "w") as handle:
        yaml.safe_dump({"all": {"vars": {"lab_name_of_inventory": LAB_NAME}, "children": children}}, handle)
    shutil.copytree(os.path.join(LAB, "group_vars"), os.path.join(directory, "group_vars"))
    os.makedirs(os.path.join(directory, "host_vars"))
    shutil.copy(os.path.join(LAB, "host_vars", "pnm-lab-main.yml"), os.path.join(directory, "host_vars", f"{main}.yml"))
    return os.path.join(directory, "hosts.yml")


def seed_apt_caches(hosts):
    """Hard-link every .deb the lab hosts on this machine downloaded into each host's apt download cache."""
    root = os.path.join(os.path.expanduser(os.environ.get("PNM_CACHE_DIR", "~/.cache/plugnmeet-deploy")),
                        "apt-archives")
    debs = {}
    for path in glob.glob(os.path.join(root, "*", "*.deb")):
        debs.setdefault(os.path.basename(path), path)
    for host in hosts:
        directory = os.path.join(root, host)
        os.makedirs(directory, exist_ok=True)
        for name, path in debs.items():
            target = os.path.join(directory, name)
            if not os.path.exists(target):
                os.link(path, target)
    return len(debs)


def playbook(inventory, *args, log):
    """Run a playbook; return (seconds, recap {host: counts})."""
    started = time.monotonic()
    with open(log, "w") as handle:
        proc = subprocess.run(["ansible-playbook", "-i", inventory, *args], cwd=ROOT, stdout=handle,
                              stderr=subprocess.STDOUT, text=True, check=False)
    seconds = round(time.monotonic() - started)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed (rc={proc.returncode}); see {log}")
    with open(log) as handle:
        return seconds, play_recap(handle)


def tasks_done(recap):
    return sum(c["ok"] + c["changed"] + c["failed"] for c in recap.values())


def measure(recorders, workdir):
    inventory = write_inventory(workdir, recorders)
    logs = os.path.join(workdir, "logs")
    os.makedirs(logs)
    playbook(inventory, "tools/lab/down.yml", log=os.path.join(logs, "down.log"))
    main, recs = lab_hosts(recorders)
    seeded = seed_apt_caches([main] + recs)
    hosts_s = playbook(inventory, "tools/lab/up.yml", log=os.path.join(logs, "up.log"))[0]
    converge_s, converge = playbook(inventory, "phase1-split-recorder.yml", log=os.path.join(logs, "converge.log"))
    rerun_s, rerun = playbook(inventory, "phase1-split-recorder.yml", log=os.path.join(logs, "rerun.log"))
    return {
        "recorders": recorders,
        "debs_seeded": seeded,
        "hosts_s": hosts_s,
        "converge_s": converge_s,
        "converge_tasks": tasks_done(converge),
        "rerun_s": rerun_s,
        "rerun_tasks": tasks_done(rerun),
        "rerun_changed": sum(c["changed"] for c in rerun.values()),
        "ratio": round(rerun_s / converge_s, 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--recorders", type=int, nargs="+", default=[1, 2, 4], help="recorder host counts")
    args = parser.parse_args()
    os.environ.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))
    rows = []
    for count in args.recorders:
        with tempfile.TemporaryDirectory(prefix="pnm-deploy-bench-") as workdir:
            row = measure(count, workdir)
            # The inventory directory (the lab's secrets and CA) goes with the temporary directory: so does the lab.
            playbook(os.path.join(workdir, "hosts.yml"), "tools/lab/down.yml",
                     log=os.path.join(workdir, "logs", "down-after.log"))
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n{'recorders':>9} {'converge s':>10} {'tasks':>6} {'re-run s':>8} {'tasks':>6} {'changed':>7} "
          f"{'re-run/converge':>15}")
    for row in rows:
        print(f"{row['recorders']:>9} {row['converge_s']:>10} {row['converge_tasks']:>6} {row['rerun_s']:>8} "
              f"{row['rerun_tasks']:>6} {row['rerun_changed']:>7} {row['ratio']:>15.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
