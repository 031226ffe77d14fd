# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin's parse(): requests sent to a mocked panel, caching, populated inventory, errors."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.module_utils.basic import missing_required_lib
from ansible.parsing.dataloader import DataLoader

from ansible_collections.ptero.panel.plugins.inventory import pterodactyl as plugin

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 trusts every template

    def trust_as_template(value: str) -> str:
        return value


URL = "https://panel.example.test"
APPLICATION_KEY = "ptla_IDENTIFIER01" + "APPSECRETSENTINEL0123456789ABCDE"
CLIENT_KEY = "ptlc_IDENTIFIER02" + "CLISECRETSENTINEL0123456789ABCDE"
# Options as Ansible would resolve them from an empty configuration file.
DEFAULTS = {
    "plugin": "ptero.panel.pterodactyl",
    "url": URL,
    "api_key": APPLICATION_KEY,
    "api_type": "auto",
    "panel": "auto",
    "validate_certs": True,
    "timeout": 30.0,
    "retries": 0,
    "backoff_factor": 0.0,
    "extra_retry_codes": [],
    "include_servers": True,
    "include_nodes": True,
    "server_hostname": "name",
    "filters": {},
    "exclude_suspended": False,
    "client_list_all": False,
    "hostvar_prefix": "pterodactyl_",
    "extra_hostvars": [],
    "strict": False,
    "allow_empty": False,
    "compose": {},
    "groups": {},
    "keyed_groups": [],
    "use_extra_vars": False,
    "leading_separator": True,
    "cache": False,
    "cache_plugin": "memory",
    "cache_timeout": 3600,
    "cache_connection": None,
    "cache_prefix": "x",
}


