"""The Kubernetes API calls opsbot makes, and nothing else: typed results, ToolFailures.

Secrets are never read: no call here touches the secrets API, so credentials with no
access to secrets are enough and a bug cannot leak one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from assistant.errors import InputError
from tools.backend import ToolFailure
from tools.kubernetes.errors import from_api_exception, from_transport_error, malformed
from tools.kubernetes.required import meta, name_of, pod_spec
from tools.real.http import HttpFailure
from tools.real.settings import SOURCE, KubernetesSettings

T = TypeVar("T")

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
DRY_RUN_ALL = "All"


def api_client_from_settings(settings: KubernetesSettings) -> k8s.ApiClient:
    """An ApiClient from a kubeconfig file or the pod's service account."""
    configuration = k8s.Configuration()
    try:
        if settings.in_cluster:
            k8s_config.load_incluster_config(client_configuration=configuration)
        else:
            k8s_config.load_kube_config(
                config_file=str(settings.kubeconfig) if settings.kubeconfig else None,
                context=settings.context,
                client_configuration=configuration,
                persist_config=False,
            )
    except (ConfigException, OSError, ValueError) as exc:
        field = "KUBERNETES_SERVICE_HOST" if settings.in_cluster else "KUBECONFIG"
        raise InputError(f"cannot load Kubernetes configuration: {exc}", source=SOURCE,
                         field=field) from exc
    # The executor owns retries and their backoff; retrying inside the client as well
    # would multiply attempts and hide how long a call really took.
    configuration.retries = False
    return k8s.ApiClient(configuration)


def default_container(pod: k8s.V1Pod) -> str:
    """The container kubectl picks: the default-container annotation, else the first."""
    annotations = meta(pod).annotations or {}
    chosen = annotations.get("kubectl.kubernetes.io/default-container")
    names = [c.name for c in pod_spec(pod).containers]
    return chosen if chosen in names else names[0]


