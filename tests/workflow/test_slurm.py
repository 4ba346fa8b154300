"""The smoke workflow on a real one-node SLURM cluster, through profiles/slurm/ and
Snakemake's SLURM executor plugin: every job an sbatch job; points.csv as a local run's.

The cluster is Debian's SLURM (`.ci/install-slurm` installs it; `.ci/run` runs that
first): this test writes a slurm.conf for this host, starts munged, slurmctld and slurmd,
and stops them afterwards. Without SLURM installed, or without root to run its daemons,
it is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from helpers import ROOT, edit_config, make_workdir

DAEMONS = ("munged", "slurmctld", "slurmd")


def _daemon(name: str) -> str | None:
    """The daemon's path (sbin is often not on a root shell's PATH in containers)."""
    path = shutil.which(name) or f"/usr/sbin/{name}"
    return path if os.path.exists(path) else None


def _missing() -> str | None:
    missing = [d for d in DAEMONS if _daemon(d) is None]
    if missing:
        return f"SLURM is not installed ({', '.join(missing)} missing; run .ci/install-slurm)"
    if os.geteuid() != 0:
        return "starting slurmctld and slurmd as a test needs root"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed (pip install -e '.[test]')"
    return None


def _slurm_conf(state: Path, host: str) -> str:
    cpus = os.cpu_count() or 1
    return f"""\
ClusterName=scalinglaws-ci
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/d
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# No accounting storage: finished jobs are known only to squeue, for MinJobAge seconds.
MinJobAge=600
NodeName={host} CPUs={cpus} RealMemory=4000 State=UNKNOWN
PartitionName=ci Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def _start_munge() -> bool:
    """munged as the munge user with its key (Debian's package makes both); False if it
    was running already."""
    if subprocess.run(["munge", "-n"], capture_output=True).returncode == 0:
        return False
    Path("/run/munge").mkdir(parents=True, exist_ok=True)
    shutil.chown("/run/munge", "munge", "munge")
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        if shutil.which("mungekey"):
            subprocess.run(["mungekey", "--create"], check=True)
        else:
            subprocess.run(
                ["dd", "if=/dev/urandom", f"of={key}", "bs=1024", "count=1"], check=True, capture_output=True
            )
        shutil.chown(key, "munge", "munge")
        key.chmod(0o400)
    subprocess.run(["runuser", "-u", "munge", "--", _daemon("munged")], check=True)
    for _ in range(50):
        if subprocess.run(["munge", "-n"], capture_output=True).returncode == 0:
            return True
        time.sleep(0.1)
    raise AssertionError("munged did not start")


SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
MARK = "# written by scalinglaws tests/test_slurm.py; removed when the test ends\n"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = _missing()
    if reason:
        pytest.skip(reason)
    # The config must sit at SLURM's default path: the plugin's job step drops every
    # SLURM_* variable (SLURM_CONF included) before its inner srun, which then finds no
    # config elsewhere. Never overwrite a real cluster's config.
    if SYSTEM_CONF.exists() and not SYSTEM_CONF.read_text().startswith(MARK):
        pytest.skip(f"{SYSTEM_CONF} exists (a real SLURM setup): the test cluster will not replace it")
    state = tmp_path_factory.mktemp("slurm")
    for d in ("ctld", "d"):
        (state / d).mkdir()
    host = socket.gethostname().split(".")[0]
    SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SYSTEM_CONF.write_text(MARK + _slurm_conf(state, host))
    env = {**os.environ, "SLURM_CONF": str(SYSTEM_CONF)}
    started_munge = _start_munge()
    try:
        subprocess.run([_daemon("slurmctld")], check=True, env=env)
        subprocess.run([_daemon("slurmd")], check=True, env=env)
        deadline = time.monotonic() + 60
        while True:
            r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=env)
            if r.returncode == 0 and r.stdout.strip() in ("idle", "mixed", "allocated"):
                break
            assert time.monotonic() < deadline, f"the SLURM node did not come up: {r.stdout} {r.stderr}\n" + (
                (state / "slurmctld.log").read_text()[-2000:] if (state / "slurmctld.log").exists() else ""
            )
            time.sleep(0.5)
        yield env
    finally:
        subprocess.run(["scontrol", "shutdown"], env=env, capture_output=True)
        for pidfile in ("slurmd.pid", "slurmctld.pid"):
            p = state / pidfile
            if p.exists():
                subprocess.run(["kill", p.read_text().strip()], capture_output=True)
        if started_munge:
            subprocess.run(["pkill", "-x", "munged"], capture_output=True)
        SYSTEM_CONF.unlink(missing_ok=True)


