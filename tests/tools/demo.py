"""`make demo`: start the panel emulator, run the example playbook twice and the inventory, stop the emulator.

What a newcomer sees: the first run changes things, the second changes nothing, and the inventory lists the
panel's servers and nodes. `make demo PANEL=pelican` (`--panel pelican`) does the same against the emulator playing
a Pelican panel, with the same playbook and inventory file.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tools"))

from collection_tree import link_collection  # noqa: E402

from ptero_emulator.fixture import start_emulator  # noqa: E402

BIN = Path(sys.executable).parent


def banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def run(cmd: list[str], env: dict[str, str]) -> str:
    print("$", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        raise SystemExit(f"demo failed: {' '.join(cmd)} exited {result.returncode}")
    return result.stdout


def recap_changed(output: str) -> int:
    return sum(int(n) for n in re.findall(r"changed=(\d+)", output))


def parse_panel(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--panel",
        choices=("pterodactyl", "pelican"),
        default="pterodactyl",
        help="which panel the emulator plays (default: pterodactyl)",
    )
    return str(parser.parse_args(argv).panel)


def main(argv: list[str] | None = None) -> int:
    panel = parse_panel(argv)
    with tempfile.TemporaryDirectory(prefix="ptero-demo-") as tmp:
        link_collection(Path(tmp))
        emulator = start_emulator(Path(tmp), seed="demo", install_seconds=1.0, power_seconds=0.3, flavour=panel)
        try:
            banner(f"{panel} panel emulator listening on {emulator.url}")
            env = dict(
                os.environ,
                ANSIBLE_COLLECTIONS_PATH=tmp,
                ANSIBLE_FORCE_COLOR="0",
                ANSIBLE_NOCOLOR="1",
                PTERODACTYL_URL=emulator.url,
                PTERODACTYL_API_KEY=emulator.application_key,
                PTERODACTYL_CLIENT_API_KEY=emulator.client_key,
                PTERODACTYL_PANEL=panel,
                ANSIBLE_STDOUT_CALLBACK="default",
                ANSIBLE_CALLBACK_RESULT_FORMAT="yaml",
                ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                ANSIBLE_LOCALHOST_WARNING="0",
                ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            )
            banner("first run: creates what the playbook declares")
            first = run([str(BIN / "ansible-playbook"), "examples/site.yml"], env)
            banner("second run: everything is already as declared")
            second = run([str(BIN / "ansible-playbook"), "examples/site.yml"], env)
            if recap_changed(first) == 0 or recap_changed(second) != 0:
                raise SystemExit("demo failed: expected changes on the first run and none on the second")
            inventory = ROOT / "examples" / "panel.pterodactyl.yml"
            if (ROOT / "plugins" / "inventory" / "pterodactyl.py").exists():
                banner("dynamic inventory of the panel")
                graph = run([str(BIN / "ansible-inventory"), "-i", str(inventory), "--graph"], env)
                if "@pterodactyl_servers" not in graph or "@pterodactyl_nodes" not in graph:
                    raise SystemExit("demo failed: the inventory listed no servers or no nodes")
            banner(f"done: first run changed {recap_changed(first)} task(s), second run changed 0")
        finally:
            emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
