"""Benchmark: `ansible-inventory --list` with ptero.panel.pterodactyl against ansible-core's own floor and py-dactyl.

Not part of `make test`. It starts the panel emulator with a large data set and a fixed added latency per request,
then runs every listing below as a whole process (interpreter start-up included) several times, taking them in
turn, and reports medians, peak memory (the finished process's own accounting, `wait4`) and the ratios the targets
are stated in. Whole-process times depend on the machine: compare the RATIOS, which are measured in the same run.

    .venv/bin/python tests/bench/inventory_bench.py                    # print the tables (ansible-core of .venv)
    .venv/bin/python tests/bench/inventory_bench.py \\
        --ansible .venv/bin --ansible .venv-ansible-2.16/bin --write # both lines, write docs/benchmarks.md
    .venv/bin/python tests/bench/inventory_bench.py serve              # keep a panel running for an external timer

Listings, for each ansible-core given with --ansible:
  inventory        `ansible-inventory --list` with default options.
  inventory-all    the same with `extra_hostvars: [all]` (every field stored, the default before the lean set).
  floor            `ansible-inventory --list` with bench_replay (tests/bench/inventory_plugins): the same host names
                   and group memberships as `inventory`, no host variables. What ansible-core costs for the hosts.
  replay-vars      bench_replay with the host variables `inventory` produced: everything but the plugin's own work.
  playbook         `ansible-playbook --limit <one server>`, one `debug` task, with the plugin's inventory.
  playbook-floor   the same play with the floor's inventory.
and once:
  client-full      the inventory's requests through ptero.panel's PanelClient alone (no Ansible).
  pydactyl         `PterodactylClient(url, key).servers.list_servers().collect()` and the same for nodes.

Targets: inventory / floor <= 2.5; (inventory - replay-vars) / pydactyl <= 0.35; playbook beside playbook-floor;
peak memory of `ansible-inventory --list` at 10,000 servers before (--before-ref, the plugin of an older commit)
and after (`--memory-seed`, 3 runs each).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tools"))

from collection_tree import link_collection  # noqa: E402

from ptero_emulator.config import EmulatorConfig  # noqa: E402
from ptero_emulator.fixture import RunningEmulator, start_emulator  # noqa: E402

SEED = "scale:servers=5000,nodes=50,users=2500,locations=10"
MEMORY_SEED = "scale:servers=10000,nodes=100,users=5000,locations=10"
LATENCY_MS = 20
BIN = Path(sys.executable).parent
RESULTS = ROOT / "docs" / "benchmarks.md"
REPLAY_PLUGINS = Path(__file__).resolve().parent / "inventory_plugins"
# The inventory plugin before the lean host variables (issue 13): the "before" of the memory figures.
BEFORE_REF = "3009109"
# The panel's request limit would throttle repeated runs; it is not what is measured here.
BENCH_RATE_LIMIT = 1_000_000
RUN_TIMEOUT_SECONDS = 900
MEMORY_RUNS = 3
KIB_PER_MIB = 1024

PER_ANSIBLE = ("inventory", "inventory-all", "floor", "replay-vars", "playbook", "playbook-floor")
ONCE = ("client-full", "pydactyl")
LABELS = {
    "inventory": "`ansible-inventory --list`, default options",
    "inventory-all": "`ansible-inventory --list`, `extra_hostvars: [all]`",
    "floor": "floor: the same hosts and groups replayed, no host vars",
    "replay-vars": "the same hosts replayed with the plugin's host vars",
    "playbook": "`ansible-playbook --limit <one server>`, one debug task",
    "playbook-floor": "the same play on the floor's inventory",
    "client-full": "ptero.panel PanelClient alone, the inventory's requests",
    "pydactyl": "py-dactyl `list_servers().collect()` + `list_nodes().collect()`",
}


# ---------------------------------------------------------------------------------------------------- subcommands
def panel_client_listing(full: bool) -> int:
    """The inventory's listings (`full`) or py-dactyl's (servers and nodes) through PanelClient; prints counts."""
    sys.path.insert(0, os.environ["ANSIBLE_COLLECTIONS_PATH"])
    from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient

    with PanelClient(os.environ["PTERODACTYL_URL"], os.environ["PTERODACTYL_API_KEY"]) as client:
        if full:
            servers = client.collect("application.servers.list", query={"include": "allocations,user"})
            client.collect("application.locations.list")
            client.collect("application.nests.list", query={"include": "eggs"})
        else:
            servers = client.collect("application.servers.list")
        nodes = client.collect("application.nodes.list")
    print(json.dumps({"servers": len(servers), "nodes": len(nodes)}))
    return 0


def pydactyl_listing() -> int:
    """One py-dactyl listing of every server and node (the `pydactyl` subcommand); prints the counts."""
    from pydactyl import PterodactylClient

    client = PterodactylClient(os.environ["PTERODACTYL_URL"], os.environ["PTERODACTYL_API_KEY"])
    servers = client.servers.list_servers().collect()
    nodes = client.nodes.list_nodes().collect()
    print(json.dumps({"servers": len(servers), "nodes": len(nodes)}))
    return 0


# ---------------------------------------------------------------------------------------------------- processes
@dataclass
class Sample:
    seconds: float
    peak_kib: int
    stdout: str


# Starts the measured command and writes its peak resident memory (wait4) to argv[1]. Linux keeps a process's
# peak across fork and exec, so the command must be started from this small process, not from the harness
# (whose own peak, with the listings it has read, would hide the command's).
LAUNCHER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execvp(sys.argv[2], sys.argv[2:])\n"
    "_pid, status, usage = os.wait4(pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_process(cmd: list[str], env: dict[str, str], directory: Path) -> Sample:
    """Run `cmd` to its end; wall time, the peak resident memory of the command (and the children it waited for)
    and its standard output (through a file: a pipe would add its own cost to a big output)."""
    out_path = directory / "stdout.txt"
    err_path = directory / "stderr.txt"
    peak_path = directory / "peak.txt"
    launcher = [sys.executable, "-S", "-E", "-c", LAUNCHER, str(peak_path)]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        completed = subprocess.run(
            launcher + cmd,
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )
        elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({completed.returncode}):\n{err_path.read_text()[-3000:]}")
    return Sample(elapsed, int(peak_path.read_text()), out_path.read_text())


def ansible_version(bin_dir: Path) -> str:
    out = subprocess.run([str(bin_dir / "ansible"), "--version"], capture_output=True, text=True, check=True).stdout
    return out.split("[core ", 1)[1].split("]", 1)[0]


def environment(emulator: RunningEmulator, collections: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        PTERODACTYL_URL=emulator.url,
        PTERODACTYL_API_KEY=emulator.application_key,
        ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
        ANSIBLE_INVENTORY_PLUGINS=str(REPLAY_PLUGINS),
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_NOCOLOR="1",
    )
    env.pop("PTERODACTYL_CLIENT_API_KEY", None)
    return env


def start_panel(directory: Path, seed: str, latency_ms: int) -> RunningEmulator:
    started = time.perf_counter()
    emulator = start_emulator(directory, seed=seed, latency_ms=latency_ms)
    emulator.configure(app_rate_limit=BENCH_RATE_LIMIT)
    print(
        f"panel emulator with {seed} and {latency_ms} ms latency ready in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return emulator


def expected_hosts(seed: str) -> int:
    _kind, counts = EmulatorConfig.parse_seed(seed)
    return counts["servers"] + counts["nodes"]


# ---------------------------------------------------------------------------------------------------- the replay
def plain(value: Any) -> Any:
    """ansible-inventory's JSON without the `__ansible_unsafe` wrappers ansible-core 2.19 adds."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return plain(value["__ansible_unsafe"])
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def replay_data(listing: dict[str, Any]) -> dict[str, Any]:
    """What bench_replay needs from an `ansible-inventory --list` output: hosts, groups, host variables."""
    hostvars = plain(listing["_meta"]["hostvars"])
    groups = {
        name: {"hosts": content.get("hosts", []), "children": content.get("children", [])}
        for name, content in listing.items()
        if name not in ("_meta", "all", "ungrouped")
    }
    hosts = list(hostvars)
    for content in groups.values():
        hosts.extend(host for host in content["hosts"] if host not in hostvars)
    return {"hosts": hosts, "groups": groups, "hostvars": hostvars}


