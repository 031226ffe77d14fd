import base64
import uuid

from conftest import writes


def test_client_server_info(ansible, emulator):
    emulator.clear_requests()
    env = ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key, ITEST_ADMIN_CLIENT_KEY=emulator.client_key)
    ansible.playbook("client_server_info", env=env)
    # The only write is the playbook's own suspend through the application API.
    assert [r["path"].rsplit("/", 1)[-1] for r in writes(emulator.requests())] == ["suspend"]


def serv_identifier(server_uuid: str) -> str:
    """'serv_' + lowercase unpadded RFC 4648 base32 of the uuid's 16 bytes (how panels 1.12.1+ build it)."""
    return "serv_" + base64.b32encode(uuid.UUID(server_uuid).bytes).decode().rstrip("=").lower()


def test_serv_identifiers_name_a_server_everywhere(ansible, emulator):
    survival = next(row["uuid"] for row in emulator.state("servers") if row["name"] == "Survival")
    emulator.clear_requests()
    ansible.playbook(
        "serv_identifiers",
        "-e",
        f"serv_id={serv_identifier(survival)}",
        "-e",
        f"survival_uuid={survival}",
        env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key),
    )
    paths = [r["path"] for r in emulator.requests()]
    # The panel was asked by uuid (client API) or with a uuid filter (application API), never with the serv_ id,
    # so a 1.11 panel answers too.
    assert not any("serv_" in path for path in paths), paths
    application = [r for r in emulator.requests() if r["path"] == "/api/application/servers"]
    assert application and all(survival in str(r.get("query")) for r in application), application
