"""Which runbook commands each built-in tool implements, as the tool's ``implements`` hook.

Each function reads one split command (assistant.models.RunbookCommand) and returns the
tool's args, placeholders left as ``{name}`` for the planner to bind, or None when the
command is not a form of that tool. A command the tool cannot express faithfully (pods
of all namespaces) is not its form: it stays text for a person rather than becoming a
different read.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.models import RunbookCommand
from tools.workload_logs import TAIL_MAX

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_MATCHER = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=~?\"?([^\"]*)\"?$")
# The random suffix a controller gives the pods it creates (``kube-proxy-b9g23``,
# ``checkout-6f7c9-x2k4q``): five letters and digits, at least one a digit.
_GENERATED_SUFFIX = re.compile(r".+-(?=[a-z0-9]{0,4}[0-9])[a-z0-9]{5}")


def _namespace(command: RunbookCommand) -> str:
    """The namespace flag, or the alert's: a runbook without ``-n`` means "where it fires"."""
    return command.options.get("namespace") or "{namespace}"


def _kubectl(command: RunbookCommand, *verb: str) -> tuple[str, ...] | None:
    """The words after ``kubectl VERB...``, or None when the command is another verb."""
    if command.program != "kubectl" or command.words[: len(verb)] != verb:
        return None
    return command.words[len(verb):]


def described(command: RunbookCommand, kind: str) -> tuple[str, ...] | None:
    """The words after ``describe KIND``, or after ``get KIND`` printed whole (``-o yaml``
    or ``json``), which shows the same object; None for any other command."""
    rest = _kubectl(command, "describe", kind)
    if rest is None:
        rest = _kubectl(command, "get", kind)
        if rest is not None and command.options.get("output") not in ("yaml", "json"):
            return None
    return rest


# kubectl's singular kind word -> the catalog's WorkloadKind.
_WORKLOAD_KINDS = {"deployment": "Deployment", "statefulset": "StatefulSet",
                   "daemonset": "DaemonSet"}
# The kinds besides pods whose logs kubectl reads (``logs job/x``), one of their pods each.
_LOG_KINDS = frozenset({*_WORKLOAD_KINDS, "job", "replicaset", "service"})
# `kubectl get events --field-selector` fields -> list_events args.
_EVENT_FIELDS = {"involvedObject.kind": "kind", "involvedObject.name": "name",
                 "reason": "reason"}


def _named_workload(rest: tuple[str, ...] | None) -> tuple[str, str] | None:
    """(kind, name) of ``<kind> <name>``; a Deployment's kind is left implicit."""
    if rest is None or len(rest) != 2 or rest[0] not in _WORKLOAD_KINDS:
        return None
    return _WORKLOAD_KINDS[rest[0]], rest[1]


def pod_name(word: str) -> str:
    """A pod as the runbook names it. A runbook cannot know the random suffix of a pod a
    controller created, so such a name is an example of "the pod": the thread's pod
    binds there. Names that stay (``prometheus-k8s-0``, a bare pod) are kept literal."""
    return "{pod}" if _GENERATED_SUFFIX.fullmatch(word) else word


def _number(value: str) -> int | str:
    """An int when the runbook wrote one; a placeholder stays for the planner to bind."""
    return int(value) if value.isdigit() else value


def pods_form(command: RunbookCommand) -> dict[str, Any] | None:
    rest = _kubectl(command, "get", "pod")
    if rest is None or len(rest) > 1 or "all-namespaces" in command.options:
        return None
    return {"namespace": _namespace(command)}


def _logs_words(command: RunbookCommand) -> tuple[str, ...] | None:
    """The words after ``logs``, or None when it is no logs command, or asks for containers
    no log tool reads by that name: every one (``--all-containers``), or a ``-c`` left
    without its name. Read as one container's log, it would be the wrong log, silently."""
    options = command.options
    if options.get("all-containers", "false") != "false" or options.get("container") == "":
        return None
    rest = _kubectl(command, "logs")
    return _kubectl(command, "log") if rest is None else rest


