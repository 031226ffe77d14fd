# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which panel the collection talks to: Pterodactyl or Pelican (its fork), and how to tell them apart cheaply.

The flavour is decided once per client, cheapest first:
  1. the `panel` option (`pterodactyl` or `pelican`) when it is not `auto`: nothing is sent;
  2. the API key's prefix: `papp_`/`pacc_` (Pelican beta25+) and `peli_`/`plcn_` (older betas) exist only on
     Pelican. `ptla_`/`ptlc_` prove nothing, since keys migrated from Pterodactyl keep their prefix on Pelican;
  3. one unauthenticated `GET /api/application/eggs` (Accept: application/json): the route exists only on Pelican,
     and both panels match routes before they authenticate, so Pelican answers 401 and Pterodactyl 404. The probe
     needs no key and counts against no rate limit.
"""

from __future__ import annotations

import typing as t

PTERODACTYL = "pterodactyl"
PELICAN = "pelican"
FLAVOURS: tuple[str, ...] = (PTERODACTYL, PELICAN)
AUTO = "auto"
#: Values of the `panel` connection option.
PANEL_CHOICES: tuple[str, ...] = (AUTO, PTERODACTYL, PELICAN)
ENV_PANEL = "PTERODACTYL_PANEL"

#: The first Pelican release the collection supports: it sends the websocket `scope` claim Wings needs.
MIN_PELICAN = "beta35"

#: Names for messages.
PANEL_NAMES = {PTERODACTYL: "Pterodactyl", PELICAN: "Pelican"}

# Key prefix -> (flavour it proves or suggests, API the key belongs to).
KEY_PREFIXES: dict[str, tuple[str, str]] = {
    "ptla_": (PTERODACTYL, "application"),
    "ptlc_": (PTERODACTYL, "client"),
    "papp_": (PELICAN, "application"),
    "pacc_": (PELICAN, "client"),
    "peli_": (PELICAN, "application"),
    "plcn_": (PELICAN, "client"),
}
#: Prefixes only Pelican issues: a key with one of them is a Pelican key, no request needed.
PELICAN_KEY_PREFIXES: tuple[str, ...] = tuple(
    prefix for prefix, (flavour, _api) in KEY_PREFIXES.items() if flavour == PELICAN
)

#: The probe: a route only Pelican has, asked without a key.
PROBE_METHOD = "GET"
PROBE_PATH = "/api/application/eggs"
PROBE_ACCEPT = "application/json"
PROBE_ANSWERS: dict[int, str] = {401: PELICAN, 404: PTERODACTYL}

# How a flavour was decided, for messages ("detected from the API key prefix").
SOURCE_OPTION = "the panel option"
SOURCE_KEY = "the API key prefix"
SOURCE_PROBE = "a probe of GET " + PROBE_PATH


def panel_name(flavour: str) -> str:
    """ "Pelican", "Pterodactyl"."""
    return PANEL_NAMES.get(flavour, flavour)


def key_prefix(api_key: str) -> str | None:
    """The known prefix the key starts with ("papp_"), or None."""
    return next((prefix for prefix in KEY_PREFIXES if (api_key or "").startswith(prefix)), None)


def flavour_from_key(api_key: str) -> str | None:
    """PELICAN for a key only Pelican issues; None otherwise (a `ptl*_` key may be a migrated one on Pelican)."""
    prefix = key_prefix(api_key)
    return PELICAN if prefix in PELICAN_KEY_PREFIXES else None


def api_of_key(api_key: str) -> str | None:
    """ "application" or "client" from the key's prefix, on either panel; None for a key without a known prefix."""
    prefix = key_prefix(api_key)
    return KEY_PREFIXES[prefix][1] if prefix else None


def flavour_from_probe(status: int) -> str | None:
    """The flavour an answer to the probe proves, or None when the answer proves nothing."""
    return PROBE_ANSWERS.get(status)


def check_panel_choice(value: t.Any) -> str:
    """The `panel` setting, lower-cased; ValueError naming the choices for anything else."""
    text = str(value if value is not None else AUTO).strip().lower()
    if text not in PANEL_CHOICES:
        raise ValueError(f"must be one of {', '.join(PANEL_CHOICES)}, not {value!r}")
    return text
