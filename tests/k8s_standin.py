"""A Kubernetes API stand-in: a threaded HTTP server on 127.0.0.1 serving the endpoints
opsbot's Kubernetes backend calls, so the backend is tested through the real client
over real HTTP.

Faithful where the backend depends on it: objects are built from the client's own models
and serialised with ApiClient.sanitize_for_serialization; every write bumps a global
resourceVersion; a patch carrying a stale resourceVersion is refused with 409; errors are
Status objects with the API server's reasons and messages; dryRun=All validates and
answers without persisting; bearer tokens are checked (401); RBAC refusals (403) are
configurable; the secrets API is always forbidden and every request is recorded, so a
test can prove it was never called.

Seeding goes through the deployment controller (create_deployment, deploy), or stores
ready-made objects (put) and per-container logs (container_logs) as they are, which
tests/k8s_scenario.py uses to mirror a sandbox world exactly.

Nodes, Jobs, CronJobs, PersistentVolumeClaims, PersistentVolumes, StorageClasses, Services,
EndpointSlices and ResourceQuotas are stored as put; a patched node or
CronJob is validated like the API server does for the fields opsbot sends (a stale
resourceVersion is a 409), and deletes honour dryRun=All, a resourceVersion precondition
(409 when stale) and propagationPolicy: a Job deleted in the background takes its pods with
it, an orphaning delete leaves them; a deleted pod of a ReplicaSet is replaced at once.

StatefulSets and DaemonSets go through their controller too (create_set, deploy_set):
each pod template becomes a ControllerRevision (data = the template as a replace patch,
the workload's annotations copied, a re-used template re-numbered as the newest), pods
carry controller-revision-hash, and the rolling update replaces pods from the highest
ordinal (a DaemonSet: node by node) and halts at the first new pod that is not ready, as
both controllers do. HorizontalPodAutoscalers (autoscaling/v2) are stored with put.

Simplified: the deployment controller runs synchronously after each persisted write
(new or re-used ReplicaSet with the revision annotations kubectl and the controller
write, old ReplicaSets scaled to zero, pods replaced at once); strategic merge patches
are applied as JSON merge patches, which is the same for the map-only patches opsbot
sends; label selectors support equality, inequality and existence.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kubernetes import client as k8s

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
CHANGE_CAUSE = "kubernetes.io/change-cause"
TEMPLATE_HASH = "pod-template-hash"
_NOT_COPIED = {REVISION, REVISION_HISTORY, "deployment.kubernetes.io/desired-replicas",
               "deployment.kubernetes.io/max-replicas",
               "kubectl.kubernetes.io/last-applied-configuration"}
USER = "system:serviceaccount:ops:opsbot"

_API = k8s.ApiClient()


def to_json(model: Any) -> dict[str, Any]:
    return _API.sanitize_for_serialization(model)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict[str, Any]:
        return to_json(k8s.V1Status(api_version="v1", kind="Status", metadata=k8s.V1ListMeta(),
                                    status="Failure", message=self.message,
                                    reason=self.reason, details=self.details, code=self.code))


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    content_type: str | None
    body: Any


@dataclass
class Fault:
    """The next ``times`` requests whose path contains ``path`` get this answer instead.
    With ``applied``, each takes effect first and only its answer is lost on the way back
    (a gateway timing out after the API server wrote)."""

    path: str
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    method: str | None = None
    times: int = 1
    applied: bool = False


@dataclass(frozen=True)
class Resource:
    plural: str
    group: str  # "" for the core group
    kind: str
    version: str = "v1"

    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


DEPLOYMENTS = Resource("deployments", "apps", "Deployment")
REPLICASETS = Resource("replicasets", "apps", "ReplicaSet")
PODS = Resource("pods", "", "Pod")
EVENTS = Resource("events", "", "Event")
NAMESPACES = Resource("namespaces", "", "Namespace")
NODES = Resource("nodes", "", "Node")
JOBS = Resource("jobs", "batch", "Job")
CRONJOBS = Resource("cronjobs", "batch", "CronJob")
PVCS = Resource("persistentvolumeclaims", "", "PersistentVolumeClaim")
PVS = Resource("persistentvolumes", "", "PersistentVolume")
STORAGECLASSES = Resource("storageclasses", "storage.k8s.io", "StorageClass")
RESOURCEQUOTAS = Resource("resourcequotas", "", "ResourceQuota")
SERVICES = Resource("services", "", "Service")
ENDPOINTSLICES = Resource("endpointslices", "discovery.k8s.io", "EndpointSlice")
STATEFULSETS = Resource("statefulsets", "apps", "StatefulSet")
DAEMONSETS = Resource("daemonsets", "apps", "DaemonSet")
CONTROLLERREVISIONS = Resource("controllerrevisions", "apps", "ControllerRevision")
HPAS = Resource("horizontalpodautoscalers", "autoscaling", "HorizontalPodAutoscaler", "v2")
SETS = {"StatefulSet": STATEFULSETS, "DaemonSet": DAEMONSETS}
REVISION_LABEL = "controller-revision-hash"


# The label a ControllerRevision carries with the hash of the template it snapshots.
_SNAPSHOT_HASH = "controller.kubernetes.io/hash"


def _ordinal(pod_name: str) -> tuple[int, str]:
    """A StatefulSet pod's ordinal (its name's last number), for ordering."""
    tail = pod_name.rsplit("-", 1)[-1]
    return (int(tail), pod_name) if tail.isdigit() else (0, pod_name)


def _template_hash(template: dict[str, Any]) -> str:
    clean = copy.deepcopy(template)
    clean.get("metadata", {}).get("labels", {}).pop(TEMPLATE_HASH, None)
    return hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()[:10]


def _merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise ApiError(422, "Invalid", f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _json_patch(doc: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """RFC 6902 add / replace / remove / test on object members (what opsbot sends)."""
    for op in ops:
        *parents, last = _pointer(op["path"])
        node: Any = doc
        for part in parents:
            if not isinstance(node, dict) or part not in node:
                raise ApiError(422, "Invalid", f"the server rejected our request due to an "
                               f"error in our request: missing path {op['path']}")
            node = node[part]
        kind = op["op"]
        if kind == "add":
            node[last] = copy.deepcopy(op["value"])
        elif kind in ("replace", "remove", "test") and last not in node:
            raise ApiError(422, "Invalid", f"jsonpatch {kind} operation does not apply: "
                           f"doc is missing key: {op['path']}")
        elif kind == "replace":
            node[last] = copy.deepcopy(op["value"])
        elif kind == "remove":
            del node[last]
        elif kind == "test" and node[last] != op["value"]:
            raise ApiError(422, "Invalid", f"testing value {op['path']} failed")
        elif kind not in ("test",):
            raise ApiError(422, "Invalid", f"unexpected kind of operation: {kind}")
    return doc


def _selector_terms(selector: str) -> list[str]:
    """The terms between the commas outside a set's parentheses."""
    return [t.strip() for t in re.findall(r"(?:[^,(]|\([^)]*\))+", selector) if t.strip()]


