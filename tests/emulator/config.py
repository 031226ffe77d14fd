"""Run-time settings of the panel emulator (timings, limits, feature flags)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EmulatorConfig:
    """Every knob of the emulator. All fields can be changed at run time via POST /_emulator/config."""

    host: str = "127.0.0.1"
    port: int = 0
    # "demo" = small realistic data set; "scale:servers=10000,nodes=100,users=5000,locations=10"; None = admin/player only.
    seed: str | None = "demo"
    latency_ms: int = 0
    state_file: str | None = None

    # Asynchronous life cycles (seconds).
    install_seconds: float = 2.0
    power_seconds: float = 0.5
    backup_seconds: float = 1.0
    restore_seconds: float = 1.0

    # Websocket JWT.
    token_lifetime_seconds: int = 600
    token_expiring_seconds: int = 60

    # Rate limits (requests per rate_period_seconds, per user and API).
    app_rate_limit: int = 240
    client_rate_limit: int = 720
    rate_period_seconds: float = 60.0
    files_pull_throttle: tuple[int, int] = (10, 300)

    # Client API feature flags and limits.
    allocations_enabled: bool = True
    allocation_range: tuple[int, int] = (25600, 25700)
    backup_throttle: tuple[int, int] = (2, 600)  # (count, period seconds); period 0 disables
    databases_enabled: bool = True
    databases_allow_random_host: bool = True
    api_key_limit: int = 25
    schedule_task_limit: int = 10
    files_max_edit_size: int = 4194304
    two_factor_required: int = 0  # 0 none, 1 admins, 2 everybody
    activity_hide_admin: bool = False

    # Wings emulation.
    console_lines_per_command: int = 1
    stats_interval_seconds: float = 2.0
    # When True every daemon call fails as if Wings were unreachable (node PATCH -> 400, server create -> 504, ...).
    daemon_unreachable: bool = False

    # Filled in once the listening socket is bound (http://127.0.0.1:PORT).
    panel_url: str = ""

    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for name, value in data.items():
            if isinstance(value, tuple):
                data[name] = list(value)
        return data

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply known fields from ``changes`` (coercing to the field's type); return the names that were unknown."""
        unknown: list[str] = []
        known = {f.name: f for f in dataclasses.fields(self)}
        for name, value in changes.items():
            if name not in known or name in ("host", "port"):
                unknown.append(name)
                continue
            setattr(self, name, _coerce(getattr(self, name), value))
        return unknown

    @classmethod
    def parse_seed(cls, seed: str | None) -> tuple[str | None, dict[str, int]]:
        """Split "scale:servers=10,nodes=2" into ("scale", {"servers": 10, "nodes": 2})."""
        if not seed:
            return None, {}
        kind, _unused, rest = seed.partition(":")
        params: dict[str, int] = {}
        for part in filter(None, rest.split(",")):
            key, _unused, value = part.partition("=")
            params[key.strip()] = int(value)
        return kind.strip(), params


def _coerce(current: Any, value: Any) -> Any:
    """Convert a JSON value to the type of the field's current value."""
    if value is None:
        return None
    if isinstance(current, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if isinstance(current, int) and not isinstance(current, bool):
        return int(value)
    if isinstance(current, float):
        return float(value)
    if isinstance(current, tuple):
        return tuple(type(current[i])(v) if i < len(current) else v for i, v in enumerate(value))
    return value
