"""The Kubernetes API access opsbot's code needs, derived from the code itself.

Every method of the official client's API classes that a module under tools/ names (an
attribute such as ``self._apps.patch_namespaced_deployment``) is called once against the
API stand-in (tests/k8s_standin.py), and the request it sends is read the way the API
server's authorizer reads it: API group, resource (with its subresource), verb, and
whether the request was made inside a namespace. A tool added later is covered as soon as
its code names the client method; only a method picked by a computed name (getattr)
would escape, and tools/ has none.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import kubernetes.client.api as client_api
from k8s_standin import K8sStandin
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

READ_VERBS = frozenset({"get", "list", "watch"})
# Values for a client method's required parameters: any name is fine, the stand-in answers
# 404 and the request it recorded is all that matters.
_PROBE_VALUES = {"body": {}}
_PROBE_NAME = "probe"


@dataclass(frozen=True, order=True)
class Access:
    group: str  # "" for the core group
    resource: str  # "pods", or with a subresource "pods/log"
    verb: str
    namespaced: bool

    @property
    def rule(self) -> tuple[str, str, str]:
        """What an RBAC rule names: the scope comes from Role versus ClusterRole."""
        return self.group, self.resource, self.verb


@functools.cache
def api_methods() -> Mapping[str, frozenset[str]]:
    """The request-making methods of each of the client's API classes, by class name.

    Read from the client's source rather than by importing its 66 API modules, which
    takes half a minute.
    """
    methods: dict[str, frozenset[str]] = {}
    for source in sorted(Path(client_api.__file__).parent.glob("*_api.py")):
        text = source.read_text()
        declared = re.search(r"^class (\w+Api)\b", text, re.MULTILINE)
        if declared is None:
            continue
        methods[declared.group(1)] = frozenset(
            name for name in re.findall(r"^    def ([a-z]\w*)\(\s*self", text, re.MULTILINE)
            if name != "close"
            and not name.endswith(("_with_http_info", "_without_preload_content")))
    return methods


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def methods_named_in(root: Path) -> set[tuple[str, str]]:
    """The client methods the Python files under ``root`` name, each with its API class.

    The class comes from what the receiver was assigned in the same module (``self._core =
    k8s.CoreV1Api(...)``); without that, from the method name when one class alone has it.
    A name several classes share (list_namespaced_event: CoreV1Api, EventsV1Api) on a
    receiver of unknown class is an error rather than a guess.
    """
    methods = api_methods()
    owners: dict[str, list[str]] = {}
    for api, names in methods.items():
        for name in names:
            owners.setdefault(name, []).append(api)
    found: set[tuple[str, str]] = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        receivers = {
            _name(target): _name(node.value.func)
            for node in ast.walk(tree) if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call) and _name(node.value.func) in methods
            for target in node.targets
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or node.attr not in owners:
                continue
            api = receivers.get(_name(node.value))
            if api is not None and node.attr in methods[api]:
                found.add((api, node.attr))
            elif len(owners[node.attr]) == 1:
                found.add((owners[node.attr][0], node.attr))
            else:
                raise AssertionError(
                    f"{path}:{node.lineno}: {node.attr} exists in "
                    f"{', '.join(sorted(owners[node.attr]))}; assign its "
                    "receiver from the API class in the same module")
    return found


def access_of(method: str, path: str, query: Mapping[str, str]) -> Access:
    """The (group, resource, verb, scope) the API server authorizes a request as."""
    parts = [p for p in path.split("/") if p]
    if parts[0] == "api":  # /api/v1/...
        group, rest = "", parts[2:]
    elif parts[0] == "apis":  # /apis/<group>/<version>/...
        group, rest = parts[1], parts[3:]
    else:
        raise ValueError(f"not a resource request: {method} {path}")
    namespaced = len(rest) >= 3 and rest[0] == "namespaces"
    if namespaced:
        rest = rest[2:]
    resource = rest[0] + (f"/{rest[2]}" if len(rest) > 2 else "")
    named = len(rest) > 1
    match method:
        case "GET" if query.get("watch") in ("true", "1"):
            verb = "watch"
        case "GET":
            verb = "get" if named else "list"
        case "POST":
            verb = "create"
        case "PUT":
            verb = "update"
        case "PATCH":
            verb = "patch"
        case "DELETE":
            verb = "delete" if named else "deletecollection"
        case _:
            raise ValueError(f"unexpected HTTP method {method} for {path}")
    return Access(group, resource, verb, namespaced)


def accesses_of(methods: Iterable[tuple[str, str]],
                standin: K8sStandin) -> dict[str, Access]:
    """Calls each client method once against ``standin``: the access it needs, by
    ``Class.method``."""
    api_client = k8s.ApiClient(standin.configuration())
    found: dict[str, Access] = {}
    try:
        for api, name in sorted(methods):
            method = getattr(getattr(client_api, api)(api_client), name)
            required = [p.name for p in inspect.signature(method).parameters.values()
                        if p.default is inspect.Parameter.empty
                        and p.kind is p.POSITIONAL_OR_KEYWORD]
            before = len(standin.requests)
            # The probe name gets a 404; the request is recorded all the same.
            with contextlib.suppress(ApiException, ValueError):
                method(**{p: _PROBE_VALUES.get(p, _PROBE_NAME) for p in required},
                       _request_timeout=5)
            sent = standin.requests[before:]
            if len(sent) != 1:
                raise AssertionError(f"{api}.{name} sent {len(sent)} requests, "
                                     "expected one")
            found[f"{api}.{name}"] = access_of(sent[0].method, sent[0].path, sent[0].query)
    finally:
        api_client.close()
    return found
