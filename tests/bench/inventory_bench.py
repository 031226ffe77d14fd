"""Benchmark: `ansible-inventory --list` with ptero.panel.pterodactyl against a py-dactyl listing of the same panel.

Not part of `make test`. It starts the panel emulator with a large data set and a fixed added latency per request,
then runs each side as a whole process (interpreter start-up included) several times, alternating, and reports the
medians, their ratio and the number of HTTP requests each side sent (from the emulator's request log):

    .venv/bin/python tests/bench/inventory_bench.py                  # print the table
    .venv/bin/python tests/bench/inventory_bench.py --write          # also write docs/benchmarks.md
    .venv/bin/python tests/bench/inventory_bench.py serve            # keep a panel running for an external timer
    .venv/bin/python tests/bench/inventory_bench.py pydactyl         # one py-dactyl listing (needs the env below)

`serve` prints the environment (PTERODACTYL_URL, PTERODACTYL_API_KEY, ANSIBLE_COLLECTIONS_PATH) and the two commands
to compare, so any whole-process timer (hyperfine, /usr/bin/time -v) can run them.

The py-dactyl side is `PterodactylClient(url, key).servers.list_servers().collect()` plus the same for nodes: its
default page size, pages fetched one after another. It gets less data (no allocations, owner, locations or eggs)
and its pagination drops includes and per_page after the first page, so it could not get them this way at all.
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

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "tools"))

from collection_tree import link_collection  # noqa: E402
from tests.emulator.fixture import RunningEmulator, start_emulator  # noqa: E402

SEED = "scale:servers=10000,nodes=100,users=5000,locations=10"
LATENCY_MS = 20
BIN = Path(sys.executable).parent
RESULTS = ROOT / "docs" / "benchmarks.md"
# The panel's 240 requests/minute/user limit would throttle repeated runs; it is not what is measured here.
BENCH_RATE_LIMIT = 1_000_000
RUN_TIMEOUT_SECONDS = 600


def pydactyl_listing() -> int:
    """One py-dactyl listing of every server and node (the `pydactyl` subcommand); prints the counts."""
    from pydactyl import PterodactylClient

    client = PterodactylClient(os.environ["PTERODACTYL_URL"], os.environ["PTERODACTYL_API_KEY"])
    servers = client.servers.list_servers().collect()
    nodes = client.nodes.list_nodes().collect()
    print(json.dumps({"servers": len(servers), "nodes": len(nodes)}))
    return 0


def inventory_config(directory: Path) -> Path:
    config = directory / "bench.pterodactyl.yml"
    config.write_text("plugin: ptero.panel.pterodactyl\n")
    return config


def commands(config: Path) -> dict[str, list[str]]:
    return {
        "ansible-inventory --list (ptero.panel.pterodactyl)": [str(BIN / "ansible-inventory"), "-i", str(config),
                                                               "--list"],
        "py-dactyl servers + nodes, .collect()": [sys.executable, str(Path(__file__).resolve()), "pydactyl"],
    }


def start_panel(directory: Path) -> RunningEmulator:
    started = time.perf_counter()
    emulator = start_emulator(directory, seed=SEED, latency_ms=LATENCY_MS)
    emulator.configure(app_rate_limit=BENCH_RATE_LIMIT)
    print(f"panel emulator with {SEED} and {LATENCY_MS} ms latency ready in {time.perf_counter() - started:.1f} s",
          flush=True)
    return emulator


def environment(emulator: RunningEmulator, collections: Path) -> dict[str, str]:
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), PTERODACTYL_URL=emulator.url,
                PTERODACTYL_API_KEY=emulator.application_key, ANSIBLE_INVENTORY_UNPARSED_FAILED="1")


def check_output(name: str, stdout: str) -> None:
    """Both sides must really have listed the whole panel."""
    if name.startswith("ansible-inventory"):
        hostvars = json.loads(stdout)["_meta"]["hostvars"]
        found = (len(hostvars), 10_100)
    else:
        counts = json.loads(stdout.strip().splitlines()[-1])
        found = (counts["servers"] + counts["nodes"], 10_100)
    if found[0] != found[1]:
        raise SystemExit(f"{name}: listed {found[0]} hosts, expected {found[1]}")


def measure(emulator: RunningEmulator, env: dict[str, str], config: Path, runs: int) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {name: {"seconds": [], "requests": []} for name in commands(config)}
    # One warm-up round, then `runs` rounds alternating the two sides so drift hits both alike.
    for round_number in range(runs + 1):
        for name, cmd in commands(config).items():
            emulator.clear_requests()
            started = time.perf_counter()
            completed = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                                       timeout=RUN_TIMEOUT_SECONDS, check=False)
            elapsed = time.perf_counter() - started
            if completed.returncode != 0:
                raise SystemExit(f"{name} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
            check_output(name, completed.stdout)
            count = sum(1 for entry in emulator.requests() if entry["path"].startswith("/api/"))
            if round_number:
                results[name]["seconds"].append(elapsed)
                results[name]["requests"].append(count)
            print(f"  {'run ' + str(round_number) if round_number else 'warm-up'}: {name}: {elapsed:.2f} s, "
                  f"{count} requests", flush=True)
    return results


def table(results: dict[str, dict[str, Any]], runs: int) -> str:
    names = list(results)
    medians = {name: statistics.median(results[name]["seconds"]) for name in names}
    baseline = medians[names[1]]
    lines = [
        "| Listing | Median wall time (s) | Min - max (s) | HTTP requests | Time vs py-dactyl |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        seconds = results[name]["seconds"]
        requests_sent = sorted(set(results[name]["requests"]))
        lines.append(f"| {name} | {medians[name]:.2f} | {min(seconds):.2f} - {max(seconds):.2f} "
                     f"| {', '.join(str(n) for n in requests_sent)} | {medians[name] / baseline:.2f}x |")
    lines.append("")
    lines.append(f"Whole processes (interpreter start-up included), median of {runs} alternating runs after one "
                 f"warm-up; emulator seed `{SEED}`, {LATENCY_MS} ms added latency per request.")
    return "\n".join(lines)


def serve(directory: Path) -> int:
    collections = directory / "collections"
    link_collection(collections)
    emulator = start_panel(directory)
    env = environment(emulator, collections)
    config = inventory_config(directory)
    print("\nexport " + " ".join(f"{name}={env[name]}" for name in
                                 ("ANSIBLE_COLLECTIONS_PATH", "PTERODACTYL_URL", "PTERODACTYL_API_KEY")))
    for name, cmd in commands(config).items():
        print(f"# {name}\n{' '.join(cmd)}")
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", choices=["run", "serve", "pydactyl"], default="run")
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each side (default 5)")
    parser.add_argument("--write", action="store_true", help=f"write the table to {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    if args.mode == "pydactyl":
        return pydactyl_listing()
    with tempfile.TemporaryDirectory(prefix="ptero-bench-") as tmp:
        directory = Path(tmp)
        if args.mode == "serve":
            return serve(directory)
        collections = directory / "collections"
        link_collection(collections)
        emulator = start_panel(directory)
        try:
            results = measure(emulator, environment(emulator, collections), inventory_config(directory), args.runs)
        finally:
            emulator.stop()
    report = table(results, args.runs)
    print("\n" + report)
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("# Benchmarks\n\n## Dynamic inventory: 10,000 servers and 100 nodes\n\n"
                           f"Measured with `tests/bench/inventory_bench.py`.\n\n{report}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
