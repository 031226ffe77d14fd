"""Benchmark: `ansible-inventory --list` with ptero.panel.pterodactyl against a py-dactyl listing of the same panel.

Not part of `make test`. It starts the panel emulator with a large data set and a fixed added latency per request,
then runs every listing below as a whole process (interpreter start-up included) several times, in turn, and
reports the medians, their ratio to py-dactyl and the number of HTTP requests each sent (the emulator's log):

    .venv/bin/python tests/bench/inventory_bench.py                  # print the table
    .venv/bin/python tests/bench/inventory_bench.py --write          # also write docs/benchmarks.md
    .venv/bin/python tests/bench/inventory_bench.py serve            # keep a panel running for an external timer
    .venv/bin/python tests/bench/inventory_bench.py pydactyl         # one listing (client-full, client-plain too)

`serve` prints the environment (PTERODACTYL_URL, PTERODACTYL_API_KEY, ANSIBLE_COLLECTIONS_PATH) and the commands,
with the inventory cache already filled, so any whole-process timer (hyperfine, /usr/bin/time -v) can run them.

Listings:
  inventory        `ansible-inventory --list`: servers with allocations and owner, nodes, locations, nests and eggs.
  inventory-cached the same with a filled inventory cache: no request, only ansible-core's own work for the hosts.
  client-full      the inventory's requests through ptero.panel's PanelClient alone (no Ansible).
  client-plain     PanelClient listing what py-dactyl lists: servers and nodes without includes.
  pydactyl         `PterodactylClient(url, key).servers.list_servers().collect()` and the same for nodes: its
                   default page size, pages fetched one after another. Its pagination drops includes and per_page
                   after the first page, so it cannot list allocations or owners this way at all.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "tools"))

from collection_tree import link_collection  # noqa: E402
from tests.emulator.config import EmulatorConfig  # noqa: E402
from tests.emulator.fixture import RunningEmulator, start_emulator  # noqa: E402

SEED = "scale:servers=10000,nodes=100,users=5000,locations=10"
LATENCY_MS = 20
BIN = Path(sys.executable).parent
RESULTS = ROOT / "docs" / "benchmarks.md"
# The panel's 240 requests/minute/user limit would throttle repeated runs; it is not what is measured here.
BENCH_RATE_LIMIT = 1_000_000
RUN_TIMEOUT_SECONDS = 900
COLLECTIONS_ENV = "ANSIBLE_COLLECTIONS_PATH"
BASELINE = "pydactyl"
WARM_UP = ("inventory-cached", "client-plain", BASELINE)
PAGE_SAMPLES = 3


def panel_client_listing(full: bool) -> int:
    """The inventory's listings (`full`) or py-dactyl's (servers and nodes) through PanelClient; prints counts."""
    sys.path.insert(0, os.environ[COLLECTIONS_ENV])
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


def inventory_configs(directory: Path) -> tuple[Path, Path]:
    """The plain inventory file and one with a jsonfile cache (filled by its first run)."""
    plain = directory / "bench.pterodactyl.yml"
    plain.write_text("plugin: ptero.panel.pterodactyl\n")
    cached = directory / "cached" / "bench.pterodactyl.yml"
    cached.parent.mkdir(exist_ok=True)
    cached.write_text("plugin: ptero.panel.pterodactyl\ncache: true\ncache_plugin: ansible.builtin.jsonfile\n"
                      f"cache_connection: {directory / 'cache'}\ncache_timeout: 86400\n")
    return plain, cached


def commands(directory: Path) -> dict[str, list[str]]:
    plain, cached = inventory_configs(directory)
    script = [sys.executable, str(Path(__file__).resolve())]
    return {
        "inventory": [str(BIN / "ansible-inventory"), "-i", str(plain), "--list"],
        "inventory-cached": [str(BIN / "ansible-inventory"), "-i", str(cached), "--list"],
        "client-full": script + ["client-full"],
        "client-plain": script + ["client-plain"],
        BASELINE: script + ["pydactyl"],
    }


LABELS = {
    "inventory": "`ansible-inventory --list` (ptero.panel.pterodactyl)",
    "inventory-cached": "`ansible-inventory --list`, inventory cache filled",
    "client-full": "ptero.panel PanelClient, the inventory's listings",
    "client-plain": "ptero.panel PanelClient, servers + nodes",
    BASELINE: "py-dactyl `list_servers().collect()` + `list_nodes().collect()`",
}


def start_panel(directory: Path, seed: str, latency_ms: int) -> RunningEmulator:
    started = time.perf_counter()
    emulator = start_emulator(directory, seed=seed, latency_ms=latency_ms)
    emulator.configure(app_rate_limit=BENCH_RATE_LIMIT)
    print(f"panel emulator with {seed} and {latency_ms} ms latency ready in {time.perf_counter() - started:.1f} s",
          flush=True)
    return emulator


def environment(emulator: RunningEmulator, collections: Path) -> dict[str, str]:
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), PTERODACTYL_URL=emulator.url,
                PTERODACTYL_API_KEY=emulator.application_key, ANSIBLE_INVENTORY_UNPARSED_FAILED="1")


def expected_hosts(seed: str) -> int:
    _kind, counts = EmulatorConfig.parse_seed(seed)
    return counts["servers"] + counts["nodes"]


def check_output(name: str, stdout: str, expected: int) -> None:
    """Every listing must really have listed the whole panel."""
    if name.startswith("inventory"):
        found = len(json.loads(stdout)["_meta"]["hostvars"])
    else:
        counts = json.loads(stdout.strip().splitlines()[-1])
        found = counts["servers"] + counts["nodes"]
    if found != expected:
        raise SystemExit(f"{name}: listed {found} servers and nodes, expected {expected}")


def measure(emulator: RunningEmulator, env: dict[str, str], directory: Path, runs: int,
            expected: int) -> dict[str, dict[str, Any]]:
    listings = commands(directory)
    results: dict[str, dict[str, Any]] = {name: {"seconds": [], "requests": []} for name in listings}
    # A warm-up of the cheap listings (it also fills the inventory cache), then `runs` rounds taking the listings
    # in turn, so a drift of the machine's speed hits them alike.
    for round_number in range(runs + 1):
        for name, cmd in listings.items():
            if not round_number and name not in WARM_UP:
                continue
            emulator.clear_requests()
            started = time.perf_counter()
            completed = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                                       timeout=RUN_TIMEOUT_SECONDS, check=False)
            elapsed = time.perf_counter() - started
            if completed.returncode != 0:
                raise SystemExit(f"{name} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
            check_output(name, completed.stdout, expected)
            count = sum(1 for entry in emulator.requests() if entry["path"].startswith("/api/"))
            if round_number:
                results[name]["seconds"].append(elapsed)
                results[name]["requests"].append(count)
            print(f"  {'run ' + str(round_number) if round_number else 'warm-up'}: {name}: {elapsed:.2f} s, "
                  f"{count} requests", flush=True)
    return results


def page_costs(emulator: RunningEmulator) -> dict[str, float]:
    """Median seconds the panel takes to answer one page of 100 servers, with and without the inventory's
    includes (the emulator's own work dominates the listings that ask for them)."""
    costs = {}
    for label, query in (("no includes", "per_page=100&page=2"),
                         ("include=allocations,user", "per_page=100&page=2&include=allocations,user")):
        samples = []
        for _sample in range(PAGE_SAMPLES):
            started = time.perf_counter()
            response = requests.get(f"{emulator.url}/api/application/servers?{query}", timeout=RUN_TIMEOUT_SECONDS,
                                    headers=emulator.headers("application"))
            response.raise_for_status()
            samples.append(time.perf_counter() - started)
        costs[label] = statistics.median(samples)
    return costs


NOTES = """How to read it:

* **Requests.** The inventory sends one request per 100 servers (servers with their allocations and owner) plus
  one each for nodes, locations and nests with their eggs, whatever the number of servers. py-dactyl's
  `collect()` walks pages of 50, one after another, and sends about twice as many requests for less data (no
  allocations, owners, locations or eggs); its pagination drops `include` and `per_page` after the first page, so
  it cannot fetch that data this way at all. The emulator's rate limit is lifted for the repeated runs; a real
  panel allows 240 application requests a minute per user.
* **Same listing, ptero.panel's client against py-dactyl** (the two last rows): pages of 100 fetched four at a
  time, half the requests.
* **What the inventory's time is made of.** Its HTTP side is the "PanelClient, the inventory's listings" row:
  the same requests without Ansible. The "cache filled" row sends no request at all: what is left is ansible-core
  building, tagging and printing the variables of this many hosts. That is most of the inventory's time, and what
  any repeated run costs with `cache: true`.
* Whole-process times on a shared machine: a wide min - max range means other work was running.
"""


def table(results: dict[str, dict[str, Any]], runs: int, seed: str, latency_ms: int,
          costs: dict[str, float]) -> str:
    medians = {name: statistics.median(results[name]["seconds"]) for name in results}
    baseline = medians[BASELINE]
    lines = [
        "| Listing | Median wall time (s) | Min - max (s) | HTTP requests | Time / py-dactyl's |",
        "|---|---|---|---|---|",
    ]
    for name, measured in results.items():
        seconds = measured["seconds"]
        requests_sent = sorted(set(measured["requests"]))
        lines.append(f"| {LABELS[name]} | {medians[name]:.2f} | {min(seconds):.2f} - {max(seconds):.2f} "
                     f"| {', '.join(str(n) for n in requests_sent)} | {medians[name] / baseline:.2f} |")
    lines.append("")
    lines.append(f"Whole processes (interpreter start-up included), median of {runs} runs taken in turn; emulator "
                 f"seed `{seed}`, {latency_ms} ms added latency per request.")
    lines.append("")
    lines.append("One page of 100 servers (`GET /api/application/servers?per_page=100`) takes the emulator "
                 + ", ".join(f"{seconds:.2f} s with {label}" for label, seconds in costs.items())
                 + " (latency included; median of 3).")
    return "\n".join(lines)


def serve(directory: Path, seed: str, latency_ms: int) -> int:
    collections = directory / "collections"
    link_collection(collections)
    emulator = start_panel(directory, seed, latency_ms)
    env = environment(emulator, collections)
    listings = commands(directory)
    # Fill the inventory cache so the cached listing is ready to time.
    subprocess.run(listings["inventory-cached"], env=env, cwd=ROOT, capture_output=True, timeout=RUN_TIMEOUT_SECONDS,
                   check=True)
    print("\nexport " + " ".join(f"{name}={env[name]}" for name in
                                 ("ANSIBLE_COLLECTIONS_PATH", "PTERODACTYL_URL", "PTERODACTYL_API_KEY")))
    for name, cmd in listings.items():
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


def main() -> int:
    # SIGTERM unwinds like Ctrl-C, so the emulator and a running listing are stopped too.
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", choices=["run", "serve", "pydactyl", "client-full", "client-plain"],
                        default="run")
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each side (default 5)")
    parser.add_argument("--write", action="store_true", help=f"write the table to {RESULTS.relative_to(ROOT)}")
    parser.add_argument("--seed", default=SEED, help=f"emulator data set (default {SEED})")
    parser.add_argument("--latency-ms", type=int, default=LATENCY_MS, help=f"added latency (default {LATENCY_MS})")
    args = parser.parse_args()
    if args.mode == "pydactyl":
        return pydactyl_listing()
    if args.mode in ("client-full", "client-plain"):
        return panel_client_listing(args.mode == "client-full")
    with tempfile.TemporaryDirectory(prefix="ptero-bench-") as tmp:
        directory = Path(tmp)
        if args.mode == "serve":
            return serve(directory, args.seed, args.latency_ms)
        collections = directory / "collections"
        link_collection(collections)
        emulator = start_panel(directory, args.seed, args.latency_ms)
        try:
            results = measure(emulator, environment(emulator, collections), directory, args.runs,
                              expected_hosts(args.seed))
            costs = page_costs(emulator)
        finally:
            emulator.stop()
    report = table(results, args.runs, args.seed, args.latency_ms, costs)
    print("\n" + report)
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        _kind, counts = EmulatorConfig.parse_seed(args.seed)
        RESULTS.write_text(f"# Benchmarks\n\n## Dynamic inventory: {counts['servers']:,} servers and "
                           f"{counts['nodes']:,} nodes\n\nMeasured with `tests/bench/inventory_bench.py`.\n\n"
                           f"{report}\n\n{NOTES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
