# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which panel a client talks to, at the HTTP level: the key prefix (no request), the unauthenticated probe
(401 Pelican, 404 Pterodactyl), the forced `panel` option, a probe that proves nothing, and one probe per client."""

from __future__ import annotations

import threading
import typing as t

import pytest
import requests
import responses

from ansible_collections.ptero.panel.plugins.module_utils import _flavour
from ansible_collections.ptero.panel.plugins.module_utils._client import (
    PanelClient,
    PanelConnectionError,
    PanelDetectionError,
    SettingError,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    client_from_options,
    connection_argument_spec,
)

BASE_URL = "https://panel.example.test"  # the make_client fixture's default
SENTINEL_KEY = "ptla_SENTINELkey" + "S3CR3TSENTINELVALUE0123456789ABC"  # its default key
PROBE_URL = BASE_URL + "/api/application/eggs"
LOCATIONS_URL = BASE_URL + "/api/application/locations"
MOUNTS_URL = BASE_URL + "/api/application/mounts"
PELICAN_401 = {"errors": [{"code": "AuthenticationException", "status": "401", "detail": "Unauthenticated."}]}
PTERODACTYL_404 = {
    "errors": [
        {
            "code": "NotFoundHttpException",
            "status": "404",
            "detail": "The route api/application/eggs could not be found.",
        }
    ]
}
EMPTY_LIST = {
    "object": "list",
    "data": [],
    "meta": {"pagination": {"total": 0, "count": 0, "per_page": 100, "current_page": 1, "total_pages": 1}},
}
SECRET = "S3CR3TSENTINELVALUE0123456789ABC"


def auto_client(
    make_client: t.Callable[..., PanelClient], api_key: str = SENTINEL_KEY, **options: t.Any
) -> PanelClient:
    return make_client(api_key=api_key, panel="auto", **options)


def probes(panel: responses.RequestsMock) -> list[t.Any]:
    return [call.request for call in panel.calls if call.request.url.split("?")[0] == PROBE_URL]


# -- the key prefix -------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["papp_", "pacc_", "peli_", "plcn_"])
def test_a_pelican_key_prefix_means_pelican_without_a_request(panel, make_client, prefix):
    panel.add("GET", MOUNTS_URL, json=EMPTY_LIST)
    client = auto_client(make_client, api_key=prefix + "x" * 11 + SECRET)
    assert client.known_flavour == "pelican"
    assert client.flavour == "pelican" and client.flavour_source == _flavour.SOURCE_KEY
    assert client.call("application.mounts.list") == []
    assert [call.request.url.split("?")[0] for call in panel.calls] == [MOUNTS_URL]


@pytest.mark.parametrize("key", ["ptla_" + "y" * 43, "ptlc_" + "y" * 43, "plain-key-without-prefix"])
def test_other_keys_prove_nothing(make_client, key):
    assert auto_client(make_client, api_key=key).known_flavour is None


def test_key_prefix_helpers():
    assert _flavour.api_of_key("papp_abc") == "application" and _flavour.api_of_key("pacc_abc") == "client"
    assert _flavour.api_of_key("peli_abc") == "application" and _flavour.api_of_key("plcn_abc") == "client"
    assert _flavour.api_of_key("ptla_abc") == "application" and _flavour.api_of_key("ptlc_abc") == "client"
    assert _flavour.api_of_key("abc") is None
    assert _flavour.flavour_from_key("ptla_abc") is None and _flavour.flavour_from_key("pacc_abc") == "pelican"


# -- the probe ------------------------------------------------------------------------------------


def test_probe_401_means_pelican_and_is_sent_without_the_key(panel, make_client):
    panel.add("GET", PROBE_URL, status=401, json=PELICAN_401)
    client = auto_client(make_client)
    assert client.flavour == "pelican" and client.flavour_source == _flavour.SOURCE_PROBE
    [probe] = probes(panel)
    assert probe.method == "GET"
    assert "Authorization" not in probe.headers
    assert probe.headers["Accept"] == "application/json"
    assert probe.body is None


def test_probe_404_means_pterodactyl(panel, make_client):
    panel.add("GET", PROBE_URL, status=404, json=PTERODACTYL_404)
    client = auto_client(make_client)
    assert client.flavour == "pterodactyl"
    assert len(probes(panel)) == 1


def test_a_call_after_the_probe_still_sends_the_key(panel, make_client, api_key):
    panel.add("GET", PROBE_URL, status=404, json=PTERODACTYL_404)
    panel.add("GET", LOCATIONS_URL, json=EMPTY_LIST)
    client = auto_client(make_client)
    assert client.call("application.locations.list") == []
    probe, call = (entry.request for entry in panel.calls)
    assert "Authorization" not in probe.headers
    assert call.headers["Authorization"] == f"Bearer {api_key}"
    assert call.headers["Accept"] == "Application/vnd.pterodactyl.v1+json"


def test_the_probe_is_sent_once_per_client(panel, make_client):
    panel.add("GET", PROBE_URL, status=404, json=PTERODACTYL_404)
    panel.add("GET", LOCATIONS_URL, json=EMPTY_LIST)
    client = auto_client(make_client)
    for _call in range(3):
        client.call("application.locations.list")
    client.collect("application.locations.list")
    assert len(probes(panel)) == 1
    # A second client decides for itself.
    auto_client(make_client).call("application.locations.list")
    assert len(probes(panel)) == 2


def test_threads_asking_at_once_share_one_probe(panel, make_client):
    panel.add("GET", PROBE_URL, status=401, json=PELICAN_401)
    client = auto_client(make_client)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(client.flavour)) for _thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["pelican"] * 8
    assert len(probes(panel)) == 1


def test_operations_both_panels_share_send_no_probe(panel, make_client):
    panel.add("GET", BASE_URL + "/api/application/users/5", json={"object": "user", "attributes": {"id": 5}})
    panel.add("GET", BASE_URL + "/api/application/servers", json=EMPTY_LIST)
    client = auto_client(make_client)
    client.call("application.users.get", {"user": 5})
    client.call("application.servers.list", query={"filter[name]": "alpha"})
    assert probes(panel) == [] and client.known_flavour is None


def test_a_renamed_filter_asks_for_the_flavour_and_is_renamed_on_pelican(panel, make_client):
    panel.add("GET", PROBE_URL, status=401, json=PELICAN_401)
    panel.add("GET", BASE_URL + "/api/application/servers", json=EMPTY_LIST)
    auto_client(make_client).call("application.servers.list", query={"filter[uuidShort]": "1a2b3c4d"})
    sent = panel.calls[-1].request
    assert len(probes(panel)) == 1
    assert "filter%5Buuid_short%5D=1a2b3c4d" in sent.url and "uuidShort" not in sent.url


def test_the_renamed_filter_stays_as_it_is_on_pterodactyl(panel, make_client):
    panel.add("GET", PROBE_URL, status=404, json=PTERODACTYL_404)
    panel.add("GET", BASE_URL + "/api/application/servers", json=EMPTY_LIST)
    auto_client(make_client).collect("application.servers.list", query={"filter[uuidShort]": "1a2b3c4d"})
    assert "filter%5BuuidShort%5D=1a2b3c4d" in panel.calls[-1].request.url


# -- a forced panel -------------------------------------------------------------------------------


def test_a_forced_pterodactyl_sends_no_probe(panel, make_client):
    panel.add("GET", LOCATIONS_URL, json=EMPTY_LIST)
    client = make_client(panel="pterodactyl")
    assert client.flavour == "pterodactyl" and client.flavour_source == _flavour.SOURCE_OPTION
    client.call("application.locations.list")
    assert [call.request.url.split("?")[0] for call in panel.calls] == [LOCATIONS_URL]


def test_a_forced_pelican_beats_a_ptla_key_and_sends_no_probe(panel, make_client):
    panel.add("GET", MOUNTS_URL, json=EMPTY_LIST)
    client = make_client(panel="Pelican")
    assert client.panel == "pelican" and client.flavour == "pelican"
    client.call("application.mounts.list")
    assert probes(panel) == []


def test_a_forced_pterodactyl_beats_a_pelican_key(make_client):
    assert make_client(api_key="papp_" + "z" * 43, panel="pterodactyl").flavour == "pterodactyl"


def test_an_unknown_panel_value_names_the_option(make_client):
    with pytest.raises(SettingError) as caught:
        make_client(panel="wings")
    assert caught.value.option == "panel"
    assert caught.value.for_option() == "panel: must be one of auto, pterodactyl, pelican, not 'wings'"


# -- a probe that proves nothing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (200, "text/html", "<html>a proxy's page</html>"),
        (403, "application/json", '{"errors": [{"code": "AccessDenied", "status": "403", "detail": "blocked"}]}'),
        (500, "text/html", "<html>oops</html>"),
    ],
)
def test_an_answer_that_proves_nothing_names_the_panel_option(panel, make_client, status, content_type, body):
    panel.add("GET", PROBE_URL, status=status, body=body, content_type=content_type)
    client = auto_client(make_client, retries=0)
    with pytest.raises(PanelDetectionError) as caught:
        client.call("application.locations.list")
    message = str(caught.value)
    assert message.startswith(
        "Could not tell whether panel.example.test runs Pterodactyl or Pelican: the probe "
        f"GET /api/application/eggs -> {status}"
    )
    assert "Pelican answers 401 and Pterodactyl 404" in message
    assert message.endswith("set the panel option (or PTERODACTYL_PANEL) to pterodactyl or pelican")
    assert SECRET not in message
    assert caught.value.write_state == "read" and caught.value.status == status
    # Nothing but the probe was sent, and the client has not settled on a flavour.
    assert len(panel.calls) == 1 and client.known_flavour is None


def test_a_redirected_probe_says_where_it_went(panel, make_client):
    panel.add("GET", PROBE_URL, status=302, headers={"Location": "https://panel.example.test/login"})
    with pytest.raises(
        PanelDetectionError,
        match=r"the panel redirected to https://panel.example.test/login; "
        r"check the url option .*set the panel option",
    ):
        assert auto_client(make_client).flavour


def test_a_busy_panel_is_retried_like_any_read(panel, make_client, sleeps):
    panel.add("GET", PROBE_URL, status=503, body="busy")
    panel.add("GET", PROBE_URL, status=401, json=PELICAN_401)
    assert auto_client(make_client, retries=2).flavour == "pelican"
    assert len(probes(panel)) == 2 and len(sleeps) == 1


def test_an_unreachable_panel_says_so_and_names_the_option(panel, make_client):
    panel.add("GET", PROBE_URL, body=requests.exceptions.ConnectionError(ConnectionRefusedError(111, "refused")))
    with pytest.raises(PanelConnectionError) as caught:
        auto_client(make_client, retries=0).call("client.ssh_keys.delete_by_fingerprint", {"fingerprint": "ab"})
    message = str(caught.value)
    assert "Could not tell whether panel.example.test runs Pterodactyl or Pelican" in message
    assert "connection refused by panel.example.test" in message and "set the panel option" in message
    assert caught.value.write_state == "read"


# -- the module option ----------------------------------------------------------------------------


def test_the_connection_options_have_panel():
    spec = connection_argument_spec("client")["panel"]
    assert spec["default"] == "auto" and spec["choices"] == ["auto", "pterodactyl", "pelican"]
    assert spec["fallback"][1] == ["PTERODACTYL_PANEL"]


def test_client_from_options_passes_panel():
    options = {
        "url": BASE_URL,
        "api_key": SENTINEL_KEY,
        "validate_certs": True,
        "timeout": 5.0,
        "retries": 0,
        "backoff_factor": 0.5,
        "extra_retry_codes": [],
        "panel": "pelican",
    }
    with client_from_options(options) as client:
        assert client.panel == "pelican" and client.known_flavour == "pelican"
    with client_from_options(options, on_write=lambda *_: None) as client:
        assert client.known_flavour == "pelican"


def panel_of_module() -> None:
    module = PanelModule({}, api="application")
    module.exit_json(panel=module.client.panel, flavour=module.client.known_flavour)


def test_the_module_option_and_its_environment_variable(run_module, monkeypatch):
    assert run_module(panel_of_module, {"panel": "pelican"}).result["flavour"] == "pelican"
    assert run_module(panel_of_module, {"api_key": SENTINEL_KEY}).result["panel"] == "auto"
    monkeypatch.setenv("PTERODACTYL_PANEL", "pterodactyl")
    outcome = run_module(panel_of_module, {"api_key": SENTINEL_KEY})
    assert (outcome.result["panel"], outcome.result["flavour"]) == ("pterodactyl", "pterodactyl")
    monkeypatch.setenv("PTERODACTYL_PANEL", "nope")
    outcome = run_module(panel_of_module, {"api_key": SENTINEL_KEY})
    assert outcome.failed and "panel" in outcome.result["msg"]