def same_hostvars(recorded: Sample, replayed: Sample) -> None:
    """The replay with vars must hold exactly what the plugin's run held (values and their marking, which decides
    how they are printed), or the difference between the two runs is not the plugin's own work."""
    if json.loads(replayed.stdout)["_meta"]["hostvars"] != json.loads(recorded.stdout)["_meta"]["hostvars"]:
        raise SystemExit("replay-vars: the replayed host variables differ from the plugin's")


@dataclass
class Line:
    """One ansible-core installation and the files its listings use."""

    bin_dir: Path
    version: str
    directory: Path
    limit_host: str = ""
    commands: dict[str, list[str]] = field(default_factory=dict)

    def prepare(self, env: dict[str, str]) -> None:
        """Write the configurations, record the plugin's listing once, and build the commands."""
        self.directory.mkdir(parents=True, exist_ok=True)
        default = self.directory / "bench.pterodactyl.yml"
        default.write_text("plugin: ptero.panel.pterodactyl\n")
        everything = self.directory / "all" / "bench.pterodactyl.yml"
        everything.parent.mkdir(exist_ok=True)
        everything.write_text("plugin: ptero.panel.pterodactyl\nextra_hostvars: [all]\n")
        recorded = run_process(
            [str(self.bin_dir / "ansible-inventory"), "-i", str(default), "--list"], env, self.directory
        )
        data = replay_data(json.loads(recorded.stdout))
        (self.directory / "replay.json").write_text(json.dumps(data))
        floor = self.directory / "floor.replay.yml"
        floor.write_text(f"plugin: bench_replay\ndata: {self.directory / 'replay.json'}\n")
        with_vars = self.directory / "vars.replay.yml"
        with_vars.write_text(f"plugin: bench_replay\ndata: {self.directory / 'replay.json'}\nwith_vars: true\n")
        same_hostvars(
            recorded,
            run_process([str(self.bin_dir / "ansible-inventory"), "-i", str(with_vars), "--list"], env, self.directory),
        )
        self.limit_host = sorted(data["groups"]["pterodactyl_servers"]["hosts"])[len(data["hosts"]) // 3]
        play = self.directory / "one.yml"
        play.write_text(
            "- hosts: all\n  gather_facts: false\n  tasks:\n"
            "    - ansible.builtin.debug:\n        msg: '{{ inventory_hostname }}'\n"
        )
        inventory = str(self.bin_dir / "ansible-inventory")
        playbook = str(self.bin_dir / "ansible-playbook")
        self.commands = {
            "inventory": [inventory, "-i", str(default), "--list"],
            "inventory-all": [inventory, "-i", str(everything), "--list"],
            "floor": [inventory, "-i", str(floor), "--list"],
            "replay-vars": [inventory, "-i", str(with_vars), "--list"],
            "playbook": [playbook, "-i", str(default), str(play), "--limit", self.limit_host],
            "playbook-floor": [playbook, "-i", str(floor), str(play), "--limit", self.limit_host],
        }


def check(name: str, sample: Sample, expected: int, limit_host: str) -> None:
    """Every listing must really have listed the whole panel; the play must have run on its one host."""
    if name.startswith("playbook"):
        if f"ok: [{limit_host}]" not in sample.stdout or sample.stdout.count("ok: [") != 1:
            raise SystemExit(f"{name}: the play did not run on {limit_host} alone:\n{sample.stdout[-2000:]}")
        return
    if name in ONCE:
        counts = json.loads(sample.stdout.strip().splitlines()[-1])
        found = counts["servers"] + counts["nodes"]
    elif name == "floor":
        # No host variables, so no hostvars entries: count the hosts of its groups instead.
        listing = json.loads(sample.stdout)
        if any(listing["_meta"]["hostvars"].values()):
            raise SystemExit("floor: it set host variables")
        found = len(
            {host for group, content in listing.items() if group != "_meta" for host in content.get("hosts", [])}
        )
    else:
        found = len(json.loads(sample.stdout)["_meta"]["hostvars"])
    if found != expected:
        raise SystemExit(f"{name}: listed {found} servers and nodes, expected {expected}")


# ---------------------------------------------------------------------------------------------------- measuring
Results = dict[str, dict[str, list[float]]]


def measure(
    emulator: RunningEmulator, env: dict[str, str], lines: list[Line], runs: int, expected: int, directory: Path
) -> Results:
    """`runs` rounds, each taking every listing once in turn (after one warm-up round), so a drift of the
    machine's speed hits them all alike. Returns seconds, peak KiB and request counts per listing key."""
    script = [sys.executable, str(Path(__file__).resolve())]
    jobs: list[tuple[str, list[str], str]] = []
    for line in lines:
        jobs.extend((f"{line.version}:{name}", line.commands[name], line.limit_host) for name in PER_ANSIBLE)
    jobs.extend((name, [*script, name], "") for name in ONCE)
    results: Results = {key: {"seconds": [], "peak_kib": [], "requests": []} for key, _cmd, _host in jobs}
    for round_number in range(runs + 1):
        for key, cmd, limit_host in jobs:
            emulator.clear_requests()
            sample = run_process(cmd, env, directory)
            check(key.split(":")[-1], sample, expected, limit_host)
            count = sum(1 for entry in emulator.requests() if entry["path"].startswith("/api/"))
            if round_number:
                results[key]["seconds"].append(sample.seconds)
                results[key]["peak_kib"].append(sample.peak_kib)
                results[key]["requests"].append(count)
            print(
                f"  {'run ' + str(round_number) if round_number else 'warm-up'}: {key}: {sample.seconds:.2f} s, "
                f"{sample.peak_kib / KIB_PER_MIB:.0f} MiB, {count} requests",
                flush=True,
            )
    return results


def before_collection(directory: Path, ref: str) -> Path:
    """The collection as it was at `ref` (git archive), laid out for ANSIBLE_COLLECTIONS_PATH."""
    target = directory / "ansible_collections" / "ptero" / "panel"
    target.mkdir(parents=True, exist_ok=True)
    archive = directory / "before.tar"
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), ref], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target)  # our own repository's content
    return directory