def _log_options(command: RunbookCommand) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if command.options.get("tail", "").isdigit():
        options["tail"] = int(command.options["tail"])
    if "previous" in command.options:
        options["previous"] = True
    return options


def pod_logs_form(command: RunbookCommand) -> dict[str, Any] | None:
    """``logs POD``, with its container as ``-c X``/``--container=X`` or as the word after
    the pod (``logs POD X``), as kubectl takes it."""
    rest = _logs_words(command)
    if rest and rest[0] == "pod":
        rest = rest[1:]
    container = command.options.get("container")
    # One named pod: a label selector or another kind's pods (sts/x) may mean several.
    if rest is None or not 1 <= len(rest) <= (1 if container else 2) \
            or rest[0] in _LOG_KINDS or "selector" in command.options:
        return None
    args: dict[str, Any] = {"namespace": _namespace(command), "pod": pod_name(rest[0])}
    container = container or (rest[1] if len(rest) == 2 else None)
    if container:
        args["container"] = container
    return {**args, **_log_options(command)}


def workload_logs_form(command: RunbookCommand) -> dict[str, Any] | None:
    """Logs of several pods: ``-l SELECTOR`` or a workload (``sts/NAME``). kubectl refuses
    a pod name next to a selector, so the one word a runbook writes there can only be the
    container (the second word of ``logs POD CONTAINER``). More lines per pod than the
    tool reads is not its form."""
    rest = _logs_words(command)
    selector = command.options.get("selector")
    if rest is None or "all-namespaces" in command.options:
        return None
    args: dict[str, Any] = {"namespace": _namespace(command)}
    container = command.options.get("container")
    if selector:
        if len(rest) > 1 or (rest and container):
            return None
        args["selector"] = selector
        container = container or (rest[0] if rest else None)
    else:
        named = _named_workload(rest)
        if named is None:
            return None
        kind, name = named
        args["deployment"] = name
        if kind != "Deployment":
            args["kind"] = kind
    if container:
        args["container"] = container
    options = _log_options(command)
    if options.get("tail", 0) > TAIL_MAX:
        return None
    return {**args, **options}


def _deployment_form(command: RunbookCommand, *verb: str) -> dict[str, Any] | None:
    named = _named_workload(_kubectl(command, *verb))
    if named is None:
        return None
    kind, name = named
    args = {"namespace": _namespace(command), "deployment": name}
    return args if kind == "Deployment" else {**args, "kind": kind}


def describe_deployment_form(command: RunbookCommand) -> dict[str, Any] | None:
    return _deployment_form(command, "describe") or _deployment_form(command, "get")


def rollout_history_form(command: RunbookCommand) -> dict[str, Any] | None:
    return _deployment_form(command, "rollout", "history")


def rollback_form(command: RunbookCommand) -> dict[str, Any] | None:
    args = _deployment_form(command, "rollout", "undo")
    revision = command.options.get("to-revision")
    if args is not None and revision:
        args["revision"] = _number(revision)
    return args


# A placeholder the thread binds to a workload's name, and that workload's kind.
_WORKLOAD_PLACEHOLDERS = {f"{{{word}}}": kind for word, kind in _WORKLOAD_KINDS.items()}


def _selected_workload(command: RunbookCommand) -> dict[str, Any] | None:
    """``delete pod -l app=$DEPLOYMENT``: every pod of the workload the thread is about,
    which the runbook names by its label. A literal selector (``-l k8s-app=kube-proxy``)
    names pods only the live cluster can map to owners, and a page may not choose a
    change's target, so it is no workload's form."""
    rest = _kubectl(command, "delete", "pod")
    selector = command.options.get("selector", "")
    _key, eq, value = selector.partition("=")
    if rest != () or not eq or "," in selector or value not in _WORKLOAD_PLACEHOLDERS \
            or {"force", "grace-period", "all-namespaces"} & set(command.options):
        return None
    kind = _WORKLOAD_PLACEHOLDERS[value]
    args = {"namespace": _namespace(command), "deployment": value}
    return args if kind == "Deployment" else {**args, "kind": kind}


