"""A stateful emulator of the Pterodactyl panel (application + client API) and the Wings websocket, for tests.

Run: ``python -m ptero_emulator --port 0 --seed demo --write-connection /tmp/conn.json`` (first stdout line is
``EMULATOR_URL=http://127.0.0.1:PORT``), or from pytest with ``ptero_emulator.fixture`` (``start_emulator``,
fixtures ``panel_emulator`` / ``fresh_emulator``).

Interface for the API modules (client_api.py, wings.py):
* Each API module exposes ``routes = web.RouteTableDef()``; register with ``@route(routes, "GET", path)`` from
  ``http.py`` (GET also answers HEAD).
* Before a /api/application or /api/client handler runs, the gate middleware has checked auth, malformed JSON,
  2FA, the IP allow-list, the rate limit and the key type. Handlers get ``request["user"]`` (users row),
  ``request["api_key"]`` (api_keys row), ``request["state"]`` (State); ``http.body(request)`` is the normalised body
  (strings trimmed, "" -> None; no trimming on /api/client/servers/<36-char uuid>/files...), ``http.query(request)``
  the query string in PHP's nested form (``filter[name]`` -> {"filter": {"name": ...}}), ``request["raw_body"]`` the
  raw bytes (files/write).
* Raise ``ApiError(status, code, detail)`` / ``ValidationFailed([(field, rule, message)])`` / the helpers
  ``not_found()``, ``forbidden()``, ``display_error()``, ``conflict()``; ``validate(data, rules)`` runs Laravel rule
  strings (use a list instead of a "|" string when a regex contains "|"; ``Check(name, fn)`` for unique/exists/custom).
* Envelopes: ``item()``, ``list_envelope()``, ``null_resource()``, ``paginate(request, rows, transform,
  default_per_page, max_per_page, app_links)``, ``apply_filters()``, ``apply_sort()``, ``includes()``;
  responses: ``json_response()``, ``empty_response(204|202)``.
* ``request.app["config"]`` is the EmulatorConfig (mutable at run time), ``request.app["state"]`` the State,
  ``request.app["daemon"]`` the Wings Daemon, ``request.app["rate_limiter"].hit(name, key, limit, period)`` a
  generic fixed-window limiter (e.g. files/pull), ``state.later(seconds, fn, kind)`` timers that
  ``POST /_emulator/advance`` can finish early, ``state.begin_install(server)`` the install life cycle,
  ``state.subscribe(fn)`` life-cycle events (server.install_started/completed, server.deleted, server.suspended,
  server.unsuspended, state.reset).

Panel and Wings versions: ``EmulatorConfig.panel_version`` ("1.11", "1.12", "1.14"; default "1.14", which stands
for 1.14.1 and 1.15.x) and ``wings_version`` ("" = the release paired with the panel: 1.11, 1.12, 1.13). Set them
with ``--panel-version`` / ``--wings-version``, ``start_emulator(..., panel_version="1.11")`` or
``POST /_emulator/config``; ``GET /_emulator/health`` shows both. Every version difference is a feature of
``versions.py`` (feature -> first version), asked as ``config.has("serv_identifiers")`` /
``config.wings_has("jwt_scope_required")``; nothing else compares versions. ``config.server_resource_limits``
holds the 1.12+ per-server limiters (name -> [count, seconds]) and ``DELETE /_emulator/rate-limits``
(``RunningEmulator.clear_rate_limits()``) empties every rate-limit bucket.
"""