def measure_memory(
    lines: list[Line], seed: str, latency_ms: int, before_ref: str, directory: Path, collections: Path
) -> dict[str, dict[str, list[int]]]:
    """Peak memory of `ansible-inventory --list` (default options) at `seed`, with the plugin of `before_ref`
    and with the current one, MEMORY_RUNS runs each, per ansible-core line."""
    before = before_collection(directory / "before", before_ref)
    emulator = start_panel(directory / "memory-panel", seed, latency_ms)
    config = directory / "memory.pterodactyl.yml"
    config.write_text("plugin: ptero.panel.pterodactyl\n")
    found: dict[str, dict[str, list[int]]] = {}
    expected = expected_hosts(seed)
    try:
        for line in lines:
            for label, tree in (("before", before), ("after", collections)):
                env = environment(emulator, tree)
                key = f"{line.version}:{label}"
                found[key] = {"peak_kib": [], "seconds": []}
                for _run in range(MEMORY_RUNS):
                    sample = run_process(
                        [str(line.bin_dir / "ansible-inventory"), "-i", str(config), "--list"], env, directory
                    )
                    check("inventory", sample, expected, "")
                    found[key]["peak_kib"].append(sample.peak_kib)
                    found[key]["seconds"].append(sample.seconds)
                    print(
                        f"  memory {key}: {sample.peak_kib / KIB_PER_MIB:.0f} MiB, {sample.seconds:.1f} s", flush=True
                    )
    finally:
        emulator.stop()
    return found


