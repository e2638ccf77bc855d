"""Find the commands a Markdown runbook gives and split them into RunbookCommands.

Pure: text in, commands out. Commands come from code blocks (shell lines, ``$`` prompts,
``\\`` continuations, pipes and ``&&``; PromQL blocks) and from inline code that reads as
a whole command. Placeholders in every spelling a runbook uses (``$NAMESPACE``,
``${POD}``, ``<my-namespace>``, ``<value of instance label from alert>``,
``{{ $labels.namespace }}``) become ``{namespace}``-style names the planner binds;
literal names (``kube-system``) stay literal. A line that cannot be split safely (command
substitution, unbalanced quotes) is kept as text only.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from assistant.models import RunbookCommand, RunbookStep, ToolSpec

PROMQL_FENCES = frozenset({"promql", "prometheus", "metricsql"})
SHELL_FENCES = frozenset({"", "shell", "sh", "bash", "console", "shell-session", "zsh", "text",
                          "txt"})
# Programs whose lines count as commands in a block without prompts (elsewhere a line
# may be output or configuration), and the only ones inline code is read as.
KNOWN_PROGRAMS = frozenset({
    "kubectl", "oc", "amtool", "promtool", "etcdctl", "helm", "curl", "crictl", "journalctl",
    "systemctl",
})
_PROGRAM_ALIASES = {"oc": "kubectl"}  # OpenShift's client takes kubectl's verbs and flags
_SHELL_BUILTINS = frozenset({"exit", "cd", "export", "echo", "set", "source", "."})
_PROMPT = re.compile(r"^\s*\$\s+")
_ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_LABEL_TEMPLATE = re.compile(r"\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ANGLE = re.compile(r"<([A-Za-z][A-Za-z0-9 _-]*)>")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_SUBSTITUTION = re.compile(r"\$\(|`")
_SEPARATORS = frozenset({"&&", "||", ";"})
_PARSER = MarkdownIt("commonmark")
# How far from an inline span the prose may call it a query ("`up == 0` query can be
# used", "the PromQL `...`"); elsewhere a bare name in code is just a metric's name.
_BESIDE = 24
_QUERY_WORD = re.compile(r"\bquer(?:y|ies)\b|\bpromql\b|\bexpression\b", re.IGNORECASE)
# A metric or function name followed by a selector, range, call or comparison, or a name
# alone that is shaped like a metric's (``node_load1``): not a program, not a shell line.
_EXPRESSION = re.compile(r"[A-Za-z_:][\w:]*\s*(?:[{(\[]|==|!=|>=|<=|>|<).*"
                         r"|[A-Za-z_:]\w*[_:][\w:]*")

# Placeholder spellings for the names the planner binds.
_PLACEHOLDER_ALIASES = {
    "ns": "namespace", "namespace_name": "namespace", "pod_name": "pod", "pod_from_job": "pod",
    "deployment_name": "deployment", "alert_name": "alertname", "alert": "alertname",
    "node_name": "node", "pvc": "persistentvolumeclaim", "pvc_name": "persistentvolumeclaim",
    "pv": "persistentvolume", "pv_name": "persistentvolume", "quota": "resourcequota",
    "quota_name": "resourcequota", "resourcequota_name": "resourcequota",
}
# kubectl resource kinds by every short or plural spelling, to the singular.
_KINDS = {
    alias: kind
    for kind, aliases in {
        "pod": ("pods", "po"), "deployment": ("deployments", "deploy"),
        "statefulset": ("statefulsets", "sts"), "daemonset": ("daemonsets", "ds"),
        "replicaset": ("replicasets", "rs"), "service": ("services", "svc"),
        "node": ("nodes", "no"), "namespace": ("namespaces", "ns"),
        "configmap": ("configmaps", "cm"), "secret": ("secrets",),
        "persistentvolumeclaim": ("persistentvolumeclaims", "pvc"),
        "persistentvolume": ("persistentvolumes", "pv"), "job": ("jobs",),
        "cronjob": ("cronjobs", "cj"), "event": ("events", "ev"),
        "ingress": ("ingresses", "ing"), "horizontalpodautoscaler": (
            "horizontalpodautoscalers", "hpa"), "endpoints": ("ep",),
        "storageclass": ("storageclasses", "sc"),
        "resourcequota": ("resourcequotas", "quota", "quotas"),
    }.items()
    for alias in (kind, *aliases)
}
# Short flags by program: the long name, and whether the flag takes a value.
_SHORT_FLAGS: dict[str, dict[str, tuple[str, bool]]] = {
    "kubectl": {"n": ("namespace", True), "c": ("container", True), "l": ("selector", True),
                "o": ("output", True), "p": ("previous", False), "A": ("all-namespaces", False),
                "w": ("watch", False), "f": ("follow", False), "i": ("stdin", False),
                "t": ("tty", False)},
    "amtool": {"c": ("comment", True), "d": ("duration", True), "a": ("author", True),
               "o": ("output", True), "s": ("silenced", False), "i": ("inhibited", False),
               "q": ("quiet", False)},
}
_SWITCHES = frozenset({
    "previous", "all-namespaces", "watch", "follow", "show-labels", "no-headers", "silenced",
    "inhibited", "active", "unprocessed", "expired", "quiet", "all", "recursive", "stdin",
    "tty", "wide",
})
# Leading words of commands that only read, by program; () = every use of the program.
_READ_FORMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "kubectl": (("get",), ("describe",), ("logs",), ("log",), ("top",), ("explain",),
                ("version",), ("cluster-info",), ("api-resources",), ("auth", "can-i"),
                ("events",), ("rollout", "history"), ("rollout", "status"),
                ("config", "view")),
    "amtool": (("alert",), ("silence", "query"), ("check-config",), ("config",)),
    "etcdctl": (("endpoint",), ("member", "list"), ("version",), ("alarm", "list"),
                ("get",)),
    "promtool": (("check",), ("query",)),
    "promql": ((),),
    "journalctl": ((),), "cat": ((),), "df": ((),), "du": ((),), "ls": ((),),
    "lsof": ((),), "dmesg": ((),), "free": ((),), "ps": ((),), "uptime": ((),),
}
# Verbs that only read in every command-line tool that has them: what a program known to
# none of the forms above (a typo such as ``kubelet describe``, a team's own CLI) does
# when its first word is one of these.
_READ_VERBS = frozenset({"describe", "get", "list", "show", "status", "logs", "log", "top",
                         "version", "inspect", "explain"})


@dataclass(frozen=True)
class FoundCommand:
    """A command as the runbook wrote it. ``complete`` is False when only its leading words
    could be split (the rest substitutes another command's output): then it is never run,
    and the leading words only say what kind of command it is."""

    text: str
    command: RunbookCommand
    complete: bool = True

    @property
    def key(self) -> str:
        """The same command however it was spelled: what "distinct" counts."""
        if not self.complete:
            return self.text
        c = self.command
        options = " ".join(_flag(k) + (f"={v}" if v else "") for k, v in sorted(c.options.items()))
        return " ".join(w for w in (c.program, *c.words, options) if w)

    @property
    def form(self) -> str:
        """Program and verb words (``kubectl describe statefulset``): what frequency counts."""
        kept: list[str] = []
        for word in self.command.words:
            if len(kept) == 3 or not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            kept.append(word)
            if word in _KINDS.values():
                break
        return " ".join((self.command.program, *kept))

    @property
    def reads(self) -> bool:
        """Whether the command only reads. A program without read forms here reads when
        its verb is a read verb; any other use of it counts as changing things."""
        c = self.command
        if c.program not in _READ_FORMS:
            return c.words[:1] != () and c.words[0] in _READ_VERBS
        return any(c.words[: len(f)] == f for f in _READ_FORMS[c.program])


def _flag(name: str) -> str:
    return f"-{name}" if len(name) == 1 else f"--{name}"


def find_commands(body: str) -> list[FoundCommand]:
    """Every command in the Markdown ``body`` in reading order, repeats included."""
    return commands_in(_PARSER.parse(body))


def commands_in(tokens: Iterable[Token]) -> list[FoundCommand]:
    """Every command in already parsed Markdown (a caller that renders it parses once)."""
    found: list[FoundCommand] = []
    for token in tokens:
        if token.type in ("fence", "code_block"):
            info = token.info.strip().split(" ")[0].lower() if token.type == "fence" else ""
            if info in PROMQL_FENCES:
                found.extend(_promql(token.content))
            elif info in SHELL_FENCES:
                found.extend(_shell_block(token.content))
        elif token.type == "inline":
            children = token.children or []
            for i, child in enumerate(children):
                if child.type != "code_inline":
                    continue
                commands = list(_inline(child.content))
                before = children[i - 1].content[-_BESIDE:] if i > 0 else ""
                after = children[i + 1].content[:_BESIDE] if i + 1 < len(children) else ""
                if not commands and _QUERY_WORD.search(f"{before} {after}"):
                    commands = list(_inline_query(child.content))
                found.extend(commands)
    return found


def derive_steps(commands: Iterable[FoundCommand],
                 tools: Iterable[ToolSpec]) -> tuple[tuple[RunbookStep, ...], tuple[str, ...]]:
    """The runbook's commands as typed steps, each once in reading order, and the texts
    of those no tool implements (shown to people, never run).

    A change takes only what the thread binds: text never chooses an action's target or
    argument. Literal optional arguments are dropped (the tool's default, or what the
    evidence knows, applies: the healthy revision, the alert's labels); a change that needs
    a literal (``--replicas=0``, ``deployment/checkout``) stays text."""
    specs = {spec.name: spec for spec in tools}
    steps: dict[str, RunbookStep] = {}
    manual: dict[str, None] = {}
    for found in commands:
        step = implementing_step(found, specs.values())
        if step is not None and not specs[step.tool].read_only:
            step = _bound_only(step, specs[step.tool])
        if step is None:
            manual.setdefault(found.text)
        else:
            steps.setdefault(found.key, step)
    return tuple(steps.values()), tuple(manual)


def implementing_step(found: FoundCommand, tools: Iterable[ToolSpec]) -> RunbookStep | None:
    """The step of the first tool whose command forms include this command.

    Of a command that substitutes another's output, only a read whose leading words are a
    whole list (``kubectl get storageclass $(...)``: every class, in a namespace at most)
    has a step: the substituted word only picked which row to look at, and the list shows
    it among the others. Anything naming an object there would be another object."""
    if not found.complete and not found.reads:
        return None
    for spec in tools:
        args = spec.implements(found.command) if spec.implements is not None else None
        if args is not None and not found.complete and set(args) - {"namespace"}:
            return None
        if args is not None:
            return RunbookStep(tool=spec.name, args=args, why=f"the runbook's `{found.text}`")
    return None


def _bound_only(step: RunbookStep, spec: ToolSpec) -> RunbookStep | None:
    kept: dict[str, object] = {}
    for key, value in step.args.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if _is_placeholder(v)} or None
        elif not _is_placeholder(value):
            value = None
        if value is not None:
            kept[key] = value
        elif spec.args_model.model_fields[key].is_required():
            return None
    return step.model_copy(update={"args": kept})


def _is_placeholder(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\{[a-z_]+\}", value) is not None


def _promql(content: str) -> Iterator[FoundCommand]:
    """A PromQL block holds one expression per paragraph."""
    for paragraph in re.split(r"\n\s*\n", content):
        expression = " ".join(_placeholders(paragraph, {}).split())
        if expression:
            text = " ".join(paragraph.split())
            yield FoundCommand(text, RunbookCommand(program="promql", words=(expression,),
                                                    text=text))


def _shell_block(content: str) -> Iterator[FoundCommand]:
    lines = _joined_lines(content)
    prompted = any(_PROMPT.match(line) for line in lines)
    variables: dict[str, str] = {}
    for line in lines:
        if prompted:
            if not _PROMPT.match(line):
                continue  # output of the command above
            line = _PROMPT.sub("", line)
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assignment = _ASSIGNMENT.match(line)
        if assignment:
            variables[assignment[1]] = _unquote(_placeholders(assignment[2], variables))
            continue
        if not prompted and line.split()[0] not in KNOWN_PROGRAMS:
            continue
        yield from _split_line(line, variables)


def _inline_query(content: str) -> Iterator[FoundCommand]:
    """A span the prose beside it calls a query, when it reads as a PromQL expression."""
    expression = " ".join(_placeholders(content, {}).split())
    if _EXPRESSION.fullmatch(expression):
        yield FoundCommand(expression, RunbookCommand(program="promql", words=(expression,),
                                                      text=expression))


def _inline(content: str) -> Iterator[FoundCommand]:
    line = _PROMPT.sub("", content).strip()
    words = line.split()
    if len(words) >= 3 and words[0] in KNOWN_PROGRAMS:
        yield from _split_line(line, {})


def _joined_lines(content: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for raw in content.splitlines():
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        lines.append(pending + raw)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _placeholder(name: str) -> str:
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    key = re.sub(r"^(?:value_of_(?:the_)?)", "", key)
    key = re.sub(r"_label(?:_from_(?:the_)?alert)?$", "", key)
    key = re.sub(r"^(?:my|your)_", "", key)
    return "{" + _PLACEHOLDER_ALIASES.get(key, key) + "}"


def _placeholders(text: str, variables: Mapping[str, str]) -> str:
    text = _LABEL_TEMPLATE.sub(lambda m: _placeholder(m[1]), text)
    text = _ANGLE.sub(lambda m: _placeholder(m[1]), text)

    def variable(match: re.Match[str]) -> str:
        name = match[1] or match[2]
        return variables.get(name, _placeholder(name))

    return _VARIABLE.sub(variable, text)


def _split_line(line: str, variables: Mapping[str, str]) -> Iterator[FoundCommand]:
    """One shell line: each command of a ``&&`` / ``;`` list, the first of each pipe (the
    rest only filter what it printed)."""
    substituted = _SUBSTITUTION.search(line)
    complete = substituted is None
    text = _placeholders(line[: substituted.start()] if substituted else line, variables)
    try:
        tokens = _tokens(text)
    except ValueError:  # an unbalanced quote: only the leading words say what it is
        words = text.split()
        quoted = next(i for i, w in enumerate(words) if "'" in w or '"' in w)
        tokens, complete = words[:quoted], False
    segment: list[str] = []
    piped = False
    for token in [*tokens, ";"]:
        if token in _SEPARATORS:
            found = _command(segment, line.strip(), complete)
            if found is not None:
                yield found
            segment, piped = [], False
        elif token == "|":
            piped = True
        elif not piped:
            segment.append(token)


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;")
    lexer.whitespace_split = True
    return list(lexer)


def _command(words: list[str], text: str, complete: bool) -> FoundCommand | None:
    while words and words[0] == "sudo":
        words = words[1:]
    if not words or words[0] in _SHELL_BUILTINS:
        return None
    program = _PROGRAM_ALIASES.get(words[0], words[0])
    positionals, options = _flags(program, words[1:])
    if program == "kubectl":
        positionals = _resources(positionals)
    command = RunbookCommand(program=program, words=tuple(positionals), options=options,
                             text=text)
    return FoundCommand(text, command, complete)


def _flags(program: str, words: list[str]) -> tuple[list[str], dict[str, str]]:
    short = _SHORT_FLAGS.get(program, {})
    positionals: list[str] = []
    options: dict[str, str] = {}
    queue = list(words)
    while queue:
        word = queue.pop(0)
        if word.startswith("--") and len(word) > 2:
            name, eq, value = word[2:].partition("=")
            if not eq and name not in _SWITCHES and queue and not queue[0].startswith("-"):
                value = queue.pop(0)
            options[name] = value
        elif word.startswith("-") and len(word) > 1 and not word[1].isdigit():
            letter, attached = word[1], word[2:]
            name, takes_value = short.get(letter, (letter, False))
            if takes_value:
                options[name] = attached.lstrip("=") or (queue.pop(0) if queue else "")
            else:
                for each in word[1:]:
                    options[short.get(each, (each, False))[0]] = ""
        else:
            positionals.append(word)
    return positionals, options


def _resources(words: list[str]) -> list[str]:
    """Kinds singular, ``kind/name`` split, and a generic ``{name}`` after a kind named
    for that kind (``describe deployment $NAME`` -> ``{deployment}``)."""
    out: list[str] = []
    for word in words:
        kind, slash, name = word.partition("/")
        base = kind.split(".")[0]
        if slash and base in _KINDS and name:
            out.extend((_KINDS[base], name))
        elif word in _KINDS and out:
            out.append(_KINDS[word])
        elif word == "{name}" and out and out[-1] in _KINDS.values():
            out.append("{" + out[-1] + "}")
        else:
            out.append(word)
    return out
