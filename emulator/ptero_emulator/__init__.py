"""A stateful emulator of the Pterodactyl panel (application + client API) and the Wings websocket, for tests.

Run: ``python -m ptero_emulator --port 0 --seed demo --write-connection /tmp/conn.json`` (first stdout line is
``EMULATOR_URL=http://127.0.0.1:PORT``), or from pytest with ``ptero_emulator.fixture`` (``start_emulator``,
fixtures ``panel_emulator`` / ``fresh_emulator``).

Layout, from the bottom up:
* ``config.py`` (EmulatorConfig), ``versions.py`` (feature -> first version), ``state.py`` (the tables, timers,
  life-cycle events), ``seed.py``; ``http.py`` (errors, Laravel validation, envelopes, pagination); ``jwt.py``
  (the one HS256 implementation), ``cron.py``, ``totp.py``, ``sshkeys.py``, ``files.py`` (server file trees).
* ``wings.py``: the Wings emulation (``Daemon``: power, console, stats, the websocket; it mints and verifies every
  panel token).
* ``application_api.py`` (+ ``pelican_api.py``): ``/api/application``. ``client_api/``: ``/api/client``, one module
  per panel controller (account, servers, websocket, activity, databases, files, schedules + schedule_runner,
  tasks, network, subusers, backups, startup, settings) plus ``wings_http`` (Wings' HTTP side of signed URLs).
* ``app.py`` (middleware chain, mounting), ``control.py`` (``/_emulator/*``), ``faults.py``, ``ratelimit.py``,
  ``fixture.py`` (``start_emulator``, pytest fixtures), ``__main__.py`` (command line).

One handler convention for both APIs: a decorator declares the route and its checks, and the handler receives a
context plus the path's bound models as keyword arguments.
* ``/api/application``: ``@app_route(method, path, resource, READ|WRITE)`` -> ``async def h(ctx: Ctx, user: Row)``.
* ``/api/client``: ``@client_route(method, path)`` -> ``async def h(ctx: ClientCtx)``, and
  ``@server_route(method, path, permission, kind=, limiter=)`` -> ``async def h(ctx: ServerContext, schedule: Row)``
  (``client_api/context.py``): binding (404), the server's access and state gate (404/409), the per-server limiter
  (1.12+, 429) and the permission (403), in the panel's order. ``ctx.input()`` is Laravel's ``$request->all()``,
  ``ctx.log(event, properties)`` writes the activity log, ``ctx.daemon()`` is the Wings emulation (504 while
  ``daemon_unreachable``).
* Before a handler runs, the gate middleware has checked auth, malformed JSON, 2FA, the IP allow-list, the rate
  limit and the key type. ``http.body(request)`` is the normalised body (strings trimmed, "" -> None; no trimming
  on /api/client/servers/<36-char uuid>/files...), ``http.query(request)`` the query string in PHP's nested form
  (``filter[name]`` -> {"filter": {"name": ...}}), ``request["raw_body"]`` the raw bytes (files/write).
* Raise ``ApiError(status, code, detail)`` / ``ValidationFailed([(field, rule, message)])`` / the helpers
  ``not_found()``, ``forbidden()``, ``display_error()``, ``conflict()``; ``validate(data, rules)`` runs Laravel rule
  strings (use a list instead of a "|" string when a regex contains "|"; ``Check(name, fn)`` for unique/exists/custom).
* Envelopes: ``item()``, ``list_envelope()``, ``null_resource()``, ``paginate(request, rows, transform,
  default_per_page, max_per_page, app_links)``, ``apply_filters()``, ``apply_sort()``, ``includes()``;
  responses: ``json_response()``, ``empty_response(204|202)``.
* ``request.app["config"]`` is the EmulatorConfig (mutable at run time), ``request.app["state"]`` the State,
  ``request.app["daemon"]`` the Wings Daemon, ``request.app["rate_limiter"].hit(name, key, limit, period)`` a
  generic fixed-window limiter, ``state.later(seconds, fn, kind)`` timers that ``POST /_emulator/advance`` can
  finish early, ``state.begin_install(server)`` the install life cycle, ``state.subscribe(fn)`` life-cycle events
  (server.install_started/completed, server.deleted, server.suspended, server.unsuspended, state.reset).

Panel and Wings versions: ``EmulatorConfig.panel_version`` ("1.11", "1.12", "1.14"; default "1.14", which stands
for 1.14.1 and 1.15.x) and ``wings_version`` ("" = the release paired with the panel: 1.11, 1.12, 1.13). Set them
with ``--panel-version`` / ``--wings-version``, ``start_emulator(..., panel_version="1.11")`` or
``POST /_emulator/config``; ``GET /_emulator/health`` shows both. Every version difference is a feature of
``versions.py`` (feature -> first version), asked as ``config.has("serv_identifiers")`` /
``config.wings_has("jwt_scope_required")``; nothing else compares versions. ``config.server_resource_limits``
holds the 1.12+ per-server limiters (name -> [count, seconds]) and ``DELETE /_emulator/rate-limits``
(``RunningEmulator.clear_rate_limits()``) empties every rate-limit bucket.
``EmulatorConfig.flavour`` ("pterodactyl", default, or "pelican"; ``--flavour``, ``start_emulator(...,
flavour="pelican")``) selects the panel family the same way: Pelican's differences are features asked with
``config.has(...)``.
"""