# ---------------------------------------------------------------------------------------------------- report
def median(values: list[float]) -> float:
    return statistics.median(values)


def targets_table(results: Results, memory: dict[str, dict[str, list[int]]], versions: list[str]) -> str:
    def seconds(key: str) -> float:
        return median(results[key]["seconds"])

    def paired(numerator: list[float], denominator: list[float]) -> float:
        """The median of the ratios taken round by round: both sides ran in the same round, so a drift of the
        machine's speed between rounds cancels out."""
        return median([top / bottom for top, bottom in zip(numerator, denominator, strict=False)])

    def runs(key: str) -> list[float]:
        return results[key]["seconds"]

    pydactyl = seconds("pydactyl")
    rows = {"inventory / floor": [], "own cost / py-dactyl": [], "playbook / floor": [], "memory": []}
    for version in versions:
        inventory, floor = seconds(f"{version}:inventory"), seconds(f"{version}:floor")
        replayed = seconds(f"{version}:replay-vars")
        playbook, playbook_floor = seconds(f"{version}:playbook"), seconds(f"{version}:playbook-floor")
        pairs = zip(runs(f"{version}:inventory"), runs(f"{version}:replay-vars"), strict=False)
        own_runs = [total - replay for total, replay in pairs]
        rows["inventory / floor"].append(
            f"**{paired(runs(f'{version}:inventory'), runs(f'{version}:floor')):.2f}×** "
            f"({inventory:.2f} s / {floor:.2f} s)"
        )
        rows["own cost / py-dactyl"].append(
            f"**{paired(own_runs, runs('pydactyl')):.2f}×** (({inventory:.2f} s − {replayed:.2f} s) / {pydactyl:.2f} s)"
        )
        rows["playbook / floor"].append(
            f"**{paired(runs(f'{version}:playbook'), runs(f'{version}:playbook-floor')):.2f}×** "
            f"({playbook:.2f} s / {playbook_floor:.2f} s)"
        )
        if memory:
            before = median(memory[f"{version}:before"]["peak_kib"]) / KIB_PER_MIB
            after = median(memory[f"{version}:after"]["peak_kib"]) / KIB_PER_MIB
            rows["memory"].append(f"**{after / before:.2f}×** ({before:.0f} MiB → {after:.0f} MiB)")
    names = {
        "inventory / floor": ("`ansible-inventory --list`, default options, / the floor", "≤ 2.5×"),
        "own cost / py-dactyl": (
            "the plugin's own cost (its time − the same hosts replayed with its vars) / "
            "py-dactyl's `collect()` of servers and nodes",
            "≤ 0.35×",
        ),
        "playbook / floor": (
            "`ansible-playbook --limit <one server>`, one debug task / the same on the floor",
            "reported",
        ),
        "memory": ("peak memory of `ansible-inventory --list` at the memory seed (below), after / before", "reported"),
    }
    lines = [
        "| measure | " + " | ".join(f"ansible-core {version}" for version in versions) + " | target |",
        "|---|" + "---|" * len(versions) + "---|",
    ]
    for key, cells in rows.items():
        if cells:
            lines.append(f"| {names[key][0]} | " + " | ".join(cells) + f" | {names[key][1]} |")
    return "\n".join(lines)