def _selector_matches(selector: str, labels: dict[str, str]) -> bool:
    for term in _selector_terms(selector):
        if m := re.fullmatch(r"([\w./-]+)\s+(in|notin)\s*\(([^()]*)\)", term):
            values = {v.strip() for v in m[3].split(",")}
            if (labels.get(m[1]) in values) != (m[2] == "in"):
                return False
        elif m := re.fullmatch(r"([\w./-]+)\s*!=\s*([\w.-]*)", term):
            if labels.get(m[1]) == m[2]:
                return False
        elif m := re.fullmatch(r"([\w./-]+)\s*==?\s*([\w.-]*)", term):
            if labels.get(m[1]) != m[2]:
                return False
        elif m := re.fullmatch(r"!([\w./-]+)", term):
            if m[1] in labels:
                return False
        elif re.fullmatch(r"[\w./-]+", term):
            if term not in labels:
                return False
        else:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: {term!r}")
    return True


def _field_matches(selector: str, obj: dict[str, Any]) -> bool:
    for term in filter(None, selector.split(",")):
        path, sep, want = term.partition("=")
        if not sep:
            raise ApiError(400, "BadRequest", f"invalid field selector: {term!r}")
        node: Any = obj
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if str(node) != want:
            return False
    return True


class K8sStandin:
    def __init__(self, token: str = "standin-token") -> None:
        self.token = token
        self.requests: list[Recorded] = []
        self.crashing_images: set[str] = set()
        self.logs_by_image: dict[str, tuple[list[str], list[str]]] = {}  # current, previous
        # (namespace, pod, container) -> current and previous logs; wins over logs_by_image
        self.container_logs: dict[tuple[str, str, str], tuple[list[str], list[str]]] = {}
        self.before_patch: Callable[[K8sStandin], None] | None = None
        # Runs before a node/CronJob patch or a delete is checked: another writer's turn.
        self.before_write: Callable[[K8sStandin], None] | None = None
        self._forbidden: set[tuple[str, str, str | None]] = set()
        self._faults: list[Fault] = []
        self._objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._rv = itertools.count(1000)
        self._ids = itertools.count(1)
        self._first_revision: dict[str, int] = {}
        self._nodes = 3  # where a DaemonSet runs a pod each
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> K8sStandin:
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def configuration(self, token: str | None = None) -> k8s.Configuration:
        config = k8s.Configuration(host=self.url)
        config.api_key = {"BearerToken": token or self.token}
        config.api_key_prefix = {"BearerToken": "Bearer"}
        config.retries = False
        return config

    # --- test controls ---------------------------------------------------------------

    def forbid(self, verb: str, resource: str, namespace: str | None = None) -> None:
        self._forbidden.add((verb, resource, namespace))

    def fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def touch_object(self, resource: Resource, namespace: str, name: str) -> None:
        """Another writer changes any object (a label), bumping its resourceVersion."""
        with self._lock:
            obj = self.get(resource, namespace, name)
            obj["metadata"].setdefault("labels", {})["touched"] = str(next(self._ids))
            self._store(resource, obj)

    def touch(self, namespace: str, name: str, resource: Resource = DEPLOYMENTS) -> None:
        """Another writer changes the workload (a label), bumping its resourceVersion."""
        self.touch_object(resource, namespace, name)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    # --- seeding (through the same controller the API writes go through) ------------

    def add_namespace(self, name: str) -> None:
        ns = k8s.V1Namespace(api_version="v1", kind="Namespace",
                             metadata=k8s.V1ObjectMeta(name=name, uid=self._uid()))
        self._store(NAMESPACES, to_json(ns))

    def create_deployment(self, namespace: str, name: str, *, image: str, change: str,
                          replicas: int = 3, service: str | None = None,
                          first_revision: int = 1) -> None:
        if (NAMESPACES.plural, "", namespace) not in self._objects:
            self.add_namespace(namespace)
        labels = {"app.kubernetes.io/name": service or name, "app": name}
        dep = k8s.V1Deployment(
            api_version="apps/v1", kind="Deployment",
            metadata=k8s.V1ObjectMeta(name=name, namespace=namespace, uid=self._uid(),
                                      labels=dict(labels), generation=1,
                                      creation_timestamp=_now(),
                                      annotations={CHANGE_CAUSE: change}),
            spec=k8s.V1DeploymentSpec(
                replicas=replicas,
                selector=k8s.V1LabelSelector(match_labels={"app": name}),
                template=k8s.V1PodTemplateSpec(
                    metadata=k8s.V1ObjectMeta(labels=dict(labels)),
                    spec=k8s.V1PodSpec(containers=[k8s.V1Container(
                        name=name, image=image,
                        resources=k8s.V1ResourceRequirements(limits={"memory": "512Mi"}))]),
                ),
            ),
        )
        with self._lock:
            self._first_revision[f"{namespace}/{name}"] = first_revision
            self._store(DEPLOYMENTS, to_json(dep))
            self._reconcile(namespace, name)

    def deploy(self, namespace: str, name: str, *, image: str, change: str) -> None:
        """What `kubectl set image` + `kubectl annotate change-cause` do."""
        with self._lock:
            dep = self.get(DEPLOYMENTS, namespace, name)
            dep["spec"]["template"]["spec"]["containers"][0]["image"] = image
            dep["metadata"]["annotations"][CHANGE_CAUSE] = change
            dep["metadata"]["generation"] += 1
            self._store(DEPLOYMENTS, dep)
            self._reconcile(namespace, name)

    def create_pod(self, namespace: str, name: str, containers: dict[str, list[str]], *,
                   labels: dict[str, str] | None = None, default: str | None = None) -> None:
        """A bare running pod with several containers (an app and its sidecars), each
        logging its own lines; ``default`` is the default-container annotation."""
        annotations = {"kubectl.kubernetes.io/default-container": default} if default else None
        self.put(PODS, k8s.V1Pod(
            api_version="v1", kind="Pod",
            metadata=k8s.V1ObjectMeta(name=name, namespace=namespace, labels=labels,
                                      annotations=annotations, creation_timestamp=_now()),
            spec=k8s.V1PodSpec(containers=[
                k8s.V1Container(name=container, image=f"registry.acme.dev/{container}:1")
                for container in containers]),
            status=k8s.V1PodStatus(phase="Running", conditions=[
                k8s.V1PodCondition(type="Ready", status="True")])))
        for container, lines in containers.items():
            self.container_logs[(namespace, name, container)] = (lines, [])

    def put(self, resource: Resource, model: Any) -> None:
        """Store a ready-made object as a create would: in an existing namespace, with a
        fresh resourceVersion, and without running the deployment controller, so the
        object's status and ownership stay exactly as given."""
        obj = to_json(model)
        name = obj["metadata"]["name"]
        namespace = obj["metadata"].get("namespace", "")
        with self._lock:
            if namespace and (NAMESPACES.plural, "", namespace) not in self._objects:
                raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found',
                               {"name": namespace, "kind": "namespaces"})
            if (resource.plural, namespace, name) in self._objects:
                raise ApiError(409, "AlreadyExists",
                               f'{resource.qualified()} "{name}" already exists',
                               {"name": name, "group": resource.group, "kind": resource.plural})
            self._store(resource, obj)

    # --- object store ----------------------------------------------------------------

    def _uid(self) -> str:
        return f"00000000-0000-4000-8000-{next(self._ids):012d}"

    def _store(self, resource: Resource, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        meta["resourceVersion"] = str(next(self._rv))
        self._objects[(resource.plural, meta.get("namespace", ""), meta["name"])] = obj
        return obj

    def get(self, resource: Resource, namespace: str, name: str) -> dict[str, Any]:
        try:
            return copy.deepcopy(self._objects[(resource.plural, namespace, name)])
        except KeyError:
            raise ApiError(404, "NotFound", f'{resource.qualified()} "{name}" not found',
                           {"name": name, "group": resource.group,
                            "kind": resource.plural}) from None

    def items(self, resource: Resource, namespace: str | None) -> Iterator[dict[str, Any]]:
        for (plural, ns, _), obj in sorted(self._objects.items()):
            if plural == resource.plural and namespace in (None, ns):
                yield copy.deepcopy(obj)

    def _delete(self, resource: Resource, namespace: str, name: str) -> None:
        self._objects.pop((resource.plural, namespace, name), None)

    # --- the deployment controller ---------------------------------------------------

    def _owned(self, dep: dict[str, Any], resource: Resource) -> list[dict[str, Any]]:
        uid = dep["metadata"]["uid"]
        return [o for o in self.items(resource, dep["metadata"]["namespace"])
                if any(r["uid"] == uid for r in o["metadata"].get("ownerReferences", []))]

    def _owner_ref(self, kind: str, obj: dict[str, Any]) -> k8s.V1OwnerReference:
        return k8s.V1OwnerReference(api_version="apps/v1", kind=kind,
                                    name=obj["metadata"]["name"], uid=obj["metadata"]["uid"],
                                    controller=True, block_owner_deletion=True)

    def _reconcile(self, namespace: str, name: str) -> None:
        dep = self.get(DEPLOYMENTS, namespace, name)
        template = dep["spec"]["template"]
        digest = _template_hash(template)
        owned = self._owned(dep, REPLICASETS)
        numbers = [int(rs["metadata"]["annotations"][REVISION]) for rs in owned]
        top = max(numbers, default=self._first_revision.get(f"{namespace}/{name}", 1) - 1)
        copied = {k: v for k, v in (dep["metadata"].get("annotations") or {}).items()
                  if k not in _NOT_COPIED}
        new = next((rs for rs in owned if _template_hash(rs["spec"]["template"]) == digest),
                   None)
        if new is None:
            new = self._new_replica_set(dep, digest, top + 1, copied)
        elif int(new["metadata"]["annotations"][REVISION]) != top:
            annotations = new["metadata"]["annotations"]
            history = [h for h in annotations.get(REVISION_HISTORY, "").split(",") if h]
            annotations[REVISION_HISTORY] = ",".join([*history, annotations[REVISION]])
            annotations.update(copied)
            annotations[REVISION] = str(top + 1)
            self._store(REPLICASETS, new)
        replicas = dep["spec"]["replicas"]
        for rs in [*self._owned(dep, REPLICASETS)]:
            is_new = rs["metadata"]["name"] == new["metadata"]["name"]
            self._scale_replica_set(rs, replicas if is_new else 0)
        new = self.get(REPLICASETS, namespace, new["metadata"]["name"])
        dep = self.get(DEPLOYMENTS, namespace, name)
        dep["metadata"]["annotations"][REVISION] = new["metadata"]["annotations"][REVISION]
        self._set_status(dep, new)
        self._store(DEPLOYMENTS, dep)
        self._event(dep, f"Scaled up replica set {new['metadata']['name']} to {replicas}")

    def _new_replica_set(self, dep: dict[str, Any], digest: str, revision: int,
                         copied: dict[str, str]) -> dict[str, Any]:
        meta = dep["metadata"]
        template = copy.deepcopy(dep["spec"]["template"])
        template["metadata"].setdefault("labels", {})[TEMPLATE_HASH] = digest
        selector = copy.deepcopy(dep["spec"]["selector"])
        selector["matchLabels"][TEMPLATE_HASH] = digest
        rs = k8s.V1ReplicaSet(
            api_version="apps/v1", kind="ReplicaSet",
            metadata=k8s.V1ObjectMeta(
                name=f"{meta['name']}-{digest}", namespace=meta["namespace"], uid=self._uid(),
                labels=dict(template["metadata"]["labels"]), creation_timestamp=_now(),
                annotations={**copied, REVISION: str(revision)},
                owner_references=[self._owner_ref("Deployment", dep)]),
            spec=k8s.V1ReplicaSetSpec(replicas=0, selector=k8s.V1LabelSelector(
                match_labels=selector["matchLabels"])),
        )
        obj = to_json(rs)
        obj["spec"]["template"] = template
        obj["status"] = {"replicas": 0}
        return self._store(REPLICASETS, obj)

    def _scale_replica_set(self, rs: dict[str, Any], replicas: int) -> None:
        meta = rs["metadata"]
        pods = self._owned(rs, PODS)
        for pod in pods[replicas:]:
            self._delete(PODS, meta["namespace"], pod["metadata"]["name"])
        for _ in range(replicas - len(pods)):
            self._new_pod(rs)
        pods = self._owned(rs, PODS)
        ready = sum(1 for p in pods if p["status"]["conditions"][0]["status"] == "True")
        rs["spec"]["replicas"] = replicas
        rs["status"] = {"replicas": len(pods), "readyReplicas": ready,
                        "availableReplicas": ready, "fullyLabeledReplicas": len(pods),
                        "observedGeneration": 1}
        self._store(REPLICASETS, rs)

    def _new_pod(self, rs: dict[str, Any]) -> None:
        self._store(PODS, self._pod(rs["spec"]["template"],
                                    f"{rs['metadata']['name']}-{next(self._ids):05d}",
                                    rs["metadata"]["namespace"],
                                    self._owner_ref("ReplicaSet", rs), {}))

    def _pod(self, template: dict[str, Any], name: str, namespace: str,
             owner: k8s.V1OwnerReference, labels: dict[str, str]) -> dict[str, Any]:
        container = template["spec"]["containers"][0]
        crash = container["image"] in self.crashing_images
        started = _now()
        if crash:
            state = k8s.V1ContainerState(waiting=k8s.V1ContainerStateWaiting(
                reason="CrashLoopBackOff",
                message=f"back-off 5m0s restarting failed container={container['name']}"))
            last = k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(
                exit_code=2, reason="Error", started_at=started, finished_at=started))
        else:
            state = k8s.V1ContainerState(running=k8s.V1ContainerStateRunning(started_at=started))
            last = k8s.V1ContainerState()
        pod = k8s.V1Pod(
            api_version="v1", kind="Pod",
            metadata=k8s.V1ObjectMeta(
                name=name, namespace=namespace, uid=self._uid(),
                labels={**template["metadata"]["labels"], **labels}, creation_timestamp=started,
                owner_references=[owner]),
            spec=k8s.V1PodSpec(containers=[k8s.V1Container(name=container["name"],
                                                           image=container["image"])]),
            status=k8s.V1PodStatus(
                phase="Running", start_time=started,
                conditions=[k8s.V1PodCondition(type="Ready",
                                               status="False" if crash else "True")],
                container_statuses=[k8s.V1ContainerStatus(
                    name=container["name"], image=container["image"],
                    image_id=f"docker-pullable://{container['image']}", ready=not crash,
                    restart_count=6 if crash else 0, started=not crash,
                    state=state, last_state=last)],
            ),
        )
        return to_json(pod)

    def _set_status(self, dep: dict[str, Any], new_rs: dict[str, Any]) -> None:
        replicas = dep["spec"]["replicas"]
        ready = new_rs["status"].get("readyReplicas", 0)
        available = ready >= replicas - replicas // 4
        crashing = ready < replicas
        rs_name = new_rs["metadata"]["name"]
        conditions = [
            k8s.V1DeploymentCondition(
                type="Available", status=str(available),
                reason="MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                message="Deployment has minimum availability." if available
                else "Deployment does not have minimum availability."),
            k8s.V1DeploymentCondition(
                type="Progressing", status="False" if crashing else "True",
                reason="ProgressDeadlineExceeded" if crashing else "NewReplicaSetAvailable",
                message=f'ReplicaSet "{rs_name}" has timed out progressing.' if crashing
                else f'ReplicaSet "{rs_name}" has successfully progressed.'),
        ]
        dep["status"] = to_json(k8s.V1DeploymentStatus(
            observed_generation=dep["metadata"]["generation"], replicas=replicas,
            updated_replicas=replicas, ready_replicas=ready, available_replicas=ready,
            unavailable_replicas=replicas - ready, conditions=conditions))

    def _event(self, dep: dict[str, Any], message: str) -> None:
        meta = dep["metadata"]
        event = k8s.CoreV1Event(
            api_version="v1", kind="Event",
            metadata=k8s.V1ObjectMeta(name=f"{meta['name']}.{next(self._ids):x}",
                                      namespace=meta["namespace"]),
            involved_object=k8s.V1ObjectReference(kind="Deployment", name=meta["name"],
                                                  namespace=meta["namespace"],
                                                  uid=meta["uid"]),
            reason="ScalingReplicaSet", message=message, type="Normal", count=1,
            first_timestamp=_now(), last_timestamp=_now(),
            source=k8s.V1EventSource(component="deployment-controller"))
        self._store(EVENTS, to_json(event))

    # --- the StatefulSet and DaemonSet controllers ---------------------------------------

    def create_set(self, kind: str, namespace: str, name: str, *, image: str, change: str,
                   replicas: int = 3, nodes: int = 3, service: str | None = None) -> None:
        """A StatefulSet of ``replicas`` pods, or a DaemonSet on ``nodes`` nodes."""
        if (NAMESPACES.plural, "", namespace) not in self._objects:
            self.add_namespace(namespace)
        labels = {"app.kubernetes.io/name": service or name, "app": name}
        meta = k8s.V1ObjectMeta(name=name, namespace=namespace, uid=self._uid(),
                                labels=dict(labels), generation=1, creation_timestamp=_now(),
                                annotations={CHANGE_CAUSE: change})
        selector = k8s.V1LabelSelector(match_labels={"app": name})
        template = k8s.V1PodTemplateSpec(
            metadata=k8s.V1ObjectMeta(labels=dict(labels)),
            spec=k8s.V1PodSpec(containers=[k8s.V1Container(name=name, image=image)]))
        if kind == "StatefulSet":
            model: Any = k8s.V1StatefulSet(
                api_version="apps/v1", kind=kind, metadata=meta, spec=k8s.V1StatefulSetSpec(
                    replicas=replicas, service_name=name, selector=selector, template=template,
                    update_strategy=k8s.V1StatefulSetUpdateStrategy(type="RollingUpdate")))
        else:
            model = k8s.V1DaemonSet(
                api_version="apps/v1", kind=kind, metadata=meta, spec=k8s.V1DaemonSetSpec(
                    selector=selector, template=template,
                    update_strategy=k8s.V1DaemonSetUpdateStrategy(type="RollingUpdate")))
        with self._lock:
            self._nodes = nodes
            self._store(SETS[kind], to_json(model))
            self._reconcile_set(kind, namespace, name)

    def deploy_set(self, kind: str, namespace: str, name: str, *, image: str,
                   change: str) -> None:
        with self._lock:
            obj = self.get(SETS[kind], namespace, name)
            obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
            obj["metadata"]["annotations"][CHANGE_CAUSE] = change
            obj["metadata"]["generation"] += 1
            self._store(SETS[kind], obj)
            self._reconcile_set(kind, namespace, name)

    def _reconcile_set(self, kind: str, namespace: str, name: str) -> None:
        obj = self.get(SETS[kind], namespace, name)
        digest = _template_hash(obj["spec"]["template"])
        owned = self._owned(obj, CONTROLLERREVISIONS)
        top = max((r["revision"] for r in owned), default=0)
        revision = next((r for r in owned
                         if r["metadata"]["labels"].get(_SNAPSHOT_HASH) == digest), None)
        if revision is None:
            revision = self._new_revision(kind, obj, digest, top + 1)
        elif revision["revision"] != top:
            revision["revision"] = top + 1
            self._store(CONTROLLERREVISIONS, revision)
        label = revision["metadata"]["name"] if kind == "StatefulSet" else digest
        wanted = obj["spec"]["replicas"] if kind == "StatefulSet" else self._nodes
        pods = sorted(self._owned(obj, PODS), key=lambda p: _ordinal(p["metadata"]["name"]))
        for pod in pods[wanted:]:
            self._delete(PODS, namespace, pod["metadata"]["name"])
        names = [p["metadata"]["name"] for p in pods[:wanted]]
        names += [f"{name}-{i}" if kind == "StatefulSet" else f"{name}-{next(self._ids):05d}"
                  for i in range(len(names), wanted)]
        for pod_name in reversed(names):  # from the highest ordinal, halting on a bad pod
            current = self._objects.get((PODS.plural, namespace, pod_name))
            if current is not None and current["metadata"]["labels"].get(REVISION_LABEL) == label:
                continue
            self._delete(PODS, namespace, pod_name)
            pod = self._store(PODS, self._pod(obj["spec"]["template"], pod_name, namespace,
                                              self._owner_ref(kind, obj),
                                              {REVISION_LABEL: label}))
            if pod["status"]["conditions"][0]["status"] != "True":
                break
        self._set_workload_status(kind, namespace, name, label, revision)

    def _new_revision(self, kind: str, obj: dict[str, Any], digest: str,
                      number: int) -> dict[str, Any]:
        meta = obj["metadata"]
        template = copy.deepcopy(obj["spec"]["template"])
        revision = k8s.V1ControllerRevision(
            api_version="apps/v1", kind="ControllerRevision",
            metadata=k8s.V1ObjectMeta(
                name=f"{meta['name']}-{digest}", namespace=meta["namespace"], uid=self._uid(),
                labels={**template["metadata"]["labels"], _SNAPSHOT_HASH: digest},
                annotations=dict(meta.get("annotations") or {}), creation_timestamp=_now(),
                owner_references=[self._owner_ref(kind, obj)]),
            data={"spec": {"template": {**template, "$patch": "replace"}}}, revision=number)
        return self._store(CONTROLLERREVISIONS, to_json(revision))

    def _set_workload_status(self, kind: str, namespace: str, name: str, label: str,
                             revision: dict[str, Any]) -> None:
        obj = self.get(SETS[kind], namespace, name)
        pods = self._owned(obj, PODS)
        ready = sum(1 for p in pods if p["status"]["conditions"][0]["status"] == "True")
        updated = sum(1 for p in pods if p["metadata"]["labels"].get(REVISION_LABEL) == label)
        generation = obj["metadata"]["generation"]
        if kind == "StatefulSet":
            older = next((p["metadata"]["labels"][REVISION_LABEL] for p in pods
                          if p["metadata"]["labels"].get(REVISION_LABEL) != label), label)
            obj["status"] = to_json(k8s.V1StatefulSetStatus(
                observed_generation=generation, replicas=len(pods), ready_replicas=ready,
                available_replicas=ready, current_replicas=len(pods) - updated,
                updated_replicas=updated, current_revision=older,
                update_revision=revision["metadata"]["name"]))
        else:
            obj["status"] = to_json(k8s.V1DaemonSetStatus(
                observed_generation=generation, desired_number_scheduled=self._nodes,
                current_number_scheduled=len(pods), number_ready=ready,
                number_available=ready, number_unavailable=self._nodes - ready,
                number_misscheduled=0, updated_number_scheduled=updated))
        self._store(SETS[kind], obj)

    def patch_set(self, kind: str, namespace: str, name: str, content_type: str | None,
                  body: Any, dry_run: bool) -> dict[str, Any]:
        if self.before_patch is not None:
            self.before_patch(self)
        resource = SETS[kind]
        current = self.get(resource, namespace, name)
        patched = self._patched(current, content_type, body)
        self._check_write(resource, name, current["metadata"]["resourceVersion"], patched,
                          patched.get("spec", {}).get("replicas", 0))
        if patched["spec"] != current["spec"]:
            patched["metadata"]["generation"] = current["metadata"]["generation"] + 1
        if dry_run:
            return patched
        self._store(resource, patched)
        self._reconcile_set(kind, namespace, name)
        return self.get(resource, namespace, name)

    # --- request handling ------------------------------------------------------------

    def _scale_of(self, dep: dict[str, Any]) -> dict[str, Any]:
        """The autoscaling/v1 Scale of a Deployment or StatefulSet."""
        meta = dep["metadata"]
        selector = ",".join(f"{k}={v}" for k, v in dep["spec"]["selector"]["matchLabels"].items())
        return to_json(k8s.V1Scale(
            api_version="autoscaling/v1", kind="Scale",
            metadata=k8s.V1ObjectMeta(name=meta["name"], namespace=meta["namespace"],
                                      uid=meta["uid"], resource_version=meta["resourceVersion"]),
            spec=k8s.V1ScaleSpec(replicas=dep["spec"]["replicas"]),
            status=k8s.V1ScaleStatus(replicas=dep.get("status", {}).get("replicas", 0),
                                     selector=selector)))

    def _patched(self, current: dict[str, Any], content_type: str | None,
                 body: Any) -> dict[str, Any]:
        if content_type == "application/json-patch+json":
            if not isinstance(body, list):
                raise ApiError(400, "BadRequest", "json patch must be a list of operations")
            return _json_patch(copy.deepcopy(current), body)
        if content_type in ("application/merge-patch+json",
                            "application/strategic-merge-patch+json"):
            return _merge(current, body)
        raise ApiError(415, "UnsupportedMediaType",
                       f"the body of the request was in an unknown format - accepted media "
                       f"types include: application/json-patch+json, "
                       f"application/merge-patch+json, application/apply-patch+yaml, "
                       f"application/strategic-merge-patch+json (got {content_type})")

    def _check_write(self, resource: Resource, name: str, current_rv: str,
                     patched: dict[str, Any], replicas: Any) -> None:
        if patched["metadata"].get("resourceVersion") != current_rv:
            raise ApiError(409, "Conflict",
                           f'Operation cannot be fulfilled on {resource.qualified()} "{name}": '
                           "the object has been modified; please apply your changes to the "
                           "latest version and try again",
                           {"name": name, "group": resource.group, "kind": resource.plural})
        if not isinstance(replicas, int) or replicas < 0:
            raise ApiError(422, "Invalid",
                           f'{resource.kind}.{resource.group} "{name}" is invalid: '
                           f"spec.replicas: Invalid value: {replicas}: must be greater than "
                           "or equal to 0")

    def patch_deployment(self, namespace: str, name: str, content_type: str | None,
                         body: Any, dry_run: bool) -> dict[str, Any]:
        if self.before_patch is not None:
            self.before_patch(self)
        current = self.get(DEPLOYMENTS, namespace, name)
        patched = self._patched(current, content_type, body)
        self._check_write(DEPLOYMENTS, name, current["metadata"]["resourceVersion"], patched,
                          patched.get("spec", {}).get("replicas"))
        if patched["spec"] != current["spec"]:
            patched["metadata"]["generation"] = current["metadata"]["generation"] + 1
        if dry_run:
            return patched
        self._store(DEPLOYMENTS, patched)
        self._reconcile(namespace, name)
        return self.get(DEPLOYMENTS, namespace, name)

    def patch_scale(self, namespace: str, name: str, content_type: str | None, body: Any,
                    dry_run: bool, kind: str = "Deployment") -> dict[str, Any]:
        resource = SETS.get(kind, DEPLOYMENTS)
        dep = self.get(resource, namespace, name)
        scale = self._scale_of(dep)
        patched = self._patched(scale, content_type, body)
        replicas = patched.get("spec", {}).get("replicas")
        self._check_write(resource, name, scale["metadata"]["resourceVersion"], patched,
                          replicas)
        if dry_run:
            return patched
        dep["spec"]["replicas"] = replicas
        dep["metadata"]["generation"] += 1
        self._store(resource, dep)
        if kind == "Deployment":
            self._reconcile(namespace, name)
        else:
            self._reconcile_set(kind, namespace, name)
        return self._scale_of(self.get(resource, namespace, name))

    def patch_object(self, resource: Resource, namespace: str, name: str,
                     content_type: str | None, body: Any, dry_run: bool) -> dict[str, Any]:
        """A node or a CronJob: only the fields opsbot patches are validated."""
        if self.before_write is not None:
            self.before_write(self)
        current = self.get(resource, namespace, name)
        patched = self._patched(current, content_type, body)
        rv = patched["metadata"].get("resourceVersion")
        if rv != current["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict",
                           f'Operation cannot be fulfilled on {resource.qualified()} "{name}": '
                           "the object has been modified; please apply your changes to the "
                           "latest version and try again",
                           {"name": name, "group": resource.group, "kind": resource.plural})
        spec = patched.get("spec", {})
        for flag in ("unschedulable", "suspend"):
            if flag in spec and not isinstance(spec[flag], bool):
                raise ApiError(422, "Invalid", f'{resource.kind} "{name}" is invalid: '
                               f"spec.{flag}: Invalid value: {spec[flag]!r}: must be a boolean")
        if dry_run:
            return patched
        return copy.deepcopy(self._store(resource, patched))

    def delete_object(self, resource: Resource, namespace: str, name: str, body: Any,
                      query: dict[str, str], dry_run: bool) -> dict[str, Any]:
        if self.before_write is not None:
            self.before_write(self)
        current = self.get(resource, namespace, name)
        options = body or {}
        expected = (options.get("preconditions") or {}).get("resourceVersion")
        if expected is not None and expected != current["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict",
                           f"Operation cannot be fulfilled on {resource.qualified()} "
                           f'"{name}": the ResourceVersion in the precondition ({expected}) '
                           "does not match the ResourceVersion in record "
                           f"({current['metadata']['resourceVersion']}). The object might "
                           "have been modified",
                           {"name": name, "group": resource.group, "kind": resource.plural})
        policy = options.get("propagationPolicy") or query.get("propagationPolicy")
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise ApiError(400, "BadRequest", f"invalid propagationPolicy: {policy}")
        current["metadata"]["deletionTimestamp"] = _now().isoformat().replace("+00:00", "Z")
        if dry_run:
            return self._deleted(resource, current)
        self._delete(resource, namespace, name)
        if resource == JOBS and policy in ("Background", "Foreground"):
            for pod in self._owned(current, PODS):
                self._delete(PODS, namespace, pod["metadata"]["name"])
        if resource == PODS:
            self._replace_pod(current)
        return self._deleted(resource, current)

    def _deleted(self, resource: Resource, obj: dict[str, Any]) -> dict[str, Any]:
        """What a DELETE answers: a pod with its deletionTimestamp, else a Success Status."""
        if resource == PODS:
            return obj
        meta = obj["metadata"]
        return to_json(k8s.V1Status(api_version="v1", kind="Status", metadata=k8s.V1ListMeta(),
                                    status="Success", details=k8s.V1StatusDetails(
                                        name=meta["name"], group=resource.group,
                                        kind=resource.plural, uid=meta.get("uid"))))

    def _replace_pod(self, pod: dict[str, Any]) -> None:
        owner = next((r for r in pod["metadata"].get("ownerReferences", [])
                      if r.get("kind") == "ReplicaSet"), None)
        if owner is None:
            return
        with contextlib.suppress(ApiError):
            rs = self.get(REPLICASETS, pod["metadata"]["namespace"], owner["name"])
            self._scale_replica_set(rs, rs["spec"]["replicas"])

    def pod_log(self, namespace: str, name: str, query: dict[str, str]) -> str:
        pod = self.get(PODS, namespace, name)
        containers = [c["name"] for c in pod["spec"]["containers"]]
        container = query.get("container")
        if container is None:
            if len(containers) > 1:
                raise ApiError(400, "BadRequest", f"a container name must be specified for "
                               f"pod {name}, choose one of: [{' '.join(containers)}]")
            container = containers[0]
        if container not in containers:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod "
                                              f"{name}")
        image = pod["spec"]["containers"][containers.index(container)]["image"]
        logged = self.container_logs.get((namespace, name, container))
        if logged is not None:
            current, previous = logged
        else:
            current, previous = self.logs_by_image.get(image, ([f"started {image}"], []))
            if image not in self.crashing_images:
                previous = []
        if query.get("previous") == "true":
            if not previous:
                raise ApiError(400, "BadRequest", f'previous terminated container '
                               f'"{container}" in pod "{name}" not found')
            lines = previous
        else:
            lines = current
        tail = int(query.get("tailLines", len(lines)))
        text = "".join(f"{line}\n" for line in lines[-tail:] if tail > 0)
        # limitBytes stops the stream after that many bytes: the oldest of the tail survive.
        limit = query.get("limitBytes")
        return text.encode()[:int(limit)].decode(errors="ignore") if limit else text

    def respond(self, method: str, path: str, query: dict[str, str],
                content_type: str | None, body: Any) -> tuple[int, Any]:
        dry = query.get("dryRun")
        if dry not in (None, "All"):
            raise ApiError(400, "BadRequest", f"Invalid dryRun value: {dry}")
        for pattern, handler in _ROUTES:
            match = re.fullmatch(pattern, path)
            if match and method in handler:
                verb, resource, call = handler[method]
                namespace = match.groupdict().get("ns")
                if {(verb, resource, namespace), (verb, resource, None)} & self._forbidden:
                    raise _forbidden(verb, resource, namespace, match.groupdict().get("name"))
                with self._lock:
                    return 200, call(self, match.groupdict(), query, content_type, body,
                                     dry == "All")
        raise ApiError(404, "NotFound", "the server could not find the requested resource")