def restart_form(command: RunbookCommand) -> dict[str, Any] | None:
    """``rollout restart``, and deleting every pod of one workload by its label: what an
    SRE means by it is fresh pods, which a rolling restart gives without taking every
    replica down at once."""
    return _deployment_form(command, "rollout", "restart") or _selected_workload(command)


def scale_form(command: RunbookCommand) -> dict[str, Any] | None:
    args = _deployment_form(command, "scale")
    replicas = command.options.get("replicas")
    if args is None or not replicas or args.get("kind") == "DaemonSet":
        return None
    return {**args, "replicas": _number(replicas)}


def events_form(command: RunbookCommand) -> dict[str, Any] | None:
    rest = _kubectl(command, "get", "event")
    if rest is None or rest or "all-namespaces" in command.options:
        return None
    args: dict[str, Any] = {"namespace": _namespace(command)}
    fields = command.options.get("field-selector", "")
    for term in filter(None, fields.split(",")):
        field, _, value = term.partition("=")
        if field == "type" and value == "Warning":
            args["warnings_only"] = True
        elif field in _EVENT_FIELDS and value and not value.startswith("="):
            args[_EVENT_FIELDS[field]] = value
        else:
            return None
    return args


def hpas_form(command: RunbookCommand) -> dict[str, Any] | None:
    rest = _kubectl(command, "get", "horizontalpodautoscaler")
    if rest is None:
        rest = _kubectl(command, "describe", "horizontalpodautoscaler")
    if rest is None or len(rest) > 1 or "all-namespaces" in command.options:
        return None
    args: dict[str, Any] = {"namespace": _namespace(command)}
    return {**args, "name": rest[0]} if rest else args


def promql_form(command: RunbookCommand) -> dict[str, Any] | None:
    if command.program != "promql" or len(command.words) != 1:
        return None
    return {"query": command.words[0]}


def _matchers(words: tuple[str, ...]) -> dict[str, str] | None:
    found: dict[str, str] = {}
    for word in words:
        match = _MATCHER.match(word)
        if match is None:
            return None
        found[match[1]] = match[2]
    return found


def alerts_form(command: RunbookCommand) -> dict[str, Any] | None:
    if command.program != "amtool" or command.words[:1] != ("alert",):
        return None
    rest = command.words[1:]
    matchers = _matchers(rest[1:] if rest[:1] == ("query",) else rest)
    if matchers is None or set(matchers) - {"namespace"}:
        return None
    args: dict[str, Any] = {"include_silenced": "silenced" in command.options}
    if "namespace" in matchers:
        args["namespace"] = matchers["namespace"]
    return args


def _minutes(duration: str) -> int | None:
    match = _DURATION.match(duration)
    if not duration or match is None:
        return None
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return days * 1440 + hours * 60 + minutes or None


def silence_form(command: RunbookCommand) -> dict[str, Any] | None:
    if command.program != "amtool" or command.words[:2] != ("silence", "add"):
        return None
    rest = command.words[2:]
    # amtool reads a first word without an operator as the alert name.
    if rest and "=" not in rest[0]:
        rest = (f"alertname={rest[0]}", *rest[1:])
    matchers = _matchers(rest)
    if not matchers or "alertname" not in matchers:
        return None
    args: dict[str, Any] = {"alertname": matchers.pop("alertname"), "matchers": matchers}
    if "duration" in command.options:
        minutes = _minutes(command.options["duration"])
        if minutes is None:
            return None
        args["duration_minutes"] = minutes
    if command.options.get("comment"):
        args["comment"] = command.options["comment"]
    return args