def detail_table(results: Results, versions: list[str]) -> str:
    lines = [
        "| listing | ansible-core | median wall (s) | min - max (s) | median peak (MiB) | HTTP requests |",
        "|---|---|---|---|---|---|",
    ]
    for key, measured in results.items():
        version, _sep, name = key.rpartition(":")
        seconds = measured["seconds"]
        requests_sent = ", ".join(str(n) for n in sorted(set(measured["requests"])))
        lines.append(
            f"| {LABELS[name]} | {version or '-'} | {median(seconds):.2f} | {min(seconds):.2f} - "
            f"{max(seconds):.2f} | {median(measured['peak_kib']) / KIB_PER_MIB:.0f} | {requests_sent} |"
        )
    return "\n".join(lines)


def memory_table(memory: dict[str, dict[str, list[int]]]) -> str:
    lines = ["| plugin | ansible-core | median peak (MiB) | runs (MiB) | median wall (s) |", "|---|---|---|---|---|"]
    for key, measured in memory.items():
        version, label = key.split(":")
        runs = ", ".join(f"{kib / KIB_PER_MIB:.0f}" for kib in measured["peak_kib"])
        lines.append(
            f"| {label} | {version} | {median(measured['peak_kib']) / KIB_PER_MIB:.0f} | {runs} | "
            f"{median(measured['seconds']):.1f} |"
        )
    return "\n".join(lines)


