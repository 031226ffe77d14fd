"""Deterministic seed data: the admin/player/helper accounts with their keys, the stock nests and eggs, the "demo"
data set and "scale:servers=N,nodes=N,users=N,locations=N" data sets."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import EmulatorConfig
from .pelican import PELICAN_ACL_RESOURCES, key_prefixes, migrate_seed
from .state import (
    ACL_RESOURCES,
    ALPHANUMERIC,
    KEY_TYPE_ACCOUNT,
    KEY_TYPE_APPLICATION,
    State,
    format_atom,
    insert_allocation,
)

ADMIN_PASSWORD = "emulator-admin-password"
PLAYER_PASSWORD = "emulator-player-password"
HELPER_PASSWORD = "emulator-helper-password"
NEST_AUTHOR = "support@pterodactyl.io"
DEFAULT_DAEMON_BASE = "/var/lib/pterodactyl/volumes"
# Permissions of the seeded subuser "helper" on the demo server "Survival".
HELPER_PERMISSIONS = [
    "websocket.connect",
    "control.console",
    "control.start",
    "file.read",
    "file.read-content",
    "backup.read",
    "schedule.read",
]


def _token(rng: random.Random, prefix: str) -> tuple[str, str]:
    identifier = prefix + "".join(rng.choice(ALPHANUMERIC) for _unused in range(16 - len(prefix)))
    secret = "".join(rng.choice(ALPHANUMERIC) for _unused in range(32))
    return identifier, secret


def add_api_key(
    state: State, user: dict[str, Any], key_type: int, identifier: str, secret: str, memo: str, permissions: int = 3
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "user_id": user["id"],
        "key_type": key_type,
        "identifier": identifier,
        "token": secret,
        "memo": memo,
        "allowed_ips": [],
        "last_used_at": None,
        "expires_at": None,
    }
    resources = ACL_RESOURCES + (PELICAN_ACL_RESOURCES if state.config.is_pelican else ())
    for resource in resources:
        row[resource] = permissions if key_type == KEY_TYPE_APPLICATION else 0
    return state.insert("api_keys", row)


def add_user(
    state: State,
    username: str,
    email: str,
    first: str,
    last: str,
    password: str | None,
    root_admin: bool = False,
    external_id: str | None = None,
) -> dict[str, Any]:
    user = state.insert(
        "users",
        {
            "external_id": external_id,
            "uuid": state.new_uuid(),
            "username": username,
            "email": email,
            "name_first": first,
            "name_last": last,
            "password": None,
            "language": "en",
            "root_admin": root_admin,
            "use_totp": False,
            "totp_secret": None,
            "totp_authenticated_at": None,
            "recovery_tokens": [],
            "gravatar": True,
        },
    )
    if password:
        state.set_password(user, password)
    return user


def seed_accounts(state: State, seed: str | None) -> None:
    """admin (root admin: application + client key), player (client key) and helper (client key; a subuser in the
    demo). The keys depend only on the seed string."""
    rng = random.Random(f"ptero-emulator-keys:{seed or ''}")
    admin = add_user(state, "admin", "admin@example.com", "Ada", "Admin", ADMIN_PASSWORD, root_admin=True)
    player = add_user(state, "player", "player@example.com", "Pat", "Player", PLAYER_PASSWORD)
    helper = add_user(state, "helper", "helper@example.com", "Hal", "Helper", HELPER_PASSWORD)
    app_prefix, client_prefix = key_prefixes(state.config)
    app_id, app_secret = _token(rng, app_prefix)
    admin_client_id, admin_client_secret = _token(rng, client_prefix)
    player_client_id, player_client_secret = _token(rng, client_prefix)
    helper_client_id, helper_client_secret = _token(rng, client_prefix)
    add_api_key(state, admin, KEY_TYPE_APPLICATION, app_id, app_secret, "emulator application key")
    add_api_key(state, admin, KEY_TYPE_ACCOUNT, admin_client_id, admin_client_secret, "emulator admin client key")
    add_api_key(state, player, KEY_TYPE_ACCOUNT, player_client_id, player_client_secret, "emulator player client key")
    add_api_key(state, helper, KEY_TYPE_ACCOUNT, helper_client_id, helper_client_secret, "emulator helper client key")
    state.connection = {
        "application_key": app_id + app_secret,
        "client_key": admin_client_id + admin_client_secret,
        "user_client_key": player_client_id + player_client_secret,
        "subuser_client_key": helper_client_id + helper_client_secret,
        "admin_username": "admin",
        "admin_password": ADMIN_PASSWORD,
        "player_username": "player",
        "player_password": PLAYER_PASSWORD,
        "helper_username": "helper",
        "helper_password": HELPER_PASSWORD,
    }


def seed_state(state: State, seed: str | None) -> None:
    """Fill an empty State according to the seed string (None/"none", "demo", "scale:servers=..,nodes=..")."""
    kind, params = EmulatorConfig.parse_seed(seed)
    if kind not in (None, "none", "empty", "demo", "scale"):
        raise ValueError(f"unknown seed {seed!r}")
    state.random.seed(f"ptero-emulator-data:{seed or ''}")
    seed_accounts(state, seed)
    if kind == "demo":
        seed_demo(state)
    elif kind == "scale":
        seed_scale(state, params)
    migrate_seed(state)  # Pelican: what its migrations make of the same data


# ====================================================================== nests and eggs
JAVA_IMAGES = {
    "Java 21": "ghcr.io/pterodactyl/yolks:java_21",
    "Java 17": "ghcr.io/pterodactyl/yolks:java_17",
    "Java 11": "ghcr.io/pterodactyl/yolks:java_11",
    "Java 8": "ghcr.io/pterodactyl/yolks:java_8",
}
MINECRAFT_CONFIG_FILES = json.dumps(
    {
        "server.properties": {
            "parser": "properties",
            "find": {
                "server-ip": "0.0.0.0",
                "server-port": "{{server.build.default.port}}",
                "query.port": "{{server.build.default.port}}",
            },
        }
    }
)
JAR_RULE = r"required|regex:/^([\w\d._-]+)(\.jar)$/"

# (env, name, description, default, viewable, editable, rules)
Var = tuple[str, str, str, str, bool, bool, str]

EGGS: dict[str, list[dict[str, Any]]] = {
    "Minecraft": [
        {
            "name": "Paper",
            "description": "High performance Spigot fork that aims to fix gameplay and mechanics inconsistencies.",
            "startup": "java -Xms128M -XX:MaxRAMPercentage=95.0 -Dterminal.jline=false -Dterminal.ansi=true "
            "-jar {{SERVER_JARFILE}}",
            "images": JAVA_IMAGES,
            "features": ["eula", "java_version", "pid_limit"],
            "files": MINECRAFT_CONFIG_FILES,
            "done": ")! For help, type ",
            "stop": "stop",
            "variables": [
                (
                    "MINECRAFT_VERSION",
                    "Minecraft Version",
                    "The version of minecraft to download. Leave at latest to always get the latest version.",
                    "latest",
                    True,
                    True,
                    "nullable|string|max:20",
                ),
                (
                    "SERVER_JARFILE",
                    "Server Jar File",
                    "The name of the server jarfile to run the server with.",
                    "server.jar",
                    True,
                    True,
                    JAR_RULE,
                ),
                (
                    "DL_PATH",
                    "Download Path",
                    "A URL to use to download a server.jar rather than the ones in the "
                    "install script. This is not user viewable.",
                    "",
                    False,
                    False,
                    "nullable|string",
                ),
                (
                    "BUILD_NUMBER",
                    "Build Number",
                    "The build number for the paper release. Leave at latest to always get the latest version.",
                    "latest",
                    True,
                    True,
                    "required|string|max:20",
                ),
            ],
        },
        {
            "name": "Vanilla Minecraft",
            "description": "Minecraft is a game about placing blocks and going on adventures.",
            "startup": "java -Xms128M -XX:MaxRAMPercentage=95.0 -jar {{SERVER_JARFILE}}",
            "images": JAVA_IMAGES,
            "features": ["eula", "java_version", "pid_limit"],
            "files": MINECRAFT_CONFIG_FILES,
            "done": ")! For help, type ",
            "stop": "stop",
            "variables": [
                (
                    "SERVER_JARFILE",
                    "Server Jar File",
                    "The name of the server jarfile to run the server with.",
                    "server.jar",
                    True,
                    True,
                    JAR_RULE,
                ),
                (
                    "VANILLA_VERSION",
                    "Server Version",
                    'The version of Minecraft Vanilla to install. Use "latest" to '
                    'install the latest version, or use "snapshot" to install the latest snapshot.',
                    "latest",
                    True,
                    True,
                    "required|string|between:3,15",
                ),
            ],
        },
        {
            "name": "Forge Minecraft",
            "description": "Minecraft Forge Server. Minecraft Forge is a modding API.",
            "startup": "java -Xms128M -XX:MaxRAMPercentage=95.0 -Dterminal.jline=false -Dterminal.ansi=true "
            '$( [[  ! -f unix_args.txt ]] && printf %s "-jar {{SERVER_JARFILE}}" || printf %s '
            '"@unix_args.txt" )',
            "images": JAVA_IMAGES,
            "features": ["eula", "java_version", "pid_limit"],
            "files": MINECRAFT_CONFIG_FILES,
            "done": ")! For help, type ",
            "stop": "stop",
            "variables": [
                (
                    "SERVER_JARFILE",
                    "Server Jar File",
                    "The name of the Jarfile to use when running Forge version below 1.17.",
                    "server.jar",
                    True,
                    True,
                    JAR_RULE,
                ),
                (
                    "MC_VERSION",
                    "Minecraft Version",
                    "The version of minecraft you want to install for.",
                    "latest",
                    True,
                    True,
                    "required|string|max:9",
                ),
                (
                    "BUILD_TYPE",
                    "Build Type",
                    "The type of server jar to download from forge.",
                    "recommended",
                    True,
                    True,
                    "required|string|in:recommended,latest",
                ),
                ("FORGE_VERSION", "Forge Version", "The full exact version.", "", True, True, "nullable|string|max:25"),
            ],
        },
        {
            "name": "Bungeecord",
            "description": "For a long time, Minecraft server owners have had a dream that "
            "encompasses a free, easy, and reliable way to connect multiple "
            "Minecraft servers together.",
            "startup": "java -Xms128M -XX:MaxRAMPercentage=95.0 -jar {{SERVER_JARFILE}}",
            "images": JAVA_IMAGES,
            "features": ["eula", "java_version", "pid_limit"],
            "files": "{}",
            "done": "Listening on ",
            "stop": "end",
            "variables": [
                (
                    "BUNGEE_VERSION",
                    "Bungeecord Version",
                    "The version of Bungeecord to download and use.",
                    "latest",
                    True,
                    True,
                    "required|alpha_num|between:1,6",
                ),
                (
                    "SERVER_JARFILE",
                    "Bungeecord Jar File",
                    "The name of the Jarfile to use when running Bungeecord.",
                    "bungeecord.jar",
                    True,
                    True,
                    JAR_RULE,
                ),
            ],
        },
    ],
    "Source Engine": [
        {
            "name": "Garrys Mod",
            "description": "Garrys Mod, is a sandbox physics game created by Facepunch Studios.",
            "startup": "./srcds_run -game garrysmod -console -port {{SERVER_PORT}} +ip 0.0.0.0 "
            "+host_workshop_collection {{WORKSHOP_ID}} +map {{SRCDS_MAP}} +gamemode {{GAMEMODE}} "
            "-strictportbind -norestart +sv_setsteamaccount {{STEAM_ACC}} +maxplayers {{MAX_PLAYERS}} "
            "-tickrate {{TICKRATE}}",
            "images": {"Source": "ghcr.io/pterodactyl/games:source"},
            "features": ["gsl_token", "steam_disk_space"],
            "files": "{}",
            "done": "gameserver Steam ID",
            "stop": "quit",
            "variables": [
                (
                    "SRCDS_MAP",
                    "Map",
                    "The default map for the server.",
                    "gm_flatgrass",
                    True,
                    True,
                    "required|string|alpha_dash",
                ),
                (
                    "STEAM_ACC",
                    "Steam Account Token",
                    "The Steam Account Token required for the server to be displayed publicly.",
                    "",
                    True,
                    True,
                    "nullable|string|alpha_num|size:32",
                ),
                (
                    "SRCDS_APPID",
                    "Source AppID",
                    "Required for game to update on server restart. Do not modify this.",
                    "4020",
                    False,
                    False,
                    "required|string|in:4020",
                ),
                (
                    "WORKSHOP_ID",
                    "Workshop ID",
                    "The ID of your workshop collection.",
                    "",
                    True,
                    True,
                    "nullable|integer",
                ),
                ("GAMEMODE", "Gamemode", "The gamemode of your server.", "sandbox", True, True, "required|string"),
                (
                    "MAX_PLAYERS",
                    "Max Players",
                    "The maximum amount of players allowed on your game server.",
                    "32",
                    True,
                    True,
                    "required|integer|max:128",
                ),
                (
                    "TICKRATE",
                    "Tickrate",
                    "The tickrate defines how fast the server will update each entity's location.",
                    "22",
                    True,
                    True,
                    "required|integer|max:100",
                ),
            ],
        },
        {
            "name": "Team Fortress 2",
            "description": "Team Fortress 2 is a team-based first-person shooter.",
            "startup": "./srcds_run -game tf -console -port {{SERVER_PORT}} +map {{SRCDS_MAP}} +ip 0.0.0.0 "
            "-strictportbind -norestart +sv_setsteamaccount {{STEAM_ACC}}",
            "images": {"Source": "ghcr.io/pterodactyl/games:source"},
            "features": ["gsl_token", "steam_disk_space"],
            "files": "{}",
            "done": "gameserver Steam ID",
            "stop": "quit",
            "variables": [
                (
                    "SRCDS_APPID",
                    "Game ID",
                    "The ID corresponding to the game to download and run using SRCDS.",
                    "232250",
                    False,
                    False,
                    "required|regex:/^(232250)$/",
                ),
                (
                    "SRCDS_MAP",
                    "Default Map",
                    "The default map to use when starting the server.",
                    "cp_dustbowl",
                    True,
                    True,
                    "required|regex:/^(\\w{1,20})$/",
                ),
                (
                    "STEAM_ACC",
                    "Steam Account Token",
                    "The Steam Account Token required for the server to be displayed publicly.",
                    "",
                    True,
                    True,
                    "nullable|string|alpha_num|size:32",
                ),
            ],
        },
        {
            "name": "Custom Source Engine Game",
            "description": "This option allows modifying the startup arguments "
            "and other details to run a custom SRCDS based game "
            "on the panel.",
            "startup": "./srcds_run -game {{SRCDS_GAME}} -console -port {{SERVER_PORT}} +map {{SRCDS_MAP}} "
            "+ip 0.0.0.0 -strictportbind -norestart",
            "images": {"Source": "ghcr.io/pterodactyl/games:source"},
            "features": ["steam_disk_space"],
            "files": "{}",
            "done": "gameserver Steam ID",
            "stop": "quit",
            "variables": [
                (
                    "SRCDS_APPID",
                    "Game ID",
                    "The ID corresponding to the game to download and run using SRCDS.",
                    "",
                    True,
                    False,
                    "required|numeric|digits_between:1,6",
                ),
                (
                    "SRCDS_GAME",
                    "Game Name",
                    "The name corresponding to the game to download and run using SRCDS.",
                    "",
                    True,
                    False,
                    "required|alpha_dash|between:1,100",
                ),
                ("SRCDS_MAP", "Map", "The default map for the server.", "", True, True, "required|string|alpha_dash"),
            ],
        },
    ],
    "Voice Servers": [
        {
            "name": "Mumble Server",
            "description": "Mumble is an open source, low-latency, high quality voice chat "
            "software primarily intended for use while gaming.",
            "startup": "mumble-server -fg -ini murmur.ini",
            "images": {"Mumble": "ghcr.io/parkervcp/yolks:voice_mumble"},
            "features": None,
            "files": "{}",
            "done": "Server listening on",
            "stop": "^C",
            "variables": [
                (
                    "MAX_USERS",
                    "Maximum Users",
                    "Maximum concurrent users on the mumble server.",
                    "100",
                    True,
                    False,
                    "required|numeric|digits_between:1,5",
                ),
            ],
        },
        {
            "name": "Teamspeak3 Server",
            "description": "VoIP software designed with security in mind, featuring crystal clear voice quality.",
            "startup": "./ts3server default_voice_port={{SERVER_PORT}} query_port={{QUERY_PORT}} "
            "filetransfer_port={{FILE_TRANSFER}} license_accepted=1",
            "images": {"Debian": "ghcr.io/parkervcp/yolks:debian"},
            "features": None,
            "files": "{}",
            "done": "listening on 0.0.0.0:",
            "stop": "^C",
            "variables": [
                (
                    "TS_VERSION",
                    "Server Version",
                    "The version of Teamspeak 3 to use when running the server.",
                    "latest",
                    True,
                    True,
                    "required|string|max:6",
                ),
                (
                    "FILE_TRANSFER",
                    "File Transfer Port",
                    "The Teamspeak file transfer port",
                    "30033",
                    True,
                    False,
                    "required|integer|between:1025,65535",
                ),
                (
                    "QUERY_PORT",
                    "Query Port",
                    "The Teamspeak Query Port",
                    "10011",
                    True,
                    False,
                    "required|integer|between:1025,65535",
                ),
            ],
        },
    ],
    "Rust": [
        {
            "name": "Rust",
            "description": "The only aim in Rust is to survive.",
            "startup": "./RustDedicated -batchmode +server.port {{SERVER_PORT}} +server.queryport {{QUERY_PORT}} "
            '+server.identity "rust" +rcon.port {{RCON_PORT}} +rcon.web true +server.hostname '
            '\\"{{HOSTNAME}}\\" +server.level \\"{{LEVEL}}\\" +server.worldsize \\"{{WORLD_SIZE}}\\" '
            '+server.maxplayers {{MAX_PLAYERS}} +rcon.password \\"{{RCON_PASS}}\\"',
            "images": {"ghcr.io/pterodactyl/games:rust": "ghcr.io/pterodactyl/games:rust"},
            "features": ["steam_disk_space"],
            "files": "{}",
            "done": "Server startup complete",
            "stop": "quit",
            "variables": [
                (
                    "HOSTNAME",
                    "Server Name",
                    "The name of your server in the public server list.",
                    "A Rust Server",
                    True,
                    True,
                    "required|string|max:60",
                ),
                (
                    "OXIDE",
                    "Modding Framework",
                    "The modding framework to be used: carbon, oxide, vanilla.",
                    "vanilla",
                    True,
                    True,
                    "required|in:carbon,oxide,vanilla",
                ),
                (
                    "LEVEL",
                    "Level",
                    "The world file for Rust to use.",
                    "Procedural Map",
                    True,
                    True,
                    "required|string|max:20",
                ),
                (
                    "WORLD_SIZE",
                    "World Size",
                    "The world size for a procedural map.",
                    "3000",
                    True,
                    True,
                    "required|integer",
                ),
                (
                    "MAX_PLAYERS",
                    "Max Players",
                    "The maximum amount of players allowed in the server at once.",
                    "40",
                    True,
                    True,
                    "required|integer",
                ),
                (
                    "QUERY_PORT",
                    "Query Port",
                    "Server Query Port. Can't be the same as Game's primary port.",
                    "27017",
                    True,
                    False,
                    "required|integer",
                ),
                ("RCON_PORT", "RCON Port", "Port for RCON connections.", "28016", True, False, "required|integer"),
                (
                    "RCON_PASS",
                    "RCON Password",
                    "RCON access password.",
                    "CHANGEME",
                    True,
                    True,
                    "required|regex:/^[\\w.-]*$/|max:64",
                ),
                (
                    "MAP_URL",
                    "Custom Map URL",
                    "Overwrites the map with the one from the direct download URL.",
                    "",
                    True,
                    True,
                    "nullable|url",
                ),
            ],
        },
    ],
}
NEST_DESCRIPTIONS = {
    "Minecraft": "Minecraft - the classic game from Mojang. With support for Vanilla MC, Spigot, and many others!",
    "Source Engine": "Includes support for most Source Dedicated Server games.",
    "Voice Servers": "Voice servers such as Mumble and Teamspeak 3.",
    "Rust": "Rust - A game where you must fight to survive.",
}
INSTALL_SCRIPT = '#!/bin/bash\n# Server installation script (emulated)\ncd /mnt/server\necho "installed"\n'


def seed_catalog(state: State) -> dict[str, dict[str, Any]]:
    """The stock nests and eggs with their variables. Returns eggs by name."""
    eggs: dict[str, dict[str, Any]] = {}
    for nest_name, egg_specs in EGGS.items():
        nest = state.insert(
            "nests",
            {
                "uuid": state.new_uuid(),
                "author": NEST_AUTHOR,
                "name": nest_name,
                "description": NEST_DESCRIPTIONS[nest_name],
            },
        )
        for spec in egg_specs:
            egg = state.insert(
                "eggs",
                {
                    "uuid": state.new_uuid(),
                    "nest_id": nest["id"],
                    "author": NEST_AUTHOR,
                    "name": spec["name"],
                    "description": spec["description"],
                    "features": spec["features"],
                    "docker_images": dict(spec["images"]),
                    "file_denylist": [],
                    "update_url": None,
                    "config_files": spec["files"],
                    "config_startup": json.dumps({"done": spec["done"]}),
                    "config_logs": "{}",
                    "config_stop": spec["stop"],
                    "config_from": None,
                    "startup": spec["startup"],
                    "script_container": "ghcr.io/pterodactyl/installers:debian",
                    "script_entry": "bash",
                    "script_is_privileged": True,
                    "script_install": INSTALL_SCRIPT,
                    "copy_script_from": None,
                },
            )
            for env, name, description, default, viewable, editable, rules in spec["variables"]:
                state.insert(
                    "egg_variables",
                    {
                        "egg_id": egg["id"],
                        "name": name,
                        "description": description,
                        "env_variable": env,
                        "default_value": default,
                        "user_viewable": viewable,
                        "user_editable": editable,
                        "rules": rules,
                    },
                )
            eggs[spec["name"]] = egg
    return eggs


# ====================================================================== infrastructure helpers
def add_node(
    state: State,
    name: str,
    location_id: int,
    fqdn: str,
    scheme: str = "https",
    memory: int = 16384,
    disk: int = 102400,
    listen: int = 8080,
    sftp: int = 2022,
) -> dict[str, Any]:
    return state.insert(
        "nodes",
        {
            "uuid": state.new_uuid(),
            "public": True,
            "name": name,
            "description": None,
            "location_id": location_id,
            "fqdn": fqdn,
            "scheme": scheme,
            "behind_proxy": False,
            "maintenance_mode": False,
            "memory": memory,
            "memory_overallocate": 0,
            "disk": disk,
            "disk_overallocate": 0,
            "upload_size": 100,
            "daemon_token_id": state.random_string(16),
            "daemon_token": state.random_string(64),
            "daemon_listen": listen,
            "daemon_sftp": sftp,
            "daemon_base": DEFAULT_DAEMON_BASE,
        },
    )


def add_allocations(
    state: State, node: dict[str, Any], ip: str, ports: range, alias: str | None = None
) -> list[dict[str, Any]]:
    return [insert_allocation(state, node["id"], ip, port, alias) for port in ports]


def add_server(
    state: State,
    name: str,
    owner: dict[str, Any],
    egg: dict[str, Any],
    allocation: dict[str, Any],
    memory: int = 2048,
    disk: int = 10240,
    limits: tuple[int, int, int] = (1, 1, 1),
    description: str = "",
    used_short: set[str] | None = None,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An installed server with its primary allocation and a variable row per egg variable (egg defaults)."""
    server_uuid = state.new_uuid()
    if used_short is not None:
        while server_uuid[:8] in used_short:
            server_uuid = state.new_uuid()
        used_short.add(server_uuid[:8])
    now = state.now()
    server = state.insert(
        "servers",
        {
            "external_id": None,
            "uuid": server_uuid,
            "uuid_short": server_uuid[:8],
            "node_id": allocation["node_id"],
            "name": name,
            "description": description,
            "status": None,
            "skip_scripts": False,
            "owner_id": owner["id"],
            "memory": memory,
            "swap": 0,
            "disk": disk,
            "io": 500,
            "cpu": 100,
            "threads": None,
            "oom_disabled": True,
            "allocation_id": allocation["id"],
            "nest_id": egg["nest_id"],
            "egg_id": egg["id"],
            "startup": egg["startup"],
            "image": next(iter(egg["docker_images"].values())),
            "database_limit": limits[0],
            "allocation_limit": limits[1],
            "backup_limit": limits[2],
            "installed_at": now,
        },
    )
    allocation["server_id"] = server["id"]
    for variable in state.egg_variables(egg["id"]):
        value = (values or {}).get(variable["env_variable"], variable["default_value"])
        state.insert(
            "server_variables", {"server_id": server["id"], "variable_id": variable["id"], "variable_value": value}
        )
    return server


