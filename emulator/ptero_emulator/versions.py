"""Which panel and Wings version introduced each behaviour the emulator models: the only place that compares
versions or flavours. Code asks ``config.has("serv_identifiers")`` (panel) or
``config.wings_has("jwt_scope_required")``.

Flavours: "pterodactyl" (PANEL_FEATURES by panel_version) and "pelican" (PELICAN_FEATURES by pelican_version, a
beta such as "beta38"). A feature missing from a flavour's table is absent on that flavour, so Pelican-only
behaviour ("flat_eggs", "mounts_api", ...) is simply not listed in PANEL_FEATURES, and Pterodactyl behaviour Pelican
dropped is not listed in PELICAN_FEATURES.

Panel versions: "1.11" models 1.11.8 (the emulator's original behaviour), "1.12" models 1.12.2 and "1.14" models
1.14.1 (assumed to hold for 1.15.x too). Wings versions: "1.11", "1.12" (1.12.0/1.12.1) and "1.13" (1.13.x, which
includes the 1.12.2 JWT scope check).
"""

from __future__ import annotations

import re

FLAVOURS = ("pterodactyl", "pelican")
DEFAULT_FLAVOUR = "pterodactyl"
PANEL_VERSIONS = ("1.11", "1.12", "1.14")
DEFAULT_PANEL_VERSION = "1.14"
WINGS_VERSIONS = ("1.11", "1.12", "1.13")
# The Wings release a panel line is normally paired with (wings_version "" = this).
MATCHING_WINGS = {"1.11": "1.11", "1.12": "1.12", "1.14": "1.13"}
# Pelican Wings beta29 behaves as the Wings 1.12.2+ column (websocket limits, scope required): modelled as "1.13".
PELICAN_MATCHING_WINGS = "1.13"

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

# Pelican panel behaviour -> first Pelican beta that has it (pelican.md §7; "38" where the spec only says the
# behaviour is in beta38). Pterodactyl features listed here hold on Pelican as well.
PELICAN_VERSIONS = ("beta38",)
DEFAULT_PELICAN_VERSION = "beta38"
PELICAN_FEATURES: dict[str, int] = {
    # Pterodactyl behaviour Pelican shares (pelican.md §3.5, §3.9, §3.11)
    "server_resource_limits": 31,
    "api_limits_256": 35,
    "jwt_scopes": 35,
    "email_change_limit": 38,
    "node_description": 1,
    # Upstream's deauthorization, ported in beta34 (RevokeSftpAccessJob, RevocationListener)
    "deauthorize_user": 34,
    "deauthorize_on_password": 34,
    # Pelican's own resource model (§2.1, §3.5, §3.6)
    "tags_not_locations": 1,  # no /locations or /nests; node and egg tags
    "flat_eggs": 1,  # GET /eggs, /eggs/{id}
    "egg_export": 26,
    "egg_import": 30,  # POST /eggs/import, DELETE /eggs/{id}, /eggs/uuid/{uuid}
    "pelican_users": 1,  # no first/last name, root_admin from roles, is_managed_externally, lowercased
    "pelican_nodes": 1,  # cpu, cpu_overallocate, daemon_connect, daemon_sftp_alias, tags; no location_id
    "pelican_servers": 1,  # oom_killer, deploy.tags, optional image/startup, uuid_short filter, no nest
    "deploy_locations_present": 38,  # beta38 still requires deploy.locations (HEAD dropped it)
    "allocation_duplicates_fail": 1,  # duplicates -> 500 and the batch rolls back; port 1024 allowed; no hostnames
    "wings_errors_500": 1,  # Wings failures -> 500 ConnectionException; node PATCH answers 200
    "database_hosts_api": 2,
    "server_transfer": 2,
    "mounts_api": 3,
    "mount_attach_lists": 23,  # list/attach/detach eggs, nodes, servers of a mount
    "roles_api": 11,
    "pelican_key_prefixes": 25,  # papp_ / pacc_
    "no_client_two_factor": 26,
    "ssh_key_delete_by_fingerprint": 29,
    "flat_permissions": 1,  # GET /api/client/permissions: a flat list; Pelican's 44 subuser permission keys
    "server_description": 22,  # POST /servers/{s}/settings/description
    "backup_rename": 24,  # PUT /servers/{s}/backups/{b}/rename
    "account_username": 28,  # PUT /account/username
    "account_without_id": 1,  # client account object: uuid, no id / first / last name
    "command_offline_204": 1,  # POST /command to an offline server answers 204
    "reinstall_failed_gated": 38,  # reinstall_failed counts as not installed (409, is_installing)
    "api_ignores_two_factor_requirement": 38,  # the panel-wide 2FA requirement binds the web UI only
    "jwt_identity_required": 1,  # Pelican Wings (beta27+): no user_uuid/server_uuid claim -> denylist jwt error
    "remote_is_app_url": 1,  # the panel writes APP_URL verbatim into Wings' remote (Origin check), trailing slash kept
    "feature_match_event": 1,  # Pelican Wings: a console line matching an egg feature pattern -> `feature match`
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


def _check_feature(feature: str) -> None:
    if feature not in PANEL_FEATURES and feature not in PELICAN_FEATURES:
        raise KeyError(f"unknown panel feature {feature!r}")


def panel_has(panel_version: str, feature: str) -> bool:
    """Pterodactyl: a feature only Pelican has is absent."""
    _check_feature(feature)
    first = PANEL_FEATURES.get(feature)
    return first is not None and at_least(panel_version, first)


def pelican_beta(version: str) -> int:
    return int(version.removeprefix("beta"))


def pelican_has(pelican_version: str, feature: str) -> bool:
    """Pelican: a Pterodactyl feature Pelican does not share is absent."""
    _check_feature(feature)
    first = PELICAN_FEATURES.get(feature)
    return first is not None and pelican_beta(pelican_version) >= first


def wings_has(wings_version: str, feature: str) -> bool:
    return at_least(wings_version, WINGS_FEATURES[feature])


def check_panel_version(value: str) -> str:
    if value not in PANEL_VERSIONS:
        raise ValueError(f"panel_version must be one of {', '.join(PANEL_VERSIONS)}, not {value!r}")
    return value


def check_flavour(value: str) -> str:
    if value not in FLAVOURS:
        raise ValueError(f"flavour must be one of {', '.join(FLAVOURS)}, not {value!r}")
    return value


def check_pelican_version(value: str) -> str:
    if value not in PELICAN_VERSIONS:
        raise ValueError(f"pelican_version must be one of {', '.join(PELICAN_VERSIONS)}, not {value!r}")
    return value


def check_wings_version(value: str) -> str:
    """ "" (match the panel) or a dotted release number such as "1.13" or "1.12.2"."""
    if value and not re.fullmatch(r"\d+\.\d+(\.\d+)?", value):
        raise ValueError(f"wings_version must be empty or a version such as {', '.join(WINGS_VERSIONS)}, not {value!r}")
    return value
