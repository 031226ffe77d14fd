# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accounts: the e-mail addresses the panel accepts (user and subuser modules), what Pelican's API can change about
a user's Root Admin role, and Pelican's other roles of a user (`roles` of the user module)."""

from __future__ import annotations

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
from ansible_collections.ptero.panel.plugins.module_utils._lookup import is_id
from ansible_collections.ptero.panel.plugins.module_utils._module import TaskFailure

# Pterodactyl's `between:1,191` on every e-mail field; Pelican's `between:1,255`.
EMAIL_MAX_LENGTH = 191
PELICAN_EMAIL_MAX_LENGTH = 255
# The ASCII characters RFC 5322 allows unquoted in a local part besides letters, digits and dots.
_LOCAL_PART_SYMBOLS = frozenset("!#$%&'*+-/=?^_`{|}~")


def _local_part_dots_problem(local: str) -> str | None:
    # An RFC error under every panel's rule (egulias' DotAtStart, DotAtEnd, ConsecutiveDot), strict or not.
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "its local part starts or ends with a dot, or has two dots in a row"
    return None


def _local_part_problem(local: str) -> str | None:
    if local.startswith('"') or local.endswith('"'):
        return "it has a quoted local part"
    if local.startswith("-"):
        # p_user_email (panel 1.14.1+): the local part must not start with a dash.
        return "its local part starts with a dash"
    dots = _local_part_dots_problem(local)
    if dots:
        return dots
    for char in local:
        if char.isascii() and not (char.isalnum() or char == "." or char in _LOCAL_PART_SYMBOLS):
            return f"its local part contains {char!r}"
    if len(local.encode("utf-8")) > 64:
        return "its local part is longer than 64 bytes"
    return None


def _domain_problem(domain: str) -> str | None:
    if domain.startswith("["):
        return "its domain is an address literal"
    if domain.endswith("."):
        return "its domain ends with a dot"
    labels = domain.split(".")
    if len(labels) < 2:
        return "its domain has no dot (like 'localhost')"
    for label in labels:
        if not label:
            return "its domain has two dots in a row"
        if label.startswith("-") or label.endswith("-"):
            return f"the domain label '{label}' starts or ends with a dash"
        if len(label) > 63:
            return "a domain label is longer than 63 characters"
        for char in label:
            # Non-ASCII letters are fine (internationalised domains); so is '_', which the panel's check does not
            # clearly refuse: when unsure, the panel decides.
            if char.isascii() and not (char.isalnum() or char in "-_"):
                return f"its domain contains {char!r}"
    return None


def email_problem(address: str) -> str | None:
    """Why panels 1.13+ (`email:strict`) or 1.14.1+ (`p_user_email`) refuse `address`, else None.

    Only what the panel certainly refuses is refused here (UTF-8 local parts and domains are accepted, as the
    panel accepts them); anything else is left to the panel.
    """
    if len(address) > EMAIL_MAX_LENGTH:
        return f"it is longer than {EMAIL_MAX_LENGTH} characters"
    if any(char.isspace() for char in address):
        return "it contains white space"
    if "(" in address or ")" in address:
        return "it contains a comment (parentheses)"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "it is not of the form local-part@domain"
    return _local_part_problem(local) or _domain_problem(domain)


def pelican_email_problem(address: str) -> str | None:
    """Why Pelican refuses `address`, else None. Its rule is Laravel's plain `email` (RFC validation that lets
    warnings pass: comments, a domain without a dot, but not errors such as two dots in a row) and `between:1,255`;
    only what it certainly refuses is refused here."""
    if len(address) > PELICAN_EMAIL_MAX_LENGTH:
        return f"it is longer than {PELICAN_EMAIL_MAX_LENGTH} characters"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "it is not of the form local-part@domain"
    quoted = len(local) > 1 and local.startswith('"') and local.endswith('"')
    dots = None if quoted else _local_part_dots_problem(local)
    if dots:
        return dots
    if domain.startswith(".") or ".." in domain:
        return "its domain starts with a dot or has two dots in a row"
    return None


def require_valid_email(address: str, is_pelican: t.Callable[[], bool], option: str = "email") -> None:
    """Raise TaskFailure, naming the option, before sending an address the panel refuses (it answers 422 after the
    lookup work; the subuser limiter counts refused invites too). `is_pelican` is only asked when Pterodactyl's
    rules refuse the address, so an accepted address never makes the client tell the panels apart."""
    problem = email_problem(address)
    if problem is None:
        return
    if is_pelican():
        problem = pelican_email_problem(address)
        if problem is not None:
            raise TaskFailure(f"{option}: Pelican refuses '{address}' as an e-mail address: {problem}")
        return
    raise TaskFailure(f"{option}: the panel (1.13 and later) refuses '{address}' as an e-mail address: {problem}")


def pelican_root_admin_problem(current: t.Mapping[str, t.Any] | None, wanted: bool | None) -> str | None:
    """Why Pelican cannot give a user `root_admin=wanted`, or None when nothing needs to change.

    Pelican derives root_admin from its Root Admin role and ignores the field in a request; its role assignment
    skips that role, so only the admin area can grant or remove it."""
    have = bool((current or {}).get("root_admin"))
    if wanted is None or wanted == have:
        return None
    if current is None:
        return (
            "Pelican cannot create a root admin through the API (it ignores root_admin and only grants the "
            "Root Admin role in its admin area); create the user without root_admin, then give it the role there"
        )
    return (
        f"Pelican cannot {'grant' if wanted else 'remove'} root admin through the API (the Root Admin role is "
        f"only {'given' if wanted else 'taken away'} in its admin area); the user has root_admin={have}. Change "
        "the role in the admin area, or leave root_admin out"
    )


# Pelican's role that makes a user root admin; the API's role assignment skips it.
ROOT_ADMIN_ROLE = "Root Admin"


def resolve_roles(client: PanelClient, refs: t.Iterable[str]) -> dict[str, int]:
    """{name: id} of the Pelican roles `refs` names (by name or id); TaskFailure naming the option for a role that
    does not exist or for Root Admin, which only root_admin (and the admin area) can give."""
    roles = client.collect("application.roles.list")
    by_id = {str(role["id"]): role for role in roles}
    by_name = {role["name"]: role for role in roles}
    found: dict[str, int] = {}
    unknown = []
    for ref in refs:
        role = by_id.get(ref) if is_id(ref) else None
        role = role or by_name.get(ref)
        if role is None:
            unknown.append(ref)
        else:
            found[role["name"]] = role["id"]
    if unknown:
        raise TaskFailure(
            f"roles: no role {', '.join(repr(ref) for ref in unknown)} on the panel (it has "
            f"{', '.join(sorted(by_name)) or 'none'}); create roles with ptero.panel.role"
        )
    if ROOT_ADMIN_ROLE in found:
        raise TaskFailure(
            f"roles: {ROOT_ADMIN_ROLE} cannot be given or taken through Pelican's API; leave it out of "
            "roles (root_admin says whether the user has it)"
        )
    return found


def user_roles(client: PanelClient, user_id: int) -> dict[str, int]:
    """{name: id} of a Pelican user's roles, without Root Admin (managed as root_admin)."""
    user = client.call("application.users.get", {"user": user_id}, query={"include": "roles"})
    roles = (user.get("relationships") or {}).get("roles") or []
    return {role["name"]: role["id"] for role in roles if role.get("name") != ROOT_ADMIN_ROLE}


