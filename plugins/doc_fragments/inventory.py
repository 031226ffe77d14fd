# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the ptero.panel plugins that read their settings from Ansible's configuration
(inventory): the same options and environment variables as the modules' ptero.panel.connection fragment."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the Pterodactyl or Pelican panel, for example V(https://panel.example.com).
      - The value is templated, so it may use lookups and extra vars (C(-e)).
    type: str
    required: true
    env:
      - name: PTERODACTYL_URL
  api_key:
    description:
      - API key of the panel, an application key (C(ptla_...)) or a client key (C(ptlc_...)); see O(api_type).
      - The value is templated, so it may be a vaulted string (C(!vault)), a lookup or an extra var.
      - When both environment variables are set, E(PTERODACTYL_API_KEY) wins (the variable the application modules
        read), except with O(api_type=client), where E(PTERODACTYL_CLIENT_API_KEY) wins, as for the client modules.
    type: str
    required: true
    env:
      - name: PTERODACTYL_CLIENT_API_KEY
      - name: PTERODACTYL_API_KEY
  panel:
    description:
      - Which panel O(url) runs, Pterodactyl or Pelican (its successor).
      - V(auto) tells them apart once per listing, cheaply. A key with a Pelican prefix (C(papp_), C(pacc_), C(peli_),
        C(plcn_)) means Pelican. Otherwise one request without the key is sent (C(GET /api/application/eggs)), to
        which Pelican answers 401 and Pterodactyl 404.
      - Set V(pterodactyl) or V(pelican) to skip the detection, for example when a proxy answers that request itself.
    type: str
    choices: [auto, pterodactyl, pelican]
    default: auto
    env:
      - name: PTERODACTYL_PANEL
  validate_certs:
    description:
      - Whether to verify the panel's TLS certificate.
    type: bool
    default: true
    env:
      - name: PTERODACTYL_VALIDATE_CERTS
  timeout:
    description:
      - Seconds to wait for the panel to accept a connection and, separately, to answer each request.
    type: float
    default: 30
    env:
      - name: PTERODACTYL_TIMEOUT
  retries:
    description:
      - How many times a request is retried after the first attempt.
      - Rate-limited answers (HTTP 429) are retried honouring C(Retry-After); connection errors and HTTP 5xx are retried
        too (the plugin only reads).
    type: int
    default: 5
  backoff_factor:
    description:
      - Base of the exponential back-off between retries, in seconds (V(backoff_factor * 2 ** attempt), with jitter).
    type: float
    default: 0.5
  extra_retry_codes:
    description:
      - Further HTTP status codes to retry, on top of 429, 500, 502, 503 and 504.
    type: list
    elements: int
    default: []
"""
