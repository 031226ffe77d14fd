# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every ptero.panel module."""

from __future__ import annotations


class ModuleDocFragment:
    # Options every module has; the key option comes from APPLICATION or CLIENT below. Every module talks to the
    # panel through requests, so the requirement is stated here once and ansible-doc merges it into each module.
    DOCUMENTATION = r"""
requirements:
  - requests
options:
  url:
    description:
      - Base URL of the Pterodactyl or Pelican panel, for example V(https://panel.example.com).
      - If not set, the value of the E(PTERODACTYL_URL) environment variable is used.
    type: str
    required: true
  validate_certs:
    description:
      - Whether to verify the panel's TLS certificate.
      - If not set, the value of the E(PTERODACTYL_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the panel to accept a connection and, separately, to answer each request.
      - If not set, the value of the E(PTERODACTYL_TIMEOUT) environment variable is used.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after the first attempt.
      - Rate-limited answers (HTTP 429) are retried for every request, honouring C(Retry-After).
      - Connection errors and HTTP 5xx are retried only for requests that are safe to repeat (GET, HEAD, PUT, DELETE).
        A POST or PATCH whose answer was lost is never sent again; the task fails and says the write may have happened.
    type: int
    default: 5
  backoff_factor:
    description:
      - Base of the exponential back-off between retries, in seconds (V(backoff_factor * 2 ** attempt), with jitter).
    type: float
    default: 0.5
  extra_retry_codes:
    description:
      - Further HTTP status codes to retry, on top of 429, 500, 502, 503 and 504, under the same write-safety rule.
    type: list
    elements: int
    default: []
  panel:
    description:
      - Which panel O(url) runs, Pterodactyl or Pelican (its successor).
      - V(auto) tells them apart once per task, cheaply. A key with a Pelican prefix (C(papp_), C(pacc_), C(peli_),
        C(plcn_)) means Pelican. Otherwise, and only when the task uses something the panels do differently, one
        request without the key is sent (C(GET /api/application/eggs)), to which Pelican answers 401 and
        Pterodactyl 404.
      - Set V(pterodactyl) or V(pelican) to skip the detection, for example when a proxy answers that request
        itself.
      - Something the panel does not have (locations and nests on Pelican, mounts and roles on Pterodactyl) fails
        before any request, naming what to use instead.
      - If not set, the value of the E(PTERODACTYL_PANEL) environment variable is used.
    type: str
    choices: [auto, pterodactyl, pelican]
    default: auto
"""

    APPLICATION = r"""
options:
  api_key:
    description:
      - Application API key (C(ptla_...), on Pelican C(papp_...)) created in the panel's admin area, or the client
        key of a root admin.
      - If not set, the value of the E(PTERODACTYL_API_KEY) environment variable is used.
    type: str
    required: true
"""

    CLIENT = r"""
options:
  api_key:
    description:
      - Client API key (C(ptlc_...), on Pelican C(pacc_...)) of the account that owns or may use the server.
      - If not set, the value of the E(PTERODACTYL_CLIENT_API_KEY) environment variable is used, then
        E(PTERODACTYL_API_KEY).
    type: str
    required: true
"""