def next_cron_run(state: State, minute: int, hour: int) -> str:
    now = datetime.fromtimestamp(state.time(), tz=UTC)
    candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= now:
        candidate += timedelta(days=1)
    return format_atom(candidate.timestamp())


# ====================================================================== data sets
def seed_demo(state: State) -> None:
    """2 locations, 2 nodes with allocations, the stock eggs, a database host, 3 installed servers owned by player
    (a Paper server with a database, a subuser, a schedule with 2 tasks and a completed backup)."""
    eggs = seed_catalog(state)
    admin = state.find("users", username="admin")
    player = state.find("users", username="player")
    helper = state.find("users", username="helper")
    assert admin and player and helper
    frankfurt = state.insert("locations", {"short": "de.fra", "long": "Frankfurt, Germany"})
    new_york = state.insert("locations", {"short": "us.nyc", "long": "New York, USA"})
    node1 = add_node(state, "fra-node-1", frankfurt["id"], "node1.example.com", "https")
    node2 = add_node(state, "nyc-node-1", new_york["id"], "node2.example.com", "http", memory=8192, disk=51200)
    node1_allocations = add_allocations(state, node1, "10.0.0.10", range(25565, 25585), alias="mc.example.com")
    node2_allocations = add_allocations(state, node2, "10.0.1.10", range(28015, 28025))
    add_allocations(state, node2, "10.0.1.10", range(27015, 27020))
    state.insert(
        "database_hosts",
        {
            "name": "MySQL Frankfurt",
            "host": "10.0.0.5",
            "port": 3306,
            "username": "pterodactyl",
            "password": state.random_string(24),
            "max_databases": None,
            "node_id": node1["id"],
        },
    )

    survival = add_server(
        state,
        "Survival",
        player,
        eggs["Paper"],
        node1_allocations[0],
        description="Paper survival world",
        limits=(2, 3, 3),
    )
    node1_allocations[1]["server_id"] = survival["id"]
    node1_allocations[1]["notes"] = "Dynmap"
    add_server(
        state,
        "Creative",
        player,
        eggs["Vanilla Minecraft"],
        node1_allocations[2],
        memory=1024,
        disk=5120,
        limits=(0, 0, 1),
    )
    add_server(
        state, "Rust Island", player, eggs["Rust"], node2_allocations[0], memory=4096, disk=20480, limits=(1, 1, 2)
    )

    state.insert(
        "databases",
        {
            "server_id": survival["id"],
            "database_host_id": 1,
            "database": f"s{survival['id']}_world",
            "username": f"u{survival['id']}_" + state.random_string(10),
            "remote": "%",
            "password": state.random_string(24),
            "max_connections": 0,
        },
    )
    state.insert(
        "subusers", {"user_id": helper["id"], "server_id": survival["id"], "permissions": list(HELPER_PERMISSIONS)}
    )
    schedule = state.insert(
        "schedules",
        {
            "server_id": survival["id"],
            "name": "Nightly restart",
            "cron_day_of_week": "*",
            "cron_month": "*",
            "cron_day_of_month": "*",
            "cron_hour": "4",
            "cron_minute": "0",
            "is_active": True,
            "is_processing": False,
            "only_when_online": False,
            "last_run_at": None,
            "next_run_at": next_cron_run(state, 0, 4),
        },
    )
    state.insert(
        "tasks",
        {
            "schedule_id": schedule["id"],
            "sequence_id": 1,
            "action": "command",
            "payload": "say Restarting in 30 seconds",
            "time_offset": 0,
            "is_queued": False,
            "continue_on_failure": False,
        },
    )
    state.insert(
        "tasks",
        {
            "schedule_id": schedule["id"],
            "sequence_id": 2,
            "action": "power",
            "payload": "restart",
            "time_offset": 30,
            "is_queued": False,
            "continue_on_failure": False,
        },
    )
    completed = state.now()
    state.insert(
        "backups",
        {
            "uuid": state.new_uuid(),
            "server_id": survival["id"],
            "upload_id": None,
            "is_successful": True,
            "is_locked": False,
            "name": "Before update",
            "ignored_files": [],
            "disk": "wings",
            "checksum": "sha1:" + state.random_string(40, "0123456789abcdef"),
            "bytes": 104857600,
            "completed_at": completed,
            "deleted_at": None,
        },
    )
    state.log_activity(
        "server:backup.complete",
        player["id"],
        server_id=survival["id"],
        properties={"name": "Before update"},
        is_api=False,
    )