class FakePanel:
    """Paginated application/client listings with the panel's envelopes; records every query."""

    def __init__(self, mock: responses.RequestsMock, servers: int = 250) -> None:
        self.queries: list[tuple[str, dict[str, str]]] = []
        self.authorizations: set[str | None] = set()
        self.rows = {
            "/api/application/servers": [self._server(number) for number in range(1, servers + 1)],
            "/api/application/nodes": [
                {
                    "id": 1,
                    "uuid": "n1",
                    "name": "node-a",
                    "location_id": 1,
                    "fqdn": "a.example.test",
                    "daemon_sftp": 2022,
                }
            ],
            "/api/application/locations": [{"id": 1, "short": "eu", "long": "Europe"}],
            "/api/application/nests": [
                {
                    "id": 1,
                    "name": "Minecraft",
                    "relationships": {
                        "eggs": {
                            "object": "list",
                            "data": [{"object": "egg", "attributes": {"id": 1, "name": "Paper"}}],
                        }
                    },
                }
            ],
            "/api/client": [
                {
                    "identifier": "c0000001",
                    "internal_id": 1,
                    "uuid": "c0000001-u",
                    "name": "mine",
                    "node": "node-a",
                    "sftp_details": {"ip": "a.example.test", "port": 2022},
                    "status": None,
                    "relationships": {"allocations": {"object": "list", "data": []}},
                }
            ],
        }
        self.account = {"id": 5, "admin": False, "username": "pat"}
        for path in self.rows:
            mock.add_callback("GET", re.compile(re.escape(URL + path) + r"(\?.*)?$"), callback=self.answer)
        mock.add_callback("GET", URL + "/api/client/account", callback=self.answer_account)
        # The client's flavour probe (panel: auto): Pterodactyl has no flat egg route, so 404.
        self.probes = 0
        mock.add_callback("GET", URL + "/api/application/eggs", callback=self.answer_probe)

    @staticmethod
    def _server(number: int) -> dict:
        return {
            "id": number,
            "identifier": f"{number:08x}",
            "uuid": f"{number:08x}-u",
            "name": f"server-{number}",
            "status": None,
            "node": 1,
            "nest": 1,
            "egg": 1,
            "allocation": number,
            "relationships": {
                "allocations": {
                    "object": "list",
                    "data": [
                        {"object": "allocation", "attributes": {"id": number, "ip": "10.0.0.1", "port": 20000 + number}}
                    ],
                },
                "user": {"object": "user", "attributes": {"id": 2, "username": "player"}},
            },
        }

    def answer(self, request) -> tuple[int, dict, str]:
        parts = urlsplit(request.url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.queries.append((parts.path, query))
        self.authorizations.add(request.headers.get("Authorization"))
        rows = self.rows[parts.path]
        per_page = int(query.get("per_page", 50))
        page = int(query.get("page", 1))
        chunk = rows[(page - 1) * per_page : page * per_page]
        data = [{"object": "thing", "attributes": row} for row in chunk]
        pagination = {
            "total": len(rows),
            "count": len(chunk),
            "per_page": per_page,
            "current_page": page,
            "total_pages": max(1, math.ceil(len(rows) / per_page)),
            "links": {},
        }
        return 200, {}, json.dumps({"object": "list", "data": data, "meta": {"pagination": pagination}})

    def answer_probe(self, request) -> tuple[int, dict, str]:
        assert "Authorization" not in request.headers, "the flavour probe is sent without the key"
        self.probes += 1
        return 404, {}, json.dumps({"errors": [{"code": "NotFoundHttpException", "status": "404", "detail": ""}]})

    def answer_account(self, request) -> tuple[int, dict, str]:
        self.queries.append((urlsplit(request.url).path, {}))
        return 200, {}, json.dumps({"object": "user", "attributes": self.account})


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakePanel(mock)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "panel.pterodactyl.yml"
    path.write_text("plugin: ptero.panel.pterodactyl\n")
    return path


class RecordingDisplay:
    """Records warnings; everything else goes to the real Display."""

    def __init__(self, real, warnings: list[str]) -> None:
        self._real = real
        self._warnings = warnings

    def warning(self, msg, *args, **kwargs) -> None:
        self._warnings.append(msg)

    def __getattr__(self, name):
        return getattr(self._real, name)


class Run:
    """One parse() with the given options, as ansible-inventory would run it."""

    def __init__(self, config, cache_store: dict | None = None, file_config: dict | None = None, **options) -> None:
        self.inventory = InventoryData()
        self.plugin = plugin.InventoryModule()
        self.warnings: list[str] = []
        # Display is a process-wide singleton: give this plugin a recording stand-in instead of patching it.
        self.plugin.display = RecordingDisplay(self.plugin.display, self.warnings)
        values = dict(DEFAULTS, **options)

        def read_config(path):
            self.plugin._options = dict(values)
            # What the file itself held (the options without it came from the environment or defaults).
            return values if file_config is None else file_config

        self.plugin._read_config_data = read_config
        self.plugin._cache = cache_store if cache_store is not None else {}
        self.config = config

    def parse(self, cache: bool = True) -> InventoryData:
        assert self.plugin.verify_file(str(self.config))
        self.plugin.parse(self.inventory, DataLoader(), str(self.config), cache=cache)
        return self.inventory


def host_names(inventory: InventoryData, group: str) -> list[str]:
    return [host.name for host in inventory.groups[group].get_hosts()]


def test_requests_grow_with_pages_not_with_servers(panel, config):
    inventory = Run(config).parse()
    assert len(host_names(inventory, "pterodactyl_servers")) == 250
    assert host_names(inventory, "pterodactyl_nodes") == ["node-a"]
    server_pages = [query for path, query in panel.queries if path == "/api/application/servers"]
    assert sorted(query["page"] for query in server_pages) == ["1", "2", "3"]
    assert all(query["per_page"] == "100" and query["include"] == "allocations,user" for query in server_pages)
    assert sorted(path for path, _query in panel.queries if path != "/api/application/servers") == [
        "/api/application/locations",
        "/api/application/nests",
        "/api/application/nodes",
    ]
    host = inventory.get_host("server-7")
    assert host.vars["pterodactyl_sftp_user"] == "player.00000007"
    assert "pterodactyl_egg_name" not in host.vars  # told by the egg group; compose still sees it
    assert host.vars["pterodactyl_location_short"] == "eu"
    assert host.vars["ansible_host"] == "a.example.test"
    assert "server-7" in host_names(inventory, "pterodactyl_egg_paper")


def test_a_cache_hit_sends_no_request_and_a_refresh_rewrites_the_entry(panel, config):
    store: dict = {}
    Run(config, store, cache=True).parse()
    assert len(store) == 1 and len(panel.queries) == 6
    key, entry = next(iter(store.items()))
    assert json.loads(json.dumps(entry)) == entry
    assert APPLICATION_KEY[16:] not in key

    panel.queries.clear()
    inventory = Run(
        config, store, cache=True, compose={"game": trust_as_template("pterodactyl_id + 1000")}, strict=True
    ).parse()
    assert panel.queries == []
    assert int(inventory.get_host("server-1").vars["game"]) == 1001  # a str before ansible-core 2.19
    # Composed values never reach the cached entry.
    assert "game" not in json.dumps(entry)

    Run(config, store, cache=True).parse(cache=False)  # --flush-cache
    assert len(panel.queries) == 6 and len(store) == 1


def test_the_cache_key_changes_with_what_is_listed(config):
    runner = Run(config)
    settings = plugin.Settings(api="application")
    base = runner.plugin.cache_key_for(str(config), URL, APPLICATION_KEY, settings)
    assert runner.plugin.cache_key_for(str(config), URL + "/", APPLICATION_KEY, settings) == base
    others = {
        runner.plugin.cache_key_for(str(config), "https://other.example.test", APPLICATION_KEY, settings),
        runner.plugin.cache_key_for(str(config), URL, "ptla_OTHERIDENTIF" + "x" * 32, settings),
        runner.plugin.cache_key_for(
            str(config), URL, APPLICATION_KEY, plugin.Settings(api="application", filters=(("filter[name]", "a"),))
        ),
        runner.plugin.cache_key_for(str(config), URL, APPLICATION_KEY, plugin.Settings(api="application", prefix="")),
    }
    assert base not in others and len(others) == 4


def test_an_older_cache_format_is_ignored(panel, config):
    store: dict = {}
    Run(config, store, cache=True).parse()
    key = next(iter(store))
    store[key] = {"format": 0, "hosts": []}
    inventory = Run(config, store, cache=True).parse()
    assert len(host_names(inventory, "pterodactyl_servers")) == 250
    assert store[key]["format"] == plugin.CACHE_FORMAT


def test_client_key_lists_with_the_largest_page_and_reads_the_account(panel, config):
    runner = Run(config, api_key=CLIENT_KEY, include_nodes=False, client_list_all=True)
    inventory = runner.parse()
    assert host_names(inventory, "pterodactyl_servers") == ["mine"]
    assert inventory.get_host("mine").vars["pterodactyl_sftp_user"] == "pat.c0000001"
    listings = [query for path, query in panel.queries if path == "/api/client"]
    # pat is no admin: type=admin-all answers nothing for it, so the plugin asks again without it.
    assert [query.get("type") for query in listings] == ["admin-all", None]
    assert all(query["per_page"] == "100" and query["include"] == "egg" for query in listings)
    assert any("only a root admin" in warning for warning in runner.warnings)
    assert not any(path.startswith("/api/application") for path, _query in panel.queries)


def test_client_key_without_servers_sends_nothing(panel, config):
    runner = Run(config, api_key=CLIENT_KEY, include_servers=False, allow_empty=True)
    inventory = runner.parse()
    assert panel.queries == []
    assert "pterodactyl_nodes" not in inventory.groups
    assert any("nodes can only be read with an application key" in warning for warning in runner.warnings)


def test_panel_errors_name_what_was_read_and_hide_the_key(config):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        body = {"errors": [{"code": "AuthenticationException", "status": "401", "detail": "Unauthenticated."}]}
        mock.add("GET", re.compile(re.escape(URL) + r"/api/application/.*"), json=body, status=401)
        with pytest.raises(AnsibleError) as raised:
            Run(config).parse()
    message = str(raised.value)
    assert message.startswith("Could not read ")
    assert "401 AuthenticationException: Unauthenticated." in message
    assert APPLICATION_KEY[16:] not in message


def test_a_forbidden_lookup_is_a_warning(config):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        FakePanel(mock, servers=2)
        forbidden = {
            "errors": [{"code": "AccessDeniedHttpException", "status": "403", "detail": "This action is unauthorized."}]
        }
        mock.replace(
            "GET", re.compile(re.escape(URL + "/api/application/locations") + r"(\?.*)?$"), json=forbidden, status=403
        )
        runner = Run(config)
        inventory = runner.parse()
    assert host_names(inventory, "pterodactyl_servers") == ["server-1", "server-2"]
    assert inventory.get_host("server-1").vars["pterodactyl_location_short"] is None
    assert any("may not read locations" in warning for warning in runner.warnings)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"hostvar_prefix": "9x"}, "hostvar_prefix: '9x' cannot start a variable name"),
        ({"hostvar_prefix": "a-b"}, "hostvar_prefix"),
        ({"api_key": CLIENT_KEY, "server_hostname": "external_id"}, "server_hostname: external_id is not shown"),
        ({"filters": {"nope": 1}}, "filters: 'nope' is not a filter"),
        ({"filters": ["name"]}, "filters: expected a mapping"),
        ({"url": ""}, "url: no value"),
        ({"api_key": None}, "api_key: no value"),
        ({"api_key": "   "}, "api_key: the value is empty"),
        ({"url": "panel.example.test"}, "url, timeout or retries: The panel url must be an absolute"),
        ({"api_key": "legacy" + "k" * 42}, "api_type"),
    ],
)
def test_bad_options_name_the_option_before_any_request(options, message, config):
    expected = re.escape(message) if "'" in message else message
    with responses.RequestsMock(assert_all_requests_are_fired=False), pytest.raises(AnsibleError, match=expected):
        Run(config, **options).parse()