_GROUPED = (DEPLOYMENTS, REPLICASETS, STATEFULSETS, DAEMONSETS, CONTROLLERREVISIONS, HPAS,
            JOBS, CRONJOBS, STORAGECLASSES, ENDPOINTSLICES)


def _forbidden(verb: str, resource: str, namespace: str | None, name: str | None) -> ApiError:
    group = next((r.group for r in _GROUPED if resource.startswith(r.plural)), "")
    kind = resource.split("/")[0] + (f".{group}" if group else "")
    subject = f'{kind} "{name}"' if name else kind
    where = f' in the namespace "{namespace}"' if namespace else ""
    return ApiError(403, "Forbidden",
                    f'{subject} is forbidden: User "{USER}" cannot {verb} resource '
                    f'"{resource}" in API group "{group}"{where}',
                    {"name": name or "", "group": group, "kind": resource})


def _list(resource: Resource, kind: str) -> Callable[..., Any]:
    def handler(s: K8sStandin, m: dict[str, str], q: dict[str, str], *_: Any) -> Any:
        items = [o for o in s.items(resource, m.get("ns"))
                 if _selector_matches(q.get("labelSelector", ""),
                                      o["metadata"].get("labels") or {})
                 and _field_matches(q.get("fieldSelector", ""), o)]
        return {"kind": kind, "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": str(next(s._rv))}, "items": items}
    return handler