def seed_scale(state: State, params: dict[str, int]) -> None:
    """Benchmark data: ``locations`` locations, ``nodes`` nodes, ``users`` users and ``servers`` servers spread
    round-robin, each server with its own allocation (plus 10 free allocations per node)."""
    locations_count = max(1, params.get("locations", 10))
    nodes_count = max(1, params.get("nodes", 100))
    users_count = max(0, params.get("users", 5000))
    servers_count = max(0, params.get("servers", 10000))
    eggs = seed_catalog(state)
    egg_cycle = [eggs["Paper"], eggs["Vanilla Minecraft"], eggs["Rust"], eggs["Teamspeak3 Server"]]
    locations = [
        state.insert("locations", {"short": f"loc{i:02d}", "long": f"Location {i}"})
        for i in range(1, locations_count + 1)
    ]
    per_node = -(-servers_count // nodes_count) if servers_count else 0
    nodes = [
        add_node(
            state,
            f"node-{i:03d}",
            locations[(i - 1) % locations_count]["id"],
            f"node{i}.example.com",
            memory=max(16384, per_node * 1024),
            disk=max(102400, per_node * 4096),
        )
        for i in range(1, nodes_count + 1)
    ]
    player = state.find("users", username="player")
    assert player is not None, "the scale seed builds on the base seed's player"
    users = [player]
    for i in range(1, users_count + 1):
        users.append(
            add_user(
                state,
                f"user{i:05d}",
                f"user{i:05d}@example.com",
                "User",
                f"Number {i}",
                None,
                external_id=f"ext-user-{i}",
            )
        )
    free_ports: dict[int, list[dict[str, Any]]] = {}
    for index, node in enumerate(nodes):
        ip = f"10.{index // 256}.{index % 256}.10"
        free_ports[node["id"]] = add_allocations(state, node, ip, range(25565, 25565 + per_node + 10))
    used_short: set[str] = set()
    for i in range(servers_count):
        node = nodes[i % nodes_count]
        allocation = free_ports[node["id"]][i // nodes_count]
        server = add_server(
            state,
            f"server-{i + 1:05d}",
            users[i % len(users)],
            egg_cycle[i % len(egg_cycle)],
            allocation,
            memory=1024,
            disk=4096,
            used_short=used_short,
        )
        server["external_id"] = f"ext-server-{i + 1}"
