"""Fields the Kubernetes client types as optional but the API always sends: one that is
missing fails the tool with a message naming the object and the field."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from tools.backend import ToolFailure
from tools.kubernetes.required import referenced_name, revision_number, spec_of


def test_present_fields_come_back_as_sent() -> None:
    scale = k8s.V1Scale(spec=k8s.V1ScaleSpec(replicas=4))
    snapshot = k8s.V1ControllerRevision(data={}, revision=9)
    assert spec_of(scale).replicas == 4
    assert revision_number(snapshot) == 9
    assert referenced_name(k8s.V1ObjectReference(name="nightly-29100")) == "nightly-29100"


def test_a_scale_without_a_spec_names_what_is_missing() -> None:
    with pytest.raises(ToolFailure, match=r"malformed response .* a V1Scale without a spec"):
        spec_of(k8s.V1Scale())


def test_a_controller_revision_without_its_number_names_what_is_missing() -> None:
    with pytest.raises(ToolFailure,
                       match="a V1ControllerRevision without a revision number"):
        revision_number(k8s.V1ControllerRevision(data={}))


def test_an_object_reference_without_a_name_names_what_is_missing() -> None:
    with pytest.raises(ToolFailure, match="a V1ObjectReference without a name"):
        referenced_name(k8s.V1ObjectReference(kind="Job"))
