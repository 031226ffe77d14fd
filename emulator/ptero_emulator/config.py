"""Run-time settings of the panel emulator (timings, limits, feature flags)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from . import versions

# Per-server resource limiters of panel 1.12+ (app/Enum/ResourceLimit.php): name -> [count, period seconds].
DEFAULT_SERVER_RESOURCE_LIMITS: dict[str, list[int]] = {
    "websocket": [5, 60],
    "databases": [2, 60],
    "schedules": [2, 60],
    "allocations": [2, 60],
    "subusers": [10, 900],
    "backup_restore": [3, 900],
    "files_pull": [5, 600],
}
# The API limits when app_rate_limit / client_rate_limit are left unset: (application, client).
_DEFAULT_API_LIMITS = {False: (240, 720), True: (256, 256)}


@dataclass
class EmulatorConfig:
    """Every knob of the emulator. All fields can be changed at run time via POST /_emulator/config."""

    host: str = "127.0.0.1"
    port: int = 0
    # "demo" = small realistic data set; "scale:servers=10000,nodes=100,users=5000,locations=10";
    # None = admin/player only.
    seed: str | None = "demo"
    latency_ms: int = 0
    state_file: str | None = None

    # The panel release modelled ("1.11", "1.12", "1.14") and the Wings release ("" = the one paired with the
    # panel: 1.11 -> 1.11, 1.12 -> 1.12, 1.14 -> 1.13). Behaviour differences are listed in versions.py.
    panel_version: str = versions.DEFAULT_PANEL_VERSION
    wings_version: str = ""
    # "pterodactyl" or "pelican" (then pelican_version, e.g. "beta38", picks the behaviour; panel_version is
    # ignored). Seeded keys use papp_/pacc_ on Pelican; POST /_emulator/reset re-seeds after a change.
    flavour: str = versions.DEFAULT_FLAVOUR
    pelican_version: str = versions.DEFAULT_PELICAN_VERSION
    # Server transfers (Pelican): seconds until a transfer completes.
    transfer_seconds: float = 2.0
    # Pelican's PANEL_EDITABLE_SERVER_DESCRIPTIONS: False makes POST /settings/description answer 403 [].
    editable_server_descriptions: bool = True

    # Asynchronous life cycles (seconds).
    install_seconds: float = 2.0
    power_seconds: float = 0.5
    backup_seconds: float = 1.0
    restore_seconds: float = 1.0

    # Websocket JWT.
    token_lifetime_seconds: int = 600
    token_expiring_seconds: int = 60

    # Rate limits (requests per rate_period_seconds, per user and API); None = the panel version's default
    # (240/720 on 1.11, 256/256 on 1.12+).
    app_rate_limit: int | None = None
    client_rate_limit: int | None = None
    rate_period_seconds: float = 60.0
    files_pull_throttle: tuple[int, int] = (10, 300)  # per user, panel 1.11 only (1.12+: server_resource_limits)
    # Per-server limiters (panel 1.12+), keyed by server uuid; a test may shorten a period.
    server_resource_limits: dict[str, list[int]] = field(
        default_factory=lambda: {name: list(value) for name, value in DEFAULT_SERVER_RESOURCE_LIMITS.items()}
    )

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

    # ---------------------------------------------------------------- version helpers
    @property
    def is_pelican(self) -> bool:
        return self.flavour == "pelican"

    @property
    def app_name(self) -> str | None:
        """Wings' app_name, read by the Wings emulation's settings (the console's "[<app_name> Daemon]:" prefix):
        Pelican Wings defaults to "pelican"; None leaves Wings' own default."""
        return "pelican" if self.is_pelican else None

    def has(self, feature: str) -> bool:
        """Whether the modelled panel (flavour and version) has a behaviour of versions.PANEL_FEATURES /
        versions.PELICAN_FEATURES."""
        if self.is_pelican:
            return versions.pelican_has(self.pelican_version, feature)
        return versions.panel_has(self.panel_version, feature)

    def effective_wings_version(self) -> str:
        if self.wings_version:
            return self.wings_version
        return versions.PELICAN_MATCHING_WINGS if self.is_pelican else versions.MATCHING_WINGS[self.panel_version]

    def wings_has(self, feature: str) -> bool:
        return versions.wings_has(self.effective_wings_version(), feature)

    def api_rate_limit(self, api: str) -> int:
        """The api.application / api.client limit per rate_period_seconds."""
        application, client = _DEFAULT_API_LIMITS[self.has("api_limits_256")]
        if api == "application":
            return application if self.app_rate_limit is None else self.app_rate_limit
        return client if self.client_rate_limit is None else self.client_rate_limit

    def server_resource_limit(self, name: str) -> tuple[int, float]:
        count, seconds = self.server_resource_limits.get(name) or DEFAULT_SERVER_RESOURCE_LIMITS[name]
        return int(count), float(seconds)

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
        coerced: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in known or name in ("host", "port"):
                unknown.append(name)
                continue
            coerced[name] = _coerce_field(name, getattr(self, name), value)
        # Nothing is applied when a value is invalid (the coercion above raises first).
        for name, value in coerced.items():
            setattr(self, name, value)
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


def _coerce_field(name: str, current: Any, value: Any) -> Any:
    """Field-specific checks first (versions, optional ints, the limiter dict), then the generic coercion."""
    if name == "panel_version":
        return versions.check_panel_version(str(value))
    if name == "flavour":
        return versions.check_flavour(str(value))
    if name == "pelican_version":
        return versions.check_pelican_version(str(value))
    if name == "wings_version":
        return versions.check_wings_version("" if value is None else str(value))
    if name in ("app_rate_limit", "client_rate_limit"):
        return None if value is None else int(value)
    if name == "server_resource_limits":
        if not isinstance(value, dict):
            raise ValueError("server_resource_limits must be an object of name -> [count, seconds]")
        merged = dict(current or {})
        for limiter, pair in value.items():
            if limiter not in DEFAULT_SERVER_RESOURCE_LIMITS:
                raise ValueError(f"unknown server resource limiter {limiter!r}")
            count, seconds = pair
            merged[limiter] = [int(count), float(seconds) if float(seconds) != int(float(seconds)) else int(seconds)]
        return merged
    return _coerce(current, value)


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