def test_profile_has_placeholders_to_fill():
    """The shipped profile names the plugin and marks partition and account as yours to set."""
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    assert profile["default-resources"]["slurm_partition"].startswith("<")
    assert profile["default-resources"]["slurm_account"].startswith("<")


def ci_profile(dest: Path) -> Path:
    """profiles/slurm with this test cluster's answers to its placeholders: the partition,
    no account, no GPUs, small memory, and squeue for job status (no accounting here).
    Status checks start 8 s after a submission (the plugin's default, 40 s, would hold
    every wave of jobs at least that long; 1 to 8 s made little difference here)."""
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    profile["default-resources"].update(slurm_partition="ci", mem_mb=300, gpu=0, runtime=10)
    del profile["default-resources"]["slurm_account"]
    for res in profile["set-resources"].values():
        res.update(gpu=0, cpus_per_task=1, mem_mb=300)
    profile["set-threads"] = {rule: 1 for rule in profile["set-threads"]}
    profile.update(
        {
            "slurm-no-account": True,
            "slurm-status-command": "squeue",
            "slurm-init-seconds-before-status-checks": 8,
            "seconds-between-status-checks": 1,
            "latency-wait": 5,
            "jobs": 4,
            "slurm-keep-successful-logs": True,
        }
    )
    dest.mkdir(parents=True)
    (dest / "config.yaml").write_text(yaml.safe_dump(profile))
    return dest


def test_smoke_on_slurm_gives_the_local_points(cluster, tmp_path):
    """Model a of the smoke config at its smallest budget (every rule kind in 12 SLURM jobs;
    more would only repeat them, at CI's 2 cores and the plugin's status polling) gives
    exactly the points of the same config run locally, bit for bit. The local run goes on
    while the SLURM jobs wait in the queue."""
    one = lambda c: c.update(models=c["models"][:1], budgets=[2560])  # noqa: E731
    local, wd = make_workdir(tmp_path / "local"), make_workdir(tmp_path / "wf")
    edit_config(local, one)
    edit_config(wd, one)
    profile = ci_profile(tmp_path / "profile")
    bindir = os.path.dirname(sys.executable)
    env = {**cluster, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    cmd = [
        sys.executable, "-m", "snakemake", "--profile", str(profile), "--workflow-profile", "none",
        "--configfile", "smoke.yaml",
    ]  # fmt: skip
    reference = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--configfile", "smoke.yaml"],
        cwd=local, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    r = subprocess.run(cmd, cwd=wd, capture_output=True, text=True, env=env)
    _, local_err = reference.communicate()
    assert reference.returncode == 0, local_err[-3000:]
    slurm_logs = sorted((wd / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert r.returncode == 0, f"{r.stdout[-3000:]}\n{r.stderr[-6000:]}\n" + "\n".join(
        p.read_text()[-1500:] for p in slurm_logs[:3]
    )
    # Every job but the local rules went through sbatch (the profile keeps their SLURM logs).
    submitted = {p.relative_to(wd / ".snakemake" / "slurm_logs").parts[0] for p in slurm_logs}
    rules = ("prepare_data", "trunk", "branch", "cooldown", "cosine", "swa", "evaluate", "fit")
    assert submitted == {f"rule_{rule}" for rule in rules}
    expected = (local / "results" / "smoke" / "points.csv").read_text().splitlines()
    assert len(expected) == 1 + 6  # trunk, SWA, two cosine baselines, two cooldown shapes
    assert (wd / "results" / "smoke" / "points.csv").read_text().splitlines() == expected
