"""Which panel and Wings version introduced each behaviour the emulator models: the only place that compares
versions. Code asks ``config.has("serv_identifiers")`` (panel) or ``config.wings_has("jwt_scope_required")``.

Panel versions: "1.11" models 1.11.8 (the emulator's original behaviour), "1.12" models 1.12.2 and "1.14" models
1.14.1 (assumed to hold for 1.15.x too). Wings versions: "1.11", "1.12" (1.12.0/1.12.1) and "1.13" (1.13.x, which
includes the 1.12.2 JWT scope check).
"""
from __future__ import annotations

import re

PANEL_VERSIONS = ("1.11", "1.12", "1.14")
DEFAULT_PANEL_VERSION = "1.14"
WINGS_VERSIONS = ("1.11", "1.12", "1.13")
# The Wings release a panel line is normally paired with (wings_version "" = this).
MATCHING_WINGS = {"1.11": "1.11", "1.12": "1.12", "1.14": "1.13"}

# Panel behaviour -> first panel version (as modelled) that has it.
PANEL_FEATURES: dict[str, str] = {
    # 1.12.0
    "server_resource_limits": "1.12",  # per-server limiters on websocket/databases/schedules/... routes
    "node_description": "1.12",  # description settable through the API; upload_size int|min:1
    "deauthorize_user": "1.12",  # Wings /api/deauthorize-user instead of the JTI denylist
    "clear_allocation_notes": "1.12",  # deleting a server clears its allocations' notes
    # 1.12.1
    "api_limits_256": "1.12",  # api.client and api.application default 256/min
    "serv_identifiers": "1.12",  # serv_/user_ identifiers and the new client fields
    "security_headers": "1.12",
    "plain_config_not_persisted": "1.12",  # ConfigurationNotPersistedException text without <strong>
    "deauthorize_on_password": "1.12",  # password change and user deletion deauthorize on Wings
    # 1.12.3
    "jwt_scopes": "1.14",  # scope claim, sha256 jti, no user_id
    "email_change_limit": "1.14",  # 3 e-mail changes a day, throttle 60/min on PUT /account/email
    # 1.13.0
    "node_configuration_needs_write": "1.14",
    "email_strict": "1.14",
    "user_create_activity": "1.14",  # user:user.create logged with the new user as subject
    # 1.14.1
    "email_no_leading_dash": "1.14",  # p_user_email
    "schedule_task_rules": "1.14",  # power payload in start|stop|restart|kill, per-action task permissions
    "failed_backup_not_restorable": "1.14",
    "ssh_key_prefixes": "1.14",
}

# Wings behaviour -> first Wings version (as modelled) that has it.
WINGS_FEATURES: dict[str, str] = {
    "websocket_limits": "1.12",  # inbound token buckets, 4096-byte frames, 30 sockets, 4409, bare close on delete
    "deauthorize_user": "1.12",
    "jwt_scope_required": "1.12.2",  # "jwt: missing connect permission" without scope "websocket" ("1.13" has it)
}


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def at_least(version: str, first: str) -> bool:
    return version_tuple(version) >= version_tuple(first)


def panel_has(panel_version: str, feature: str) -> bool:
    return at_least(panel_version, PANEL_FEATURES[feature])


def wings_has(wings_version: str, feature: str) -> bool:
    return at_least(wings_version, WINGS_FEATURES[feature])


def check_panel_version(value: str) -> str:
    if value not in PANEL_VERSIONS:
        raise ValueError(f"panel_version must be one of {', '.join(PANEL_VERSIONS)}, not {value!r}")
    return value


def check_wings_version(value: str) -> str:
    """"" (match the panel) or a dotted release number such as "1.13" or "1.12.2"."""
    if value and not re.fullmatch(r"\d+\.\d+(\.\d+)?", value):
        raise ValueError(f"wings_version must be empty or a version such as {', '.join(WINGS_VERSIONS)}, "
                         f"not {value!r}")
    return value