REPOSITORY = "https://github.com/ptero/panel/blob/main/"
NOTES = f"""### How to read it

* **Compare the ratios.** Every figure is a whole process (interpreter start-up included) on a shared 2-core
  machine; the absolute seconds move with the machine and its load, the ratios much less, because the two sides
  of each ratio were measured in the same rounds, taken in turn.
* **The floor** is ansible-core holding the same host names and group memberships with no host variables,
  handed over by a trivial inventory plugin
  ([`tests/bench/inventory_plugins/bench_replay.py`]({REPOSITORY}tests/bench/inventory_plugins/bench_replay.py),
  developer material in the repository, not part of the installed collection); nothing can list these hosts
  faster in Ansible. **Replayed with vars** is the same with the host variables the plugin produced, stored the
  way the plugin stores them (its `HostVarStore`; the benchmark checks that both runs print the same host
  variables): the difference between it and the plugin's run is the plugin's own work (requests, joining, naming).
* **Host variables are what cost.** ansible-core keeps, combines and prints every stored value of every host, on
  every run that loads the inventory, a cache hit included: `extra_hostvars: [all]` (every field, about 35
  variables and 2.3 KB a server) is the row to compare with the default's. On ansible-core 2.19 it would also copy
  and tag each value with its origin as it is set; the plugin does that once per distinct value instead (same
  values, same tags).
* **Requests.** One request per 100 servers (with allocations and owner, in id order), plus one each for nodes,
  locations and nests with their eggs, and the client's one flavour probe (`panel: auto`, a request without the
  key). Every listing is queued at once with at most 8 requests in flight, within the client's connection pool,
  and each page's hosts go to ansible-core while the later pages are still on the wire. py-dactyl's `collect()`
  walks pages of 50 one after another and cannot fetch allocations or owners this way. The emulator's request
  limit is lifted for the repeated runs.
"""