def permission_groups(listing: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
    """The panel's subuser permissions (`client.permissions.get`) as groups: name -> {description, keys: key ->
    description}. Pterodactyl answers that map; Pelican a flat list of `group.key` strings, whose groups and keys
    therefore carry no description (None)."""
    permissions = (listing or {}).get("permissions") or {}
    if not isinstance(permissions, list):
        return dict(permissions)
    groups: dict[str, t.Any] = {}
    for entry in sorted(str(item) for item in permissions):
        group, _dot, key = entry.partition(".")
        groups.setdefault(group, {"description": None, "keys": {}})["keys"][key] = None
    return groups


def permission_keys(groups: t.Mapping[str, t.Any]) -> list[str]:
    """Every permission of `permission_groups()` as `group.key`, sorted (the form ptero.panel.subuser takes)."""
    return sorted(f"{group}.{key}" for group, entry in groups.items() for key in ((entry or {}).get("keys") or {}))


# Pelican checks a user's timezone against PHP's DateTimeZone::listIdentifiers() (DateTimeZone::ALL): "UTC" and the
# tz database's canonical zones under these areas, compared case-sensitively. Links (US/Eastern, GMT, Etc/UTC) are not
# listed. Which zones an area holds depends on the panel's PHP build, so that part is left to the panel.
PELICAN_TIMEZONE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def pelican_timezone_problem(timezone: str) -> str | None:
    """Why Pelican certainly refuses `timezone` as a user's timezone, else None (the panel judges the rest)."""
    name = timezone.strip()  # the panel trims input, and "" arrives as null, which its string rule refuses
    if not name:
        return "it is empty"
    if name == "UTC" or any(name.startswith(f"{area}/") for area in PELICAN_TIMEZONE_AREAS):
        return None
    return (
        f"Pelican only takes UTC or a tz database name under {', '.join(PELICAN_TIMEZONE_AREAS)} (such as "
        "Europe/Berlin), spelt as the database lists it; aliases such as US/Eastern, GMT or Etc/UTC are refused"
    )
