"""The ops port: /livez and /readyz over the readiness checks, on a listener of its own,
with other routes (/metrics) mounted by adding an entry to its table."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from assistant import readiness as readiness_module
from assistant.config import Settings
from assistant.errors import InputError
from assistant.ops_server import OpsServer, health_routes
from assistant.readiness import Readiness
from assistant.storage import DatabaseUnavailableError


class Database:
    def __init__(self) -> None:
        self.down = False

    def check(self) -> None:
        if self.down:
            raise DatabaseUnavailableError("the database is unavailable: connection refused")


@pytest.fixture
def database() -> Database:
    return Database()


@pytest.fixture
def readiness(database: Database) -> Readiness:
    return Readiness({"database": database.check, "index": lambda: None}, 60)


@pytest.fixture
def ops(readiness: Readiness) -> Iterator[OpsServer]:
    server = OpsServer(health_routes(readiness), "127.0.0.1", 0).start()
    yield server
    server.stop()


def request(server: OpsServer, path: str, method: str = "GET") -> tuple[int, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader("content-type") or "", \
            response.read().decode()
    finally:
        connection.close()


def test_readyz_follows_the_checks_and_names_what_fails(
        ops: OpsServer, readiness: Readiness, database: Database) -> None:
    status, _, body = request(ops, "/readyz")
    assert (status, json.loads(body)) == (503, {"status": "starting"})
    readiness.probe()
    assert request(ops, "/readyz")[0] == 200
    database.down = True
    readiness.probe()
    status, _, body = request(ops, "/readyz")
    assert status == 503
    assert json.loads(body)["failing"] == {
        "database": "the database is unavailable: connection refused"}


def test_livez_stays_up_while_a_dependency_is_down(
        ops: OpsServer, readiness: Readiness, database: Database) -> None:
    database.down = True
    readiness.probe()
    status, _, body = request(ops, "/livez")
    assert (status, json.loads(body)) == (200, {"status": "alive"})


def test_livez_fails_once_the_checks_stop_completing_their_rounds(
        ops: OpsServer, readiness: Readiness, monkeypatch: pytest.MonkeyPatch) -> None:
    readiness.probe()
    checked = readiness.report().checked_at
    assert checked is not None
    monkeypatch.setattr(readiness_module.time, "monotonic", lambda: checked + 181.0)
    status, _, body = request(ops, "/livez")
    assert status == 503
    assert json.loads(body)["status"] == ("the readiness checks last completed 181 s ago "
                                          "(limit 180 s)")


def test_a_draining_process_is_not_ready_whatever_its_checks_say(
        ops: OpsServer, readiness: Readiness) -> None:
    readiness.probe()
    readiness.drain("shutting down")
    status, _, body = request(ops, "/readyz")
    assert status == 503 and json.loads(body)["failing"] == {"shutdown": "shutting down"}
    readiness.probe()  # a later round passing does not make it ready again
    assert request(ops, "/readyz")[0] == 503
    assert request(ops, "/livez")[0] == 200
    assert not readiness.report().passing("database")


def test_another_endpoint_is_one_entry_in_the_routes_table(readiness: Readiness) -> None:
    routes = health_routes(readiness)
    routes["/metrics"] = lambda: (200, "opsbot_up 1\n", {"content-type": "text/plain"})
    server = OpsServer(routes, "127.0.0.1", 0).start()
    try:
        assert request(server, "/metrics") == (200, "text/plain", "opsbot_up 1\n")
        status, _, body = request(server, "/nothing-here")
        assert status == 404
        assert json.loads(body)["paths"] == ["/livez", "/metrics", "/readyz"]
    finally:
        server.stop()


def test_only_reads_are_served(ops: OpsServer) -> None:
    assert request(ops, "/livez", "POST")[0] == 405
    status, kind, body = request(ops, "/livez", "HEAD")
    assert (status, kind, body) == (200, "application/json", "")


def test_the_ops_port_and_drain_and_start_bounds_come_from_the_environment() -> None:
    settings = Settings.from_env({"OPSBOT_OPS_PORT": "9464", "OPSBOT_OPS_HOST": "127.0.0.1",
                                  "OPSBOT_DRAIN_SECONDS": "45", "OPSBOT_START_SECONDS": "600"})
    assert (settings.ops_host, settings.ops_port, settings.drain_seconds,
            settings.start_seconds) == ("127.0.0.1", 9464, 45.0, 600.0)
    defaults = Settings.from_env({})
    assert (defaults.ops_port, defaults.drain_seconds, defaults.start_seconds) == \
        (8081, 30.0, 180.0)


@pytest.mark.parametrize(("name", "value"), [("OPSBOT_OPS_PORT", "http"),
                                             ("OPSBOT_OPS_PORT", "70000"),
                                             ("OPSBOT_DRAIN_SECONDS", "0"),
                                             ("OPSBOT_DRAIN_SECONDS", "soon"),
                                             ("OPSBOT_START_SECONDS", "-1")])
def test_a_bad_ops_setting_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(InputError, match=name):
        Settings.from_env({name: value})