def write_report(
    path: Path,
    seed: str,
    latency_ms: int,
    runs: int,
    versions: list[str],
    results: Results,
    memory: dict[str, dict[str, list[int]]],
    memory_seed: str,
    before_ref: str,
) -> str:
    _kind, counts = EmulatorConfig.parse_seed(seed)
    report = [
        "# Benchmarks",
        "",
        f"## Dynamic inventory: {counts['servers']:,} servers and {counts['nodes']:,} nodes",
        "",
        f"Measured with [`tests/bench/inventory_bench.py`]({REPOSITORY}tests/bench/inventory_bench.py) (developer "
        f"material in the repository, not part of the installed collection) against the repository's panel "
        f"emulator: seed `{seed}`, {latency_ms} ms added per request, whole processes, median of {runs} rounds "
        "taking every listing in turn. A ratio is the median of the ratios taken round by round; the seconds beside "
        "it are the medians of each side.",
        "",
        "### Targets",
        "",
        targets_table(results, memory, versions),
        "",
        "### Every listing",
        "",
        detail_table(results, versions),
        "",
    ]
    if memory:
        report += [
            f"### Peak memory at `{memory_seed}`",
            "",
            f"`ansible-inventory --list` with default options; before = the plugin at commit `{before_ref}` "
            f"(every field stored), after = now; {MEMORY_RUNS} runs each, peak resident memory of the "
            "process (`wait4`).",
            "",
            memory_table(memory),
            "",
        ]
    report.append(NOTES)
    text = "\n".join(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


# ---------------------------------------------------------------------------------------------------- modes
def serve(directory: Path, seed: str, latency_ms: int, bin_dir: Path) -> int:
    collections = directory / "collections"
    link_collection(collections)
    emulator = start_panel(directory, seed, latency_ms)
    env = environment(emulator, collections)
    line = Line(bin_dir, ansible_version(bin_dir), directory / "line")
    line.prepare(env)
    print(
        "\nexport "
        + " ".join(
            f"{name}={env[name]}"
            for name in (
                "ANSIBLE_COLLECTIONS_PATH",
                "ANSIBLE_INVENTORY_PLUGINS",
                "PTERODACTYL_URL",
                "PTERODACTYL_API_KEY",
            )
        )
    )
    for name, cmd in line.commands.items():
        print(f"# {LABELS[name]}\n{' '.join(cmd)}")
    print("\n(Ctrl-C or SIGTERM stops the panel)", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *args: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def results_from_log(log: Path) -> tuple[Results, dict[str, dict[str, list[int]]], list[str]]:
    """The measurements printed by an earlier run (its log), to render the report again."""
    import re

    results: Results = {}
    memory: dict[str, dict[str, list[int]]] = {}
    versions: list[str] = []
    for line in log.read_text().splitlines():
        run = re.match(r"\s+run \d+: (\S+): ([\d.]+) s, (\d+) MiB, (\d+) requests", line)
        if run:
            key = run.group(1)
            entry = results.setdefault(key, {"seconds": [], "peak_kib": [], "requests": []})
            entry["seconds"].append(float(run.group(2)))
            entry["peak_kib"].append(int(run.group(3)) * KIB_PER_MIB)
            entry["requests"].append(int(run.group(4)))
            version = key.rpartition(":")[0]
            if version and version not in versions:
                versions.append(version)
        peak = re.match(r"\s+memory (\S+): (\d+) MiB, ([\d.]+) s", line)
        if peak:
            entry = memory.setdefault(peak.group(1), {"peak_kib": [], "seconds": []})
            entry["peak_kib"].append(int(peak.group(2)) * KIB_PER_MIB)
            entry["seconds"].append(float(peak.group(3)))
    return results, memory, versions


def main() -> int:
    # SIGTERM unwinds like Ctrl-C, so the emulator and a running listing are stopped too.
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "mode", nargs="?", choices=["run", "serve", "pydactyl", "client-full", "client-plain"], default="run"
    )
    parser.add_argument("--runs", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument(
        "--ansible",
        action="append",
        type=Path,
        help="bin directory of an ansible-core installation; repeat for several (default: this one)",
    )
    parser.add_argument("--write", action="store_true", help=f"write the report to {RESULTS.relative_to(ROOT)}")
    parser.add_argument("--seed", default=SEED, help=f"emulator data set (default {SEED})")
    parser.add_argument("--latency-ms", type=int, default=LATENCY_MS, help=f"added latency (default {LATENCY_MS})")
    parser.add_argument(
        "--memory-seed",
        default=MEMORY_SEED,
        help=f"data set of the memory figures (default {MEMORY_SEED}); empty to skip them",
    )
    parser.add_argument("--before-ref", default=BEFORE_REF, help="git commit of the 'before' plugin")
    parser.add_argument("--from-log", type=Path, help="render the report from the printed log of an earlier run")
    args = parser.parse_args()
    if args.from_log:
        results, memory, versions = results_from_log(args.from_log)
        runs = len(next(iter(results.values()))["seconds"])
        print(
            write_report(
                RESULTS if args.write else Path(tempfile.gettempdir()) / "ptero-benchmarks.md",
                args.seed,
                args.latency_ms,
                runs,
                versions,
                results,
                memory,
                args.memory_seed,
                args.before_ref,
            )
        )
        return 0
    if args.mode == "pydactyl":
        return pydactyl_listing()
    if args.mode in ("client-full", "client-plain"):
        return panel_client_listing(args.mode == "client-full")
    bin_dirs = [path.resolve() if not path.is_absolute() else path for path in (args.ansible or [BIN])]
    with tempfile.TemporaryDirectory(prefix="ptero-bench-") as tmp:
        directory = Path(tmp)
        if args.mode == "serve":
            return serve(directory, args.seed, args.latency_ms, bin_dirs[0])
        collections = directory / "collections"
        link_collection(collections)
        emulator = start_panel(directory / "panel", args.seed, args.latency_ms)
        try:
            env = environment(emulator, collections)
            lines = [
                Line(bin_dir, ansible_version(bin_dir), directory / f"line{number}")
                for number, bin_dir in enumerate(bin_dirs)
            ]
            for line in lines:
                line.prepare(env)
            results = measure(emulator, env, lines, args.runs, expected_hosts(args.seed), directory)
        finally:
            emulator.stop()
        memory = {}
        if args.memory_seed:
            memory = measure_memory(lines, args.memory_seed, args.latency_ms, args.before_ref, directory, collections)
    versions = [line.version for line in lines]
    report = write_report(
        RESULTS if args.write else Path(tempfile.gettempdir()) / "ptero-benchmarks.md",
        args.seed,
        args.latency_ms,
        args.runs,
        versions,
        results,
        memory,
        args.memory_seed,
        args.before_ref,
    )
    print("\n" + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
