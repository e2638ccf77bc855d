"""Tool schemas for the model: strict mode's rules hold for every catalog tool, and the
arguments the model sends in that shape come back in the args model's shape."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.models import ToolCall
from assistant.planning.llm.calls import InvalidCall, ToolRequest, ValidCall, interpret
from assistant.planning.llm.schemas import (
    RATIONALE_FIELD,
    decode_arguments,
    strict_schema,
    tool_definitions,
)
from tools.catalog import CATALOG

# Keywords OpenAI's strict mode rejects; they must only survive as description text.
REJECTED_KEYWORDS = {"minLength", "maxLength", "default", "title", "$ref", "$defs",
                     "patternProperties", "propertyNames", "minProperties"}


def walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(node, dict):
        return []
    found = [(path, node)]
    for key, value in node.items():
        if key == "properties":
            for name, sub in value.items():
                found += walk(sub, f"{path}.{name}")
        elif key == "items":
            found += walk(value, f"{path}[]")
        elif key == "anyOf":
            for i, sub in enumerate(value):
                found += walk(sub, f"{path}|{i}")
    return found


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_every_catalog_tool_has_a_strict_mode_schema(name):
    (definition,) = tool_definitions([name])
    function = definition["function"]
    assert function["strict"] is True and function["name"] == name
    for path, node in walk(function["parameters"]):
        assert not REJECTED_KEYWORDS & node.keys(), f"{name}{path} keeps {node.keys()}"
        if node.get("type") == "object":
            assert node["additionalProperties"] is False, f"{name}{path} is open"
            assert sorted(node["required"]) == sorted(node["properties"]), f"{name}{path}"


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_optional_fields_are_nullable_and_required_ones_are_not(name):
    spec = CATALOG[name]
    params = tool_definitions([name])[0]["function"]["parameters"]["properties"]
    for field, info in spec.args_model.model_fields.items():
        nullable = {"type": "null"} in params[field].get("anyOf", [])
        assert nullable == (not info.is_required()), f"{name}.{field}"


def test_mutating_tools_ask_for_a_rationale_and_read_only_tools_do_not():
    for definition in tool_definitions(CATALOG):
        function = definition["function"]
        has_why = RATIONALE_FIELD in function["parameters"]["properties"]
        assert has_why == (not CATALOG[function["name"]].read_only), function["name"]
        assert ("only PROPOSES" in function["description"]) == has_why


def test_only_catalog_tools_among_the_allowed_names_are_described():
    names = [d["function"]["name"]
             for d in tool_definitions(["list_pods", "approve_proposal", "rollback_deployment"])]
    assert names == ["list_pods", "rollback_deployment"]
    assert tool_definitions([]) == []


def test_constraints_strict_mode_rejects_move_into_the_description():
    params = tool_definitions(["get_pod_logs"])[0]["function"]["parameters"]["properties"]
    assert params["pod"]["pattern"] == CATALOG["get_pod_logs"].json_schema()[
        "properties"]["pod"]["pattern"]
    assert "maxLength 253" in params["pod"]["description"]
    assert params["tail"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 5000}
    assert "null means the default, 50" in params["tail"]["description"]


def test_a_map_becomes_key_value_pairs_and_decodes_back():
    params = tool_definitions(["silence_alert"])[0]["function"]["parameters"]["properties"]
    pairs = params["matchers"]["anyOf"][0]
    assert pairs["type"] == "array"
    assert pairs["items"]["required"] == ["key", "value"]
    raw = {"alertname": "DiskFull", "matchers": [{"key": "namespace", "value": "shop"}],
           "duration_minutes": None, "comment": None, "why": "noisy [runbook:noise#Silence]"}
    args, why = decode_arguments("silence_alert", raw)
    assert args == {"alertname": "DiskFull", "matchers": {"namespace": "shop"}}
    assert why == "noisy [runbook:noise#Silence]"


def test_refs_are_inlined():
    schema = {"$defs": {"Inner": {"type": "object", "properties": {"a": {"type": "integer"}},
                                  "required": ["a"]}},
              "type": "object", "properties": {"inner": {"$ref": "#/$defs/Inner"}},
              "required": ["inner"]}
    assert strict_schema(schema) == {
        "type": "object",
        "properties": {"inner": {"type": "object", "properties": {"a": {"type": "integer"}},
                                 "required": ["a"], "additionalProperties": False}},
        "required": ["inner"], "additionalProperties": False,
    }


ALL = frozenset(CATALOG)


@pytest.mark.parametrize(("request_", "error"), [
    (ToolRequest("1", "approve", "{}"), "unknown tool 'approve'"),
    (ToolRequest("1", "list_pods", "{namespace: shop}"), "not valid JSON"),
    (ToolRequest("1", "list_pods", "[1, 2]"), "must be a JSON object, got list"),
    (ToolRequest("1", "list_pods", '{"namespace": "Shop!"}'),
     "invalid arguments for list_pods: namespace: String should match pattern"),
    (ToolRequest("1", "list_pods", '{"namespace": "shop", "force": true}'),
     "force: Extra inputs are not permitted"),
    (ToolRequest("1", "get_pod_logs", '{"namespace": "shop"}'), "pod: Field required"),
])
def test_invalid_calls_say_what_is_wrong(request_, error):
    verdict = interpret(request_, ALL)
    assert isinstance(verdict, InvalidCall)
    assert error in verdict.error


def test_a_valid_call_keeps_only_what_the_model_set_with_coerced_types():
    verdict = interpret(ToolRequest("1", "rollback_deployment",
                                    '{"namespace": "shop", "deployment": "checkout", '
                                    '"revision": "41", "why": "healthy before"}'), ALL)
    assert verdict == ValidCall(ToolCall(tool="rollback_deployment",
                                         args={"namespace": "shop", "deployment": "checkout",
                                               "revision": 41}), "healthy before")


def test_a_tool_the_user_may_not_request_is_unknown_to_the_model():
    verdict = interpret(ToolRequest("1", "scale_deployment",
                                    '{"namespace": "shop", "deployment": "x", "replicas": 2}'),
                        frozenset({"list_pods"}))
    assert verdict == InvalidCall("unknown tool 'scale_deployment'; the tools you can call "
                                  "are: list_pods")
