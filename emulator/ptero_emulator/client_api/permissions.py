"""The subuser permissions as the panel defines them (GET /api/client/permissions), and the ones each power
signal needs."""

from __future__ import annotations

# Subuser permission groups (keys as the panel defines them; descriptions are our own short texts).
PERMISSION_GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "websocket": (
        "Connecting to the server's live console websocket.",
        {
            "connect": "Open the websocket to see console output and live statistics.",
        },
    ),
    "control": (
        "Controlling the server process.",
        {
            "console": "Send commands to the server console.",
            "start": "Start the server.",
            "stop": "Stop or kill the server.",
            "restart": "Restart the server.",
        },
    ),
    "user": (
        "Managing the subusers of the server.",
        {
            "create": "Add new subusers.",
            "read": "See subusers and their permissions.",
            "update": "Change the permissions of subusers.",
            "delete": "Remove subusers.",
        },
    ),
    "file": (
        "Managing the server's files.",
        {
            "create": "Create, upload, copy and extract files.",
            "read": "List directories.",
            "read-content": "Read and download file contents.",
            "update": "Rename, move and chmod files.",
            "delete": "Delete files.",
            "archive": "Create archives of files.",
            "sftp": "Connect over SFTP (file permissions still apply).",
        },
    ),
    "backup": (
        "Managing the server's backups.",
        {
            "create": "Create backups.",
            "read": "List and view backups.",
            "delete": "Delete and lock backups.",
            "download": "Download backups.",
            "restore": "Restore backups (may delete current files).",
        },
    ),
    "allocation": (
        "Managing the server's network allocations.",
        {
            "read": "See all allocations of the server.",
            "create": "Add allocations to the server.",
            "update": "Change the primary allocation and notes.",
            "delete": "Remove allocations from the server.",
        },
    ),
    "startup": (
        "Viewing and changing the startup settings.",
        {
            "read": "See the startup variables.",
            "update": "Change the startup variables.",
            "docker-image": "Change the Docker image.",
        },
    ),
    "database": (
        "Managing the server's databases.",
        {
            "create": "Create databases.",
            "read": "List databases.",
            "update": "Rotate database passwords.",
            "delete": "Delete databases.",
            "view_password": "See database passwords.",
        },
    ),
    "schedule": (
        "Managing the server's schedules.",
        {
            "create": "Create schedules.",
            "read": "See schedules and their tasks.",
            "update": "Change schedules and tasks, and run them.",
            "delete": "Delete schedules.",
        },
    ),
    "settings": (
        "Managing the server's settings.",
        {
            "rename": "Rename the server and change its description.",
            "reinstall": "Reinstall the server.",
        },
    ),
    "activity": (
        "Viewing the server's activity log.",
        {
            "read": "See the activity log.",
        },
    ),
}
ALL_PERMISSIONS: list[str] = [f"{group}.{key}" for group, (_unused, keys) in PERMISSION_GROUPS.items() for key in keys]
ADMIN_PERMISSIONS = ["*", "admin.websocket.errors", "admin.websocket.install", "admin.websocket.transfer"]