def test_url_and_api_key_are_templated_with_extra_vars(panel, config, monkeypatch):
    import ansible.plugins.inventory as inventory_base

    monkeypatch.setattr(inventory_base, "load_extra_vars", lambda loader: {"the_key": APPLICATION_KEY, "the_url": URL})
    runner = Run(
        config,
        include_servers=False,
        url=trust_as_template("{{ the_url }}"),
        api_key=trust_as_template("{{ the_key }}"),
    )
    inventory = runner.parse()
    assert host_names(inventory, "pterodactyl_nodes") == ["node-a"]
    assert panel.authorizations == {f"Bearer {APPLICATION_KEY}"}


def test_missing_requests_is_reported_with_the_standard_text(config, monkeypatch):
    monkeypatch.setattr(plugin, "HAS_REQUESTS", False)
    monkeypatch.setattr(
        plugin, "REQUESTS_IMPORT_ERROR", "Traceback ...\nModuleNotFoundError: No module named 'requests'"
    )
    with pytest.raises(AnsibleError) as raised:
        Run(config).parse()
    assert missing_required_lib("requests") in str(raised.value)
    assert "No module named 'requests'" in str(raised.value)


def test_only_pterodactyl_files_are_claimed(tmp_path):
    module = plugin.InventoryModule()
    for name, claimed in (
        ("panel.pterodactyl.yml", True),
        ("pterodactyl.yaml", True),
        ("hosts.yml", False),
        ("panel.pterodactyl.json", False),
        ("missing.pterodactyl.yml", None),
    ):
        path = tmp_path / name
        if claimed is not None:
            path.write_text("plugin: ptero.panel.pterodactyl\n")
        assert module.verify_file(str(path)) is bool(claimed), name


def test_an_admin_client_key_that_sees_no_servers_fails_loudly(panel, config):
    # An admin's client key lists only the servers it owns or is a subuser of: here none. Importing that empty
    # listing into AWX with "Overwrite" would delete every host, so the sync fails and says what to set.
    panel.rows["/api/client"] = []
    panel.account = {"id": 1, "username": "admin", "admin": True}
    with pytest.raises(AnsibleError) as raised:
        Run(config, api_key=CLIENT_KEY, include_nodes=False).parse()
    message = str(raised.value)
    assert "'admin' can use no servers" in message and "client_list_all: true" in message
    assert "allow_empty: true" in message and "Overwrite" in message


def test_filters_that_match_nothing_fail_unless_allowed(panel, config):
    panel.rows["/api/application/servers"] = []
    panel.rows["/api/application/nodes"] = []
    with pytest.raises(AnsibleError) as raised:
        Run(config, filters={"name": "nothing-like-this"}).parse()
    assert "sees no servers or nodes matching the filters" in str(raised.value)
    inventory = Run(config, filters={"name": "nothing-like-this"}, allow_empty=True).parse()
    assert not inventory.hosts
