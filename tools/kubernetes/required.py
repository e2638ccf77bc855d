"""Parts of Kubernetes API objects that the API server always sends but the client's types
leave optional. One that is missing is a malformed response, reported as a tool failure
naming what was missing, not an AttributeError deep inside a tool. Pure."""

from __future__ import annotations

from typing import Protocol, TypeVar

from kubernetes import client as k8s

from tools.backend import ToolFailure


class _WithMetadata(Protocol):
    @property
    def metadata(self) -> k8s.V1ObjectMeta | None: ...


_Spec = TypeVar("_Spec", covariant=True)


class _WithSpec(Protocol[_Spec]):
    @property
    def spec(self) -> _Spec | None: ...


class _WithPodSpec(Protocol):
    @property
    def spec(self) -> k8s.V1PodSpec | None: ...


def _missing(obj: object, what: str) -> ToolFailure:
    return ToolFailure(f"malformed response from the Kubernetes API: a {type(obj).__name__} "
                       f"without {what}")


def meta(obj: _WithMetadata) -> k8s.V1ObjectMeta:
    if obj.metadata is None:
        raise _missing(obj, "metadata")
    return obj.metadata


def name_of(obj: _WithMetadata) -> str:
    name = meta(obj).name
    if name is None:
        raise _missing(obj, "a name")
    return name


def namespace_of(obj: _WithMetadata) -> str:
    namespace = meta(obj).namespace
    if namespace is None:
        raise _missing(obj, "a namespace")
    return namespace


def referenced_name(ref: k8s.V1ObjectReference) -> str:
    if ref.name is None:
        raise _missing(ref, "a name")
    return ref.name


def resource_version_of(obj: _WithMetadata) -> str:
    version = meta(obj).resource_version
    if version is None:
        raise _missing(obj, "a resourceVersion")
    return version


def pod_spec(obj: _WithPodSpec) -> k8s.V1PodSpec:
    """The pod spec of a pod or of a pod template."""
    if obj.spec is None:
        raise _missing(obj, "a pod spec")
    return obj.spec


def spec_of(obj: _WithSpec[_Spec]) -> _Spec:
    """The spec of an object whose kind always has one (a claim, a scale)."""
    if obj.spec is None:
        raise _missing(obj, "a spec")
    return obj.spec


def revision_number(revision: k8s.V1ControllerRevision) -> int:
    if revision.revision is None:
        raise _missing(revision, "a revision number")
    return revision.revision


def template_of(spec: k8s.V1ReplicaSetSpec) -> k8s.V1PodTemplateSpec:
    if spec.template is None:
        raise _missing(spec, "a pod template")
    return spec.template