class Cluster:
    def __init__(self, api_client: k8s.ApiClient, timeout_seconds: float) -> None:
        self.api_client = api_client
        self.host = api_client.configuration.host
        self._timeout = timeout_seconds
        self._core = k8s.CoreV1Api(api_client)
        self._apps = k8s.AppsV1Api(api_client)
        self._batch = k8s.BatchV1Api(api_client)
        self._autoscaling = k8s.AutoscalingV2Api(api_client)
        self._storage = k8s.StorageV1Api(api_client)
        self._discovery = k8s.DiscoveryV1Api(api_client)

    def close(self) -> None:
        self.api_client.close()

    def serialize(self, model: Any) -> Any:
        return self.api_client.sanitize_for_serialization(model)

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, _request_timeout=self._timeout, **kwargs)
        except ApiException as exc:
            raise from_api_exception(exc, what, self.host) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise from_transport_error(exc, what, self.host) from exc
        except ValueError as exc:  # undecodable JSON or a body that fits no model
            raise malformed(exc, what, self.host) from exc

    # --- reads -----------------------------------------------------------------------

    def _read(self, kind: str, namespace: str, name: str, read: Callable[..., T],
              others: Callable[[str], list[Any]]) -> T:
        """Read one object; a 404 names the objects of that kind that do exist."""
        try:
            return self._call(f"reading {kind} {namespace}/{name}", read, name, namespace)
        except HttpFailure as exc:
            if exc.status != 404:
                raise
            known = ", ".join(sorted(name_of(o) for o in others(namespace)))
            raise ToolFailure(f"{kind} {namespace}/{name} not found; {kind}s in {namespace}: "
                              f"{known or 'none'}") from exc

    def deployment(self, namespace: str, name: str) -> k8s.V1Deployment:
        return self._read("deployment", namespace, name,
                          self._apps.read_namespaced_deployment, self.deployments)

    def _list(self, kind: str, namespace: str | None, everywhere: Callable[..., Any],
              namespaced: Callable[..., Any], **kwargs: Any) -> list[Any]:
        if namespace is None:
            found = self._call(f"listing {kind}", everywhere, **kwargs)
        else:
            found = self._call(f"listing {kind} in {namespace}", namespaced, namespace,
                               **kwargs)
        return list(found.items)

    def deployments(self, namespace: str | None) -> list[k8s.V1Deployment]:
        return self._list("deployments", namespace, self._apps.list_deployment_for_all_namespaces,
                          self._apps.list_namespaced_deployment)

    def replica_sets(self, namespace: str | None,
                     selector: str | None = None) -> list[k8s.V1ReplicaSet]:
        return self._list("replica sets", namespace,
                          self._apps.list_replica_set_for_all_namespaces,
                          self._apps.list_namespaced_replica_set, label_selector=selector)

    def pods(self, namespace: str | None, selector: str | None = None) -> list[k8s.V1Pod]:
        return self._list("pods", namespace, self._core.list_pod_for_all_namespaces,
                          self._core.list_namespaced_pod, label_selector=selector)

    def pod(self, namespace: str, name: str) -> k8s.V1Pod:
        return self._read("pod", namespace, name, self._core.read_namespaced_pod, self.pods)

    def pod_log(self, namespace: str, name: str, container: str, tail: int,
                previous: bool, *, limit_bytes: int | None = None) -> str:
        which = "previous " if previous else ""
        return self._call(f"reading {which}logs of {namespace}/{name} ({container})",
                          self._core.read_namespaced_pod_log, name, namespace,
                          container=container, tail_lines=tail, previous=previous,
                          limit_bytes=limit_bytes)

    def events(self, namespace: str, kind: str, name: str) -> list[k8s.CoreV1Event]:
        selector = f"involvedObject.kind={kind},involvedObject.name={name}"
        found = self._call(f"listing events of {kind} {namespace}/{name}",
                           self._core.list_namespaced_event, namespace,
                           field_selector=selector)
        return list(found.items)

    def namespace_missing(self, namespace: str) -> bool:
        """True only when the API says the namespace does not exist.

        Reading namespaces is cluster-scoped and often not granted; a refusal is not proof
        that it is missing, so anything but a 404 counts as present.
        """
        try:
            self._call(f"reading namespace {namespace}", self._core.read_namespace, namespace)
        except HttpFailure as exc:
            if exc.status == 404:
                return True
            if exc.status == 403:
                return False
            raise
        return False

    def scale(self, namespace: str, name: str) -> k8s.V1Scale:
        self.deployment(namespace, name)  # a friendly not-found naming what exists
        return self._call(f"reading the scale of {namespace}/{name}",
                          self._apps.read_namespaced_deployment_scale, name, namespace)

    def nodes(self) -> list[k8s.V1Node]:
        return list(self._call("listing nodes", self._core.list_node).items)

    def node(self, name: str) -> k8s.V1Node:
        try:
            return self._call(f"reading node {name}", self._core.read_node, name)
        except HttpFailure as exc:
            if exc.status != 404:
                raise
            known = ", ".join(sorted(name_of(n) for n in self.nodes()))
            raise ToolFailure(f"node {name} not found; nodes: {known or 'none'}") from exc

    def pods_on_node(self, node: str, namespace: str | None) -> list[k8s.V1Pod]:
        return self._list("pods", namespace, self._core.list_pod_for_all_namespaces,
                          self._core.list_namespaced_pod,
                          field_selector=f"spec.nodeName={node}")

    def jobs(self, namespace: str | None) -> list[k8s.V1Job]:
        return self._list("jobs", namespace, self._batch.list_job_for_all_namespaces,
                          self._batch.list_namespaced_job)

    def job(self, namespace: str, name: str) -> k8s.V1Job:
        return self._read("job", namespace, name, self._batch.read_namespaced_job, self.jobs)

    def cronjobs(self, namespace: str | None) -> list[k8s.V1CronJob]:
        return self._list("cronjobs", namespace, self._batch.list_cron_job_for_all_namespaces,
                          self._batch.list_namespaced_cron_job)

    def cronjob(self, namespace: str, name: str) -> k8s.V1CronJob:
        return self._read("cronjob", namespace, name, self._batch.read_namespaced_cron_job,
                          self.cronjobs)

    def volume_claims(self, namespace: str) -> list[k8s.V1PersistentVolumeClaim]:
        return list(self._call(f"listing persistentvolumeclaims in {namespace}",
                               self._core.list_namespaced_persistent_volume_claim,
                               namespace).items)

    def persistent_volumes(self) -> list[k8s.V1PersistentVolume]:
        return list(self._call("listing persistentvolumes",
                               self._core.list_persistent_volume).items)

    def persistent_volume(self, name: str) -> k8s.V1PersistentVolume:
        try:
            return self._call(f"reading persistentvolume {name}",
                              self._core.read_persistent_volume, name)
        except HttpFailure as exc:
            if exc.status != 404:
                raise
            known = ", ".join(sorted(name_of(v) for v in self.persistent_volumes()))
            raise ToolFailure(f"persistentvolume {name} not found; "
                              f"persistentvolumes: {known or 'none'}") from exc

    def resource_quotas(self, namespace: str) -> list[k8s.V1ResourceQuota]:
        return list(self._call(f"listing resourcequotas in {namespace}",
                               self._core.list_namespaced_resource_quota, namespace).items)

    def resource_quota(self, namespace: str, name: str) -> k8s.V1ResourceQuota:
        return self._read("resourcequota", namespace, name,
                          self._core.read_namespaced_resource_quota, self.resource_quotas)

    def services(self, namespace: str) -> list[k8s.V1Service]:
        return list(self._call(f"listing services in {namespace}",
                               self._core.list_namespaced_service, namespace).items)

    def service(self, namespace: str, name: str) -> k8s.V1Service:
        return self._read("service", namespace, name, self._core.read_namespaced_service,
                          self.services)

    def endpoint_slices(self, namespace: str, service: str) -> list[k8s.V1EndpointSlice]:
        """The slices the endpoint controller keeps for one Service (its own label)."""
        return list(self._call(f"listing endpointslices of service {namespace}/{service}",
                               self._discovery.list_namespaced_endpoint_slice, namespace,
                               label_selector=f"kubernetes.io/service-name={service}").items)

    def storage_classes(self) -> list[k8s.V1StorageClass]:
        return list(self._call("listing storageclasses",
                               self._storage.list_storage_class).items)

    # --- writes ----------------------------------------------------------------------

    def _patch(self, kind: str, patch: Callable[..., T], namespace: str, name: str,
               body: Any, content_type: str, dry_run: bool) -> T:
        mode = "dry-run " if dry_run else ""
        return self._call(f"{mode}patching {kind} {namespace}/{name}", patch, name,
                          namespace, body, dry_run=DRY_RUN_ALL if dry_run else None,
                          _content_type=content_type)

    def patch_deployment(self, namespace: str, name: str, body: Any, content_type: str,
                         *, dry_run: bool) -> k8s.V1Deployment:
        return self._patch("deployment", self._apps.patch_namespaced_deployment, namespace,
                           name, body, content_type, dry_run)

    def patch_node(self, name: str, body: Any, *, dry_run: bool) -> k8s.V1Node:
        mode = "dry-run " if dry_run else ""
        return self._call(f"{mode}patching node {name}", self._core.patch_node, name, body,
                          dry_run=DRY_RUN_ALL if dry_run else None, _content_type=MERGE_PATCH)

    def patch_cronjob(self, namespace: str, name: str, body: Any,
                      *, dry_run: bool) -> k8s.V1CronJob:
        mode = "dry-run " if dry_run else ""
        return self._call(f"{mode}patching cronjob {namespace}/{name}",
                          self._batch.patch_namespaced_cron_job, name, namespace, body,
                          dry_run=DRY_RUN_ALL if dry_run else None, _content_type=MERGE_PATCH)

    def delete_pod(self, namespace: str, name: str, resource_version: str,
                   *, dry_run: bool) -> k8s.V1Pod:
        """Graceful (the pod's own terminationGracePeriodSeconds), and only the pod as
        read: a precondition on its resourceVersion makes a replaced pod a 409."""
        mode = "dry-run " if dry_run else ""
        options = k8s.V1DeleteOptions(
            preconditions=k8s.V1Preconditions(resource_version=resource_version))
        return self._call(f"{mode}deleting pod {namespace}/{name}",
                          self._core.delete_namespaced_pod, name, namespace, body=options,
                          dry_run=DRY_RUN_ALL if dry_run else None)

    def delete_job(self, namespace: str, name: str, resource_version: str,
                   *, dry_run: bool) -> None:
        """With its pods (background propagation; the API's default for Jobs orphans
        them), and only the Job as read: a changed Job is a 409. The answer (the Job or
        a Status, which the client types as a bare object) says nothing more, so it is
        not returned."""
        mode = "dry-run " if dry_run else ""
        options = k8s.V1DeleteOptions(
            propagation_policy="Background",
            preconditions=k8s.V1Preconditions(resource_version=resource_version))
        self._call(f"{mode}deleting job {namespace}/{name}",
                          self._batch.delete_namespaced_job, name, namespace, body=options,
                          dry_run=DRY_RUN_ALL if dry_run else None)

    def patch_scale(self, namespace: str, name: str, replicas: int,
                    *, dry_run: bool) -> k8s.V1Scale:
        mode = "dry-run " if dry_run else ""
        return self._call(f"{mode}scaling deployment {namespace}/{name}",
                          self._apps.patch_namespaced_deployment_scale, name, namespace,
                          {"spec": {"replicas": replicas}},
                          dry_run=DRY_RUN_ALL if dry_run else None,
                          _content_type=MERGE_PATCH)

    # --- StatefulSets, DaemonSets, their revisions, events, autoscalers ------------------

    def stateful_set(self, namespace: str, name: str) -> k8s.V1StatefulSet:
        return self._read("statefulset", namespace, name,
                          self._apps.read_namespaced_stateful_set, self.stateful_sets)

    def stateful_sets(self, namespace: str | None) -> list[k8s.V1StatefulSet]:
        return self._list("statefulsets", namespace,
                          self._apps.list_stateful_set_for_all_namespaces,
                          self._apps.list_namespaced_stateful_set)

    def daemon_set(self, namespace: str, name: str) -> k8s.V1DaemonSet:
        return self._read("daemonset", namespace, name,
                          self._apps.read_namespaced_daemon_set, self.daemon_sets)

    def daemon_sets(self, namespace: str | None) -> list[k8s.V1DaemonSet]:
        return self._list("daemonsets", namespace,
                          self._apps.list_daemon_set_for_all_namespaces,
                          self._apps.list_namespaced_daemon_set)

    def controller_revisions(self, namespace: str | None,
                             selector: str | None = None) -> list[k8s.V1ControllerRevision]:
        return self._list("controller revisions", namespace,
                          self._apps.list_controller_revision_for_all_namespaces,
                          self._apps.list_namespaced_controller_revision,
                          label_selector=selector)

    def patch_stateful_set(self, namespace: str, name: str, body: Any, content_type: str,
                           *, dry_run: bool) -> k8s.V1StatefulSet:
        return self._patch("statefulset", self._apps.patch_namespaced_stateful_set,
                           namespace, name, body, content_type, dry_run)

    def patch_daemon_set(self, namespace: str, name: str, body: Any, content_type: str,
                         *, dry_run: bool) -> k8s.V1DaemonSet:
        return self._patch("daemonset", self._apps.patch_namespaced_daemon_set, namespace,
                           name, body, content_type, dry_run)

    def stateful_set_scale(self, namespace: str, name: str) -> k8s.V1Scale:
        self.stateful_set(namespace, name)  # a friendly not-found naming what exists
        return self._call(f"reading the scale of statefulset {namespace}/{name}",
                          self._apps.read_namespaced_stateful_set_scale, name, namespace)

    def patch_stateful_set_scale(self, namespace: str, name: str, replicas: int,
                                 *, dry_run: bool) -> k8s.V1Scale:
        return self._patch("the scale of statefulset",
                           self._apps.patch_namespaced_stateful_set_scale, namespace, name,
                           {"spec": {"replicas": replicas}}, MERGE_PATCH, dry_run)

    def namespace_events(self, namespace: str, field_selector: str) -> list[k8s.CoreV1Event]:
        found = self._call(f"listing events in {namespace}", self._core.list_namespaced_event,
                           namespace, field_selector=field_selector or None)
        return list(found.items)

    def autoscalers(self, namespace: str) -> list[k8s.V2HorizontalPodAutoscaler]:
        found = self._call(f"listing horizontalpodautoscalers in {namespace}",
                           self._autoscaling.list_namespaced_horizontal_pod_autoscaler,
                           namespace)
        return list(found.items)

    def autoscaler(self, namespace: str, name: str) -> k8s.V2HorizontalPodAutoscaler:
        return self._read("horizontalpodautoscaler", namespace, name,
                          self._autoscaling.read_namespaced_horizontal_pod_autoscaler,
                          self.autoscalers)
