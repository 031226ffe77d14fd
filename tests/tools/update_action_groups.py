"""Rewrite the action groups in meta/runtime.yml from plugins/modules (a module's API is the `api=` it passes)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    modules = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    application = [m for m in modules if 'api="application"' in (ROOT / "plugins" / "modules" / f"{m}.py").read_text()]
    groups = {"panel": modules, "application": application, "client": [m for m in modules if m not in application]}
    runtime = ROOT / "meta" / "runtime.yml"
    text = runtime.read_text()
    for name, members in groups.items():
        text = re.sub(
            rf"  {name}:( \[\])?\n(    - .*\n)*", f"  {name}:\n" + "".join(f"    - {m}\n" for m in members), text
        )
    runtime.write_text(text)


if __name__ == "__main__":
    main()