def _patch_set(kind: str, s: K8sStandin, m: dict[str, str], q: dict[str, str],
               content_type: str | None, body: Any, dry: bool) -> Any:
    return s.patch_set(kind, m["ns"], m["name"], content_type, body, dry)


def _get(resource: Resource) -> Callable[..., Any]:
    return lambda s, m, *_: s.get(resource, m.get("ns", ""), m["name"])


def _patch(resource: Resource) -> Callable[..., Any]:
    return lambda s, m, q, ct, b, dry: s.patch_object(resource, m.get("ns", ""), m["name"],
                                                       ct, b, dry)


def _remove(resource: Resource) -> Callable[..., Any]:
    return lambda s, m, q, ct, b, dry: s.delete_object(resource, m.get("ns", ""), m["name"],
                                                        b, q, dry)


_NS = r"/namespaces/(?P<ns>[^/]+)"
_ROUTES: list[tuple[str, dict[str, tuple[str, str, Callable[..., Any]]]]] = [
    (r"/api/v1/nodes", {"GET": ("list", "nodes", _list(NODES, "NodeList"))}),
    (r"/api/v1/nodes/(?P<name>[^/]+)", {"GET": ("get", "nodes", _get(NODES)),
                                        "PATCH": ("patch", "nodes", _patch(NODES))}),
    (rf"/api/v1{_NS}/persistentvolumeclaims",
     {"GET": ("list", "persistentvolumeclaims", _list(PVCS, "PersistentVolumeClaimList"))}),
    (r"/api/v1/persistentvolumes",
     {"GET": ("list", "persistentvolumes", _list(PVS, "PersistentVolumeList"))}),
    (r"/api/v1/persistentvolumes/(?P<name>[^/]+)",
     {"GET": ("get", "persistentvolumes", _get(PVS))}),
    (rf"/api/v1{_NS}/resourcequotas",
     {"GET": ("list", "resourcequotas", _list(RESOURCEQUOTAS, "ResourceQuotaList"))}),
    (rf"/api/v1{_NS}/resourcequotas/(?P<name>[^/]+)",
     {"GET": ("get", "resourcequotas", _get(RESOURCEQUOTAS))}),
    (rf"/api/v1{_NS}/services",
     {"GET": ("list", "services", _list(SERVICES, "ServiceList"))}),
    (rf"/api/v1{_NS}/services/(?P<name>[^/]+)", {"GET": ("get", "services", _get(SERVICES))}),
    (rf"/apis/discovery.k8s.io/v1{_NS}/endpointslices",
     {"GET": ("list", "endpointslices", _list(ENDPOINTSLICES, "EndpointSliceList"))}),
    (r"/apis/storage.k8s.io/v1/storageclasses",
     {"GET": ("list", "storageclasses", _list(STORAGECLASSES, "StorageClassList"))}),
    (rf"/apis/batch/v1{_NS}/jobs", {"GET": ("list", "jobs", _list(JOBS, "JobList"))}),
    (r"/apis/batch/v1/jobs", {"GET": ("list", "jobs", _list(JOBS, "JobList"))}),
    (rf"/apis/batch/v1{_NS}/jobs/(?P<name>[^/]+)", {"GET": ("get", "jobs", _get(JOBS)),
                                                    "DELETE": ("delete", "jobs", _remove(JOBS))}),
    (rf"/apis/batch/v1{_NS}/cronjobs",
     {"GET": ("list", "cronjobs", _list(CRONJOBS, "CronJobList"))}),
    (r"/apis/batch/v1/cronjobs",
     {"GET": ("list", "cronjobs", _list(CRONJOBS, "CronJobList"))}),
    (rf"/apis/batch/v1{_NS}/cronjobs/(?P<name>[^/]+)", {
        "GET": ("get", "cronjobs", _get(CRONJOBS)),
        "PATCH": ("patch", "cronjobs", _patch(CRONJOBS))}),
    (r"/api/v1/namespaces/(?P<name>[^/]+)", {"GET": ("get", "namespaces", _get(NAMESPACES))}),
    (rf"/api/v1{_NS}/pods", {"GET": ("list", "pods", _list(PODS, "PodList"))}),
    (r"/api/v1/pods", {"GET": ("list", "pods", _list(PODS, "PodList"))}),
    (rf"/api/v1{_NS}/pods/(?P<name>[^/]+)", {"GET": ("get", "pods", _get(PODS)),
                                             "DELETE": ("delete", "pods", _remove(PODS))}),
    (rf"/api/v1{_NS}/pods/(?P<name>[^/]+)/log",
     {"GET": ("get", "pods/log", lambda s, m, q, *_: s.pod_log(m["ns"], m["name"], q))}),
    (rf"/api/v1{_NS}/events", {"GET": ("list", "events", _list(EVENTS, "EventList"))}),
    (rf"/apis/apps/v1{_NS}/deployments",
     {"GET": ("list", "deployments", _list(DEPLOYMENTS, "DeploymentList"))}),
    (r"/apis/apps/v1/deployments",
     {"GET": ("list", "deployments", _list(DEPLOYMENTS, "DeploymentList"))}),
    (rf"/apis/apps/v1{_NS}/deployments/(?P<name>[^/]+)", {
        "GET": ("get", "deployments", _get(DEPLOYMENTS)),
        "PATCH": ("patch", "deployments",
                  lambda s, m, q, ct, b, dry: s.patch_deployment(m["ns"], m["name"], ct, b, dry)),
    }),
    (rf"/apis/apps/v1{_NS}/deployments/(?P<name>[^/]+)/scale", {
        "GET": ("get", "deployments/scale",
                lambda s, m, *_: s._scale_of(s.get(DEPLOYMENTS, m["ns"], m["name"]))),
        "PATCH": ("patch", "deployments/scale",
                  lambda s, m, q, ct, b, dry: s.patch_scale(m["ns"], m["name"], ct, b, dry)),
    }),
    (rf"/apis/apps/v1{_NS}/replicasets",
     {"GET": ("list", "replicasets", _list(REPLICASETS, "ReplicaSetList"))}),
    (r"/apis/apps/v1/replicasets",
     {"GET": ("list", "replicasets", _list(REPLICASETS, "ReplicaSetList"))}),
    *(route for kind, resource in SETS.items() for route in (
        (rf"/apis/apps/v1{_NS}/{resource.plural}",
         {"GET": ("list", resource.plural, _list(resource, f"{kind}List"))}),
        (rf"/apis/apps/v1/{resource.plural}",
         {"GET": ("list", resource.plural, _list(resource, f"{kind}List"))}),
        (rf"/apis/apps/v1{_NS}/{resource.plural}/(?P<name>[^/]+)", {
            "GET": ("get", resource.plural, _get(resource)),
            "PATCH": ("patch", resource.plural, functools.partial(_patch_set, kind)),
        }),
    )),
    (rf"/apis/apps/v1{_NS}/statefulsets/(?P<name>[^/]+)/scale", {
        "GET": ("get", "statefulsets/scale",
                lambda s, m, *_: s._scale_of(s.get(STATEFULSETS, m["ns"], m["name"]))),
        "PATCH": ("patch", "statefulsets/scale",
                  lambda s, m, q, ct, b, dry: s.patch_scale(m["ns"], m["name"], ct, b, dry,
                                                            "StatefulSet")),
    }),
    *((rf"/apis/apps/v1{scope}/controllerrevisions", {
        "GET": ("list", "controllerrevisions",
                _list(CONTROLLERREVISIONS, "ControllerRevisionList"))}) for scope in (_NS, "")),
    (rf"/apis/autoscaling/v2{_NS}/horizontalpodautoscalers", {
        "GET": ("list", "horizontalpodautoscalers",
                _list(HPAS, "HorizontalPodAutoscalerList"))}),
    (rf"/apis/autoscaling/v2{_NS}/horizontalpodautoscalers/(?P<name>[^/]+)",
     {"GET": ("get", "horizontalpodautoscalers", _get(HPAS))}),
]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes
    standin: K8sStandin

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded requests instead."""

    def _send(self, status: int, payload: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first (timeout tests)

    def _error(self, error: ApiError) -> None:
        self._send(error.code, json.dumps(error.status()).encode(), "application/json")

    def _handle(self) -> None:
        s = self.standin
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type")
        body = json.loads(raw) if raw else None
        with s._lock:
            s.requests.append(Recorded(self.command, parts.path, query, content_type, body))
            fault = next((f for f in s._faults if f.path in parts.path
                          and f.method in (None, self.command)), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    s._faults.remove(fault)
        if self.headers.get("Authorization") != f"Bearer {s.token}":
            self._error(ApiError(401, "Unauthorized", "Unauthorized"))
            return
        if fault is not None:
            if fault.applied:
                with contextlib.suppress(ApiError):
                    s.respond(self.command, parts.path, query, content_type, body)
            time.sleep(fault.delay)
            self._send(fault.status, fault.body, fault.content_type, fault.headers)
            return
        if "/secrets" in parts.path:
            self._error(ApiError(403, "Forbidden", f'secrets is forbidden: User "{USER}" '
                                 'cannot get resource "secrets" in API group ""'))
            return
        try:
            status, result = s.respond(self.command, parts.path, query, content_type, body)
        except ApiError as error:
            self._error(error)
            return
        if isinstance(result, str):
            self._send(status, result.encode(), "text/plain")
        else:
            self._send(status, json.dumps(result).encode(), "application/json")

    def do_GET(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()
