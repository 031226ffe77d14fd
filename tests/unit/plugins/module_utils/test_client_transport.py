# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real sockets on 127.0.0.1: refused connections, silent servers, dropped connections and TLS checks."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import socket
import ssl
import threading
import typing as t

import pytest
import urllib3

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelConnectionError

KEY = "ptla_TRANSPORTkey" + "S3CR3TTRANSPORTVALUE0123456789A"
OK_BODY = json.dumps({"object": "user", "attributes": {"id": 1}}).encode()


class LoopbackServer:
    """A tiny HTTP/1.1 server; `behaviour` decides per connection what happens to a request."""

    def __init__(self, behaviour: str, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = behaviour
        self.tls = tls
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.open: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _address = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.open.append(connection)
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _read_request(self, connection: t.Any) -> bytes:
        connection.settimeout(2)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _separator, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        while len(rest) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            rest += chunk
        return head + b"\r\n\r\n" + rest

    def _handle(self, connection: socket.socket) -> None:
        try:
            if self.tls is not None:
                connection = self.tls.wrap_socket(connection, server_side=True)
            request = self._read_request(connection)
            if not request:
                return
            self.requests.append(request)
            if self.behaviour == "silent":
                self.stop.wait(3)  # never answer; the client's read timeout fires first
            elif self.behaviour == "drop":
                connection.close()
            else:
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    b"Content-Length: " + str(len(OK_BODY)).encode() + b"\r\n\r\n" + OK_BODY
                )
        except (OSError, ssl.SSLError):
            pass  # a client rejecting our certificate closes the handshake
        finally:
            with contextlib.suppress(OSError):
                connection.close()

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        for connection in self.open:
            with contextlib.suppress(OSError):
                connection.close()
        self.thread.join(timeout=2)


@pytest.fixture
def server_factory() -> t.Iterator[t.Callable[..., LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def start(behaviour: str, tls: ssl.SSLContext | None = None) -> LoopbackServer:
        server = LoopbackServer(behaviour, tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("name", ["application.users.list", "application.users.create"])
def test_connection_refused_is_retried_for_every_method(name, make_client, sleeps):
    port = free_port()
    client = make_client(f"http://127.0.0.1:{port}", KEY, retries=2)
    with pytest.raises(PanelConnectionError) as caught:
        client.call(name, body={"password": "pw-value-123"} if name.endswith("create") else None)
    error = caught.value
    assert client.request_count == 3 and len(sleeps) == 2
    assert f"connection refused by 127.0.0.1:{port}" in str(error)
    assert error.write_state == ("read" if name.endswith("list") else "not_applied")
    assert KEY not in repr(error) and "pw-value-123" not in json.dumps(error.to_dict())


def test_silent_server_times_out_and_a_post_is_sent_once(server_factory, make_client, sleeps):
    server = server_factory("silent")
    client = make_client(f"http://127.0.0.1:{server.port}", KEY, retries=3, timeout=0.3)
    with pytest.raises(PanelConnectionError) as caught:
        client.call("application.users.create", body={"email": "a@b.c"})
    assert len(server.requests) == 1 and client.request_count == 1
    assert caught.value.write_state == "unknown" and "timed out after 0.3s" in str(caught.value)


def test_silent_server_get_is_retried(server_factory, make_client, sleeps):
    server = server_factory("silent")
    client = make_client(f"http://127.0.0.1:{server.port}", KEY, retries=1, timeout=0.3)
    with pytest.raises(PanelConnectionError) as caught:
        client.call("application.users.list")
    assert len(server.requests) == 2 and caught.value.write_state == "read"


def test_dropped_connection_post_not_resent_get_retried(server_factory, make_client, sleeps):
    server = server_factory("drop")
    client = make_client(f"http://127.0.0.1:{server.port}", KEY, retries=2, timeout=2)
    with pytest.raises(PanelConnectionError) as caught:
        client.call("application.users.create", body={"email": "a@b.c"})
    assert len(server.requests) == 1 and caught.value.write_state == "unknown"
    with pytest.raises(PanelConnectionError):
        client.call("application.users.list")
    assert len(server.requests) == 1 + 3


def test_the_real_server_sees_our_headers(server_factory, make_client):
    server = server_factory("ok")
    client = make_client(f"http://127.0.0.1:{server.port}", KEY)
    assert client.call("application.users.get", {"user": 1}) == {"id": 1}
    head = server.requests[0].split(b"\r\n\r\n")[0].decode()
    assert head.startswith("GET /api/application/users/1 HTTP/1.1")
    assert f"Authorization: Bearer {KEY}" in head and "Accept: Application/vnd.pterodactyl.v1+json" in head


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1 (trusted by nobody).

    Made with `cryptography` (an ansible-core dependency) so it works in every test virtualenv.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ptero-test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def test_untrusted_certificate_fails_clearly_without_retry(server_factory, tls_context, make_client, sleeps):
    server = server_factory("ok", tls_context)
    client = make_client(f"https://127.0.0.1:{server.port}", KEY)
    with pytest.raises(PanelConnectionError) as caught:
        client.call("application.users.get", {"user": 1})
    assert client.request_count == 1 and sleeps == []
    assert "TLS certificate verify failed" in str(caught.value) and "validate_certs" in str(caught.value)
    assert caught.value.write_state == "read"


def test_validate_certs_false_accepts_the_certificate(server_factory, tls_context, make_client):
    server = server_factory("ok", tls_context)
    client = make_client(f"https://127.0.0.1:{server.port}", KEY, validate_certs=False)
    with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
        assert client.call("application.users.get", {"user": 1}) == {"id": 1}
