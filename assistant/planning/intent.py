"""Whose words are these? The asking user's own request versus text they pasted. Pure.

Text is data (DESIGN.md, invariant 7): a ticket, a chat message or a log line pasted into
the question may help find what the thread is about, but it never chooses an action, a
revision or a replica count. Only the asker's own words can ask for an action, and only an
order ("restart cart", "please roll it back") asks for one outright; a question ("should we
roll back?") is a hypothesis to check against the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from assistant.models import Remedy
from assistant.planning.names import OTHER_KINDS, mentions
from tools.catalog import CATALOG

# Quoted spans: straight, typographic, low, fullwidth and prime-mark double quotes, CJK
# corner brackets, guillemets, single quotes that are not apostrophes, backticks, code
# fences (one left open runs to the end of the message) and tagged blocks
# ("<ticket>...</ticket>"); and, within a line, text between any two quote marks, however
# they pair (»...«, “...“); acute accents as quotes, but not as apostrophes ("don´t").
_QUOTE_MARKS = "“”„‟«»‹›「」『』《》〈〉″＂〝〞〟"
_QUOTED = re.compile(r'```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|'
                     r'<([a-z][\w-]*)[^<>\n]*>.*?</\1\s*>|`[^`\n]*`|'
                     r'"[^"]*"|“[^”]*”|„[^“”]*[“”]|«[^»]*»|‘[^’]*’|'
                     r"‚[^‘’]*[‘’]|(?<!\w)'[^'\n]*'(?!\w)|(?<!\w)´[^´\n]*´(?!\w)|″[^″]*″|＂[^＂]*＂|「[^」]*」|"
                     r"『[^』]*』|‹[^›]*›|〝[^〞〟]*[〞〟]|‛[^’‛]*[’‛]|"
                     rf"[{_QUOTE_MARKS}][^{_QUOTE_MARKS}\n]*[{_QUOTE_MARKS}]", re.S | re.I)
# Lines that are pasted material rather than the asker talking: lines indented under the
# asker's own (a ticket's action list, command output), chat quotes ("> ..."), and
# log lines (a timestamp, a level word or level=... key/value pairs, a klog header), and
# kubectl event rows ("Warning BackOff ...").
_PASTED_LINE = re.compile(
    r"^\s*(?:>|\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\S*level=\w+|\[\w+\]\s|\{\s*\"|"
    r"[IWEF]\d{4}\s+\d\d:\d\d|(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\b|"
    # Other stamps: a clock time, a syslog date ("Nov 19 18:31:02"), a slashed date, an
    # epoch; key/value log fields; an Android logcat tag ("E/LicenceFetch: ..."); a stack
    # trace's frames, header and causes; a code comment; a shell prompt; an HTTP status line.
    r"\[?\d\d:\d\d:\d\d|[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d|\[?\d{4}/\d\d/\d\d|"
    r"\d{10}(?:\.\d+)?\s|(?:time|ts|msg)=|[VDIWEF]/[\w.$-]+(?:\(\s*\d+\))?:|"
    r"at\s+[\w$.<>/-]+\(|Traceback\s\(|File\s\"|Caused\s+by:|\.\.\.\s\d+\s+more|"
    r"(?:[a-z_]\w*\.)+[A-Z]\w*(?:Exception|Error)\b|[A-Z]\w*(?:Exception|Error):|"
    r"//|/\*|\$\s|HTTP/\d|"
    # A chat line stamped with its time ("[10:01] carol: ...") or headed by a bot's name
    # ("deploy-bot APP 10:02 ..."); a table row; a comment.
    r"\[\d{1,2}:\d\d(?::\d\d)?(?:\s?[AaPp][Mm])?\]|\S+(?:[ \t]+\S+)?[ \t]+(?:APP|BOT)[ \t]+\d|"
    r"\||#\s|"
    r"(?:Warning|Normal)\s+[A-Z]\w*\s)",
    re.M)
# Words someone else said, as the asker reports them ("the ticket says: ...", "my manager
# said to roll back ...", "Bob wrote: ..."), or a line labelled with who or what they come
# from ("description: ...", "assistant: ..."): from there to the end of the sentence they are
# that someone's words. Reported in the asker's own voice they still order nothing: the asker
# says "restart it" when they mean it.
# Not a name's part ("claims-api") nor a noun after a determiner ("the claims database").
_REPORTING_VERB = (r"(?<![\w-])(?<!the )(?<!our )(?<!my )(?<!your )(?<!their )(?<!its )"
                   r"(?<!a )(?<!an )(?<!this )(?<!that )"
                   # The asker's own "unless I say so" is theirs.
                   r"(?:(?<!\bi )(?<!\bwe )say|says|said|wrote|writes|tells?|told|asks|asked|"
                   r"wants|wanted|"
                   r"suggests?|suggested|recommends?|recommended|claims?|claimed|reads|states|"
                   r"posted|replied|commented|quoting|verbatim|insists?|insisted|demanded|"
                   r"urges?|urged|instructs?|instructed|advises?|advised|proposes?|proposed|"
                   r"mentioned|"
                   # Someone's words in progress ("they're asking us to ..."); the asker's
                   # own "I'm asking you to ..." is theirs.
                   r"(?<!i'm )(?<!i am )(?<!im )(?<!i’m )"
                   r"(?:asking|saying|telling|suggesting|recommending|requesting|insisting|"
                   r"demanding|claiming|writing|instructing|urging|proposing))"
                   r"(?![\w-])")
# A label that only marks the asker's own message ("urgent:", "update:", "ok:"), or the
# role they speak in as incident commander ("IC here: roll it back, on me"), is not a source:
# what follows is still the asker talking.
# A label that opens the asker's own next question, the way a change of subject does
# ("unrelated: how's ingest?", "new topic: ..."), is no speaker.
_OWN_MARKER = (r"(?:urgent|update|fyi|ok|okay|hey|hi|pls|please|btw|also|again|status|q|"
               r"anyway|anyhow|ic|incident[ \t]+commander|unrelated|separately|meanwhile|"
               r"(?:(?:a|one)[ \t]+)?(?:different|new|other|another|separate|unrelated|side)"
               r"[ \t]+(?:topic|question|thing|issue|note|q))")
# A label with a reporting verb in it ("the change bot wrote:") is reported speech: it runs
# to the end of its sentence, and the asker may go on after it.
_REPORTED = re.compile(
    rf"\b{_REPORTING_VERB}\b[^.!?;\n]*"
    rf"|(?:^|(?<=[.!?;]))(?![^:\n]*\b{_REPORTING_VERB}\b)"
    rf"(?![ \t]*{_OWN_MARKER}(?:[ \t]+here)?[ \t]*:)"
    # A bulleted transcript line ("- bob: ...") is labelled the same, and so is a label
    # opening a sentence mid-line, with a handle or a role ("Bob (on-call): ...").
    r"[ \t]*(?:[-*•][ \t]+)?(?:[A-Za-z][\w.@-]*[ \t]+){0,3}[A-Za-z][\w.@-]*"
    r"(?:[ \t]*\([^()\n]*\))?:(?!//)[^\n]*",
    re.I | re.M)
# "as the runbook says, restart cart": the asker cites a source, then orders in their own
# voice after the comma. Only at the start of a line or sentence: "the ticket says as the
# runbook says, ..." stays reported speech.
_CITING = re.compile(
    rf"(?:^|(?<=[.!?;]))[ \t]*(?:as|like|per)[ \t]+(?:[\w.'’-]+[ \t]+){{0,4}}?"
    rf"{_REPORTING_VERB}[ \t]*,", re.I | re.M)
# "cart: restart it": a line (or its last sentence) labelled with a workload's name, then a
# terse order and nothing else ("roll it back", "scale to 5", "restart now please").
_LABELLED_LINE = re.compile(r"(?:^|(?<=[.!?;]))[ \t]*([a-z0-9][a-z0-9.-]*)[ \t]*:[ \t]*"
                            r"([^:\n]+?)[ \t]*$", re.I | re.M)
_LEADING_FILLER = re.compile(r"^(?:(?:please|pls|just|now)\s+)*", re.I)
_ORDER_TAIL = frozenset({"it", "them", "now", "please", "pls", "asap", "again", "back", "to",
                         "revision", "rev", "the", "replicas", "pods"})
# A line that ends by introducing something opens a block of pasted lines that runs to the
# next blank line: a colon ("the ticket says:", "Ticket:"), a reporting verb ("ticket 44
# reads"), "here's what I see", "below", "from #ops"; and so does a chat transcript's
# speaker-and-time header ("bob 10:02 AM", "[10:01] carol"), and a line saying that what
# follows was handed on ("support forwarded this, what now?", "app team pasted these"),
# unless the material starts on that line (after a quote mark or a colon, which say where
# it ends). A block quoted line by line ("> ...", or each line wholly inside double quote
# marks) ends at its last quoted line, where the asker goes on in their own words.
_SHARED = (r"(?:pasted|forwarded|fwd|sent|shared|copied|relayed|dumped|posted|attached|"
           r"got|received|escalated|passed[ \t]+on)\b[^\n]*?\b(?:this|these|the[ \t]+"
           r"following|below)\b")
# A line that asks opsbot a question in the asker's own voice: a question word up front and
# a question mark at its end. "can you ...?" may be a pasted request, so it is not one.
_OWN_QUESTION = (r"[ \t]*(?:why|what|what's|whats|how|when|which|who|where|is|are|was|were|"
                 r"did|does|do|should|shall|any)\b[^\n]*\?[ \t]*(?:\n|$)")
_CHAT_TIME = r"\[?\d{1,2}:\d\d(?::\d\d)?(?:[ \t]?[ap]m)?\]?"
_CHAT_SPEAKER = r"[\w.@-]+(?:[ \t]+[\w.@-]+)?"
_INTRODUCED_BLOCK = re.compile(
    rf"(?::|\b{_REPORTING_VERB}|\bhere(?:'s|’s|s|[ \t]+is|[ \t]+are)\b[^\n.!?;:]*|\bbelow"
    rf"|\bas[ \t]+follows|\b(?:from|in)[ \t]+#[\w-]+|\b{_SHARED}[^\n:\"“”„«»`]*"
    rf"|^[ \t]*(?:{_CHAT_TIME}[ \t]+{_CHAT_SPEAKER}|{_CHAT_SPEAKER}[ \t]+{_CHAT_TIME}))"
    r"[ \t]*\n(?P<block>(?:[ \t]*>[^\n]*(?:\n|$))+"
    r'|(?:[ \t]*(?:"[^"\n]*"|“[^”\n]*”)[ \t]*(?:\n|\Z))+'
    # Quoted lines end the block only where the asker's voice plainly returns: at a blank
    # line, the end, or their own question. Unquoted lines right after them are the rest
    # of what was pasted (a ticket's body under its quoted subject).
    rf"(?=[ \t]*(?:\n|\Z)|{_OWN_QUESTION})"
    # Otherwise the block runs to the next blank line, or to the asker's own question
    # after its first line.
    rf"|[ \t]*\S[^\n]*(?:\n|$)(?:(?!{_OWN_QUESTION})[ \t]*\S[^\n]*(?:\n|$))*)",
    re.I | re.M)
# A line that only delimits: a rule ("---", "***", "___", "===") or a labelled one ("----
# Forwarded message ----", "-----Original Message-----", "Begin forwarded message:"), a
# code fence, or Slack's ">>>", which quotes the rest of the message. What one opens is
# pasted up to the next delimiter, or to the end of the message: a forward has no closing
# line.
_DELIMITER = re.compile(
    r"^[ \t]*(?:[-=*_~]{3,}|`{3,}[\w+.-]*|[-=*_~]{2,}[^\n]*[-=*_~]{2,}"
    r"|(?:begin[ \t]+)?forwarded[ \t]+(?:message|mail|email|ticket|text)\b[^\n]*"
    r"|>>>.*)[ \t]*$", re.I)
# An opening quote mark left without its closing one: what follows it on the line is quoted.
_UNCLOSED_QUOTE = re.compile(r'["“„«‹「『〝＂].*$', re.M)
# An armoured block (a PEM key or certificate) is pasted whole, up to its END line, even
# with the asker's words right after it.
_ARMOURED = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?-----END [A-Z0-9 ]+-----", re.S)
# Text addressed to a model rather than written to opsbot by the asker: a role label
# ("SYSTEM:", "SYSTEM NOTE FOR THE OPS ASSISTANT:"), a bid to override instructions, a note
# for the bot, a grant of authority. It and the rest of its paragraph are somebody else's
# words (an injection), whoever pasted them.
_TO_A_MODEL = re.compile(
    r"(?:\b(?:SYSTEM|ASSISTANT|AI)(?:\s+[A-Z]+){0,6}\s*:|(?i:\b(?:system|assistant)\s*:)"
    r"|(?i:\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:your|previous|prior|"
    r"earlier|the\s+above|above)\s+(?:rules|instructions|guidelines|prompts?))"
    # A note addressed to a model or bot, or a grant of authority to one: the asker has no
    # need to tell opsbot what it may do (policy says that).
    r"|(?i:\b(?:note|message|instructions?|hint|memo|request)\s+(?:for|to)\s+(?:the\s+|any\s+|an?\s+)?"
    r"(?:[\w-]+\s+)?(?:assistant|bot|ai|llm|model|agent|automation)\b)"
    r"|(?i:\byou\s+are\s+(?:now\s+|hereby\s+)?(?:authori[sz]ed|allowed|permitted|instructed|"
    r"cleared|approved)\s+to\b)"
    r"|(?i:\bif\s+you\s+are\s+an?\s+(?:ai|llm|assistant|bot|model|agent)\b))"
    # It runs to the end of its paragraph: such text goes on over line breaks.
    r"(?:.|\n(?![ \t]*\n))*", re.M)
# Sentences, and their clauses: split at commas too ("cart OOM again, restart it").
_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;]?")
_CLAUSE = re.compile(r"[^.!?;,\n]+[.!?;]?")
# A clause that asks rather than tells: a modal, auxiliary or question word up front
# ("should we roll back?", "is it the deploy?", "would more replicas help?").
_ASKING = re.compile(
    r"^\s*(?:should|shall|would|wouldn't|will|could|couldn't|can|can't|do|does|did|don't|"
    r"is|isn't|are|aren't|was|were|must|may|might|why|what|how|when|which|who|whether|if|"
    r"maybe)\b|\b(?:should|would|could|can|do)\s+(?:we|i|it|they|that|you)\b|"
    r"\bwhat about\b|\bworth\b|\binstead\b|\bhelp\b|\bor not\b",
    re.I)
# "please ...", "can you ...", "go ahead and ..." are polite orders, not questions.
_POLITE = re.compile(r"^\s*(?:please|pls|plz|can you|could you|would you|go ahead and)\b|"
                     r"\bplease\b", re.I)
_FILLER = re.compile(r"^\s*(?:and|so|then|ok|okay|just|now|let's|lets|pls)\s+", re.I)
# Before the action's verb, a word that negates it ("don't restart", "never scale", "no need
# to roll back"): the asker brings the action up, but not to have it done.
_NEGATED = re.compile(
    r"\b(?:not|never|no|nobody|none|neither|nor|cannot|stop|avoid|without)\b|n[’'´]t\b|"
    # Contractions typed without the apostrophe; a bare "nt" would match "urgent", "current".
    r"\b(?:don|can|won|isn|aren|wasn|weren|doesn|didn|shouldn|couldn|wouldn|mustn)t\b", re.I)
# A clause that forbids the action outright: it opens with the negation, right before the
# verb ("don't restart cart", "please do not roll it back", "no rollback of cart"). "why
# don't we restart it?" or "can't we roll back?" ask instead, and "nobody restarted it" tells.
_FORBIDDING = re.compile(
    r"^\s*(?:(?:please|pls|so|and|but|just|ok|okay|again)\s*,?\s+)*"
    r"(?:(?:we|you)\s+(?:must|should|shall)\s+(?:not|never)|(?:we|you)\s+"
    r"(?:mustn|shouldn)[’'´]?t|(?:i|we)\s+(?:do\s+not|don[’'´]?t)\s+want\s+(?:you\s+)?to|"
    r"do\s+not|don[’'´]?t|never|no(?:\s+need\s+to)?)"
    r"(?:\s+(?:just|even|ever|yet|try\s+to|go\s+and))?\s*$", re.I)
# An action told as what happened ("we rolled back", "it was rolled back", "yesterday we had
# to restart"), not as what to do now: a verb in its past or -ing form, or a past marker
# before it.
_NARRATED_VERB = re.compile(r"^\w+(?:ed|ing)\b")
_PAST = re.compile(r"\b(?:had|was|were|been|yesterday|earlier|already|ago)\b", re.I)
# A verb of observation and a count or determiner before it ("patron-sso shows a restart
# too", "I see 3 restarts", "there was a rollback"); "do a restart", "give it a rollback"
# stay orders.
_OBSERVED = re.compile(
    r"\b(?:shows?|showed|showing|has|have|having|had|saw|see|sees|seen|seeing|got|gets|"
    r"notices?|noticed|logs?|logged|reports?|reported|counts?|counted|is|are|was|were)\s+"
    r"(?:(?:a|an|the|one|two|three|four|five|another|some|several|few|many|more|\d+)\s+)"
    r"(?:\w+\s+)?$", re.I)
# The action's word used as a noun for what happened, read from the words around it: an
# observation of it (above), a noun it modifies ("restart count is high", "rollback
# window", "bounce storm"), a verb it is the subject of ("the rollback was slow", "restart
# keeps happening"), or, in non-native English, a copula before the bare verb
# ("session-recorder is restart many times"). None asks for the action; "restart the
# pods", "restart it now" still order.
_MODIFIED_NOUN = (r"counts?|counters?|loops?|looping|rates?|storms?|numbers?|histor(?:y|ies)|"
                  r"polic(?:y|ies)|back-?offs?|spikes?|totals?|frequency|events?|reasons?|"
                  r"metrics?|graphs?|charts?|panels?|trends?|cycles?|churn|duration|"
                  r"latency|windows?|budgets?|thresholds?|streaks?|delays?|timeouts?")
_NOUN_AFTER = re.compile(
    rf"\s*(?:(?:{_MODIFIED_NOUN})(?![\w-])"
    # The subject of a verb that reports rather than asks: not "a restart is needed", "a
    # rollback is the fix", which ask for it in other words.
    r"|(?:is|are|was|were|keeps?|kept|has|had|took|takes|seems?|seemed|looks?|looked|"
    r"happened|happens|went|goes|fails|hangs)(?![\w-])"
    r"(?!\s+(?:(?:not\s+)?(?:needed|required|necessary|warranted|due|approved|ok|okay|"
    r"fine|safe|allowed|wanted|the\s+(?:fix|answer|way|plan|move)|what|how|best|better|"
    r"enough|worth|in\s+order|on\s+me|go|a\s+go|to))\b)"
    # "the rollback failed", "restart stuck at 2/3"; but "restart failed pods" orders.
    r"|(?:failed|stuck|hung)(?=\s*(?:$|[.!?;,]|(?:on|at|in|for|again|twice|with|because|"
    r"after|since|before|yesterday|today|halfway|midway|partway)\b)))",
    re.I)
# A subject, then a copula right before the bare verb: a passive or progressive with its
# ending left off. "is restart needed?" opens with the copula and asks instead, and "the
# fix is rollback" names the remedy the asker wants.
_COPULA_BEFORE = re.compile(
    r"(?<![\w-])(?!(?:fix|answer|plan|solution|option|idea|move|remedy|mitigation|step|"
    r"choice|way|call)\s)[\w-]+\s+(?:is|are|was|were|been|being)\s+$", re.I)


# The action's word as a noun after a determiner ("since the rollback of tap-receipts",
# "after that restart last night", "yesterday's rollback"), unless a verb before it asks
# for one ("do a rollback of cart", "we need the restart of cart").
_DETERMINED = re.compile(
    r"(?<![\w-])(?:the|a|an|that|this|those|these|our|its|their|his|her|last|previous|"
    r"recent|earlier|[\w-]+['’]s)\s+$", re.I)
_ASKING_FOR = re.compile(
    r"\b(?:do|does|doing|perform|run|trigger|kick\s+off|start|issue|need|needs|want|get|"
    r"try|schedule|request|initiate|go\s+for|give\s+\w+|propose|plan|prepare|approve)\s+"
    r"(?:(?:us|me|it|them|just|quickly|now)\s+)?$", re.I)
# After the noun: what it acted on ("of tap-receipts") or when it happened ("last week",
# "yesterday", "two days ago", "on monday").
_PAST_AFTER = re.compile(
    r"[^.!?;,\n]*?\b(?:yesterday|earlier|ago|last\s+(?:week|night|"
    r"month|time|friday|monday|tuesday|wednesday|thursday|saturday|sunday)|previously|"
    r"before\s+(?:that|then)|on\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b", re.I)
_PAST_BEFORE = re.compile(r"\b(?:yesterday['’]?s?|last\s+\w+['’]?s?|earlier|previous|"
                          r"recent|since)\s+(?:the\s+|that\s+|an?\s+)?$", re.I)


def _noun_use(text: str, found: re.Match[str]) -> bool:
    """The action's word, where ``found`` is in ``text``, names what happened."""
    before = text[:found.start()]
    return (_NOUN_AFTER.match(text, found.end()) is not None
            or _COPULA_BEFORE.search(before) is not None
            or _OBSERVED.search(_JOINED.split(before)[-1]) is not None
            or _determined_noun(text, found))


def _determined_noun(text: str, found: re.Match[str]) -> bool:
    """"the rollback of X", "a restart last week": a noun for an action done to something
    or done before, not an order to do it."""
    before = text[:found.start()]
    determiner = _DETERMINED.search(before)
    if determiner is None or _ASKING_FOR.search(before[:determiner.start()]):
        return False
    if _PAST_BEFORE.search(before) or _PAST_AFTER.match(text, found.end()):
        return True
    # "the rollback of X" names one done; "a rollback of X" may be one wanted ("a rollback
    # of X is needed"), and "the rollback of X please" asks for it.
    return (re.match(r"\s+of\b", text[found.end():]) is not None
            and re.match(r"an?\b", determiner.group(0), re.I) is None
            and _POLITE.search(text) is None)


def _action_word(text: str, verb: re.Pattern[str]) -> re.Match[str] | None:
    """The first place in ``text`` that ``verb`` brings up the action rather than names
    what happened: "restart count is high, so restart it" brings it up second."""
    return next((m for m in verb.finditer(text) if not _noun_use(text, m)), None)


# What a prohibition may be about instead of a workload: data and the changes made to it
# ("don't roll back the claims database", "no rollback of the schema migration").
_NOT_WORKLOADS = OTHER_KINDS | {"migration", "migrations"}
# After the forbidden action, a condition that makes the prohibition a standing rule ("never
# roll back on a Friday without the IC", "don't restart unless the IC agrees"): it says
# when the action may happen, so an order given after it in the same message stands.
_CONDITION = re.compile(r"\b(?:without|unless|until|except|if|whenever|outside)\b", re.I)
# A prohibition with a condition the evidence can settle ("don't roll back unless errors go
# above 5%", "don't restart it until the queue drains", "don't scale it if CPU is fine")
# leaves the judgement to what is found: it forbids nothing outright, and the asker's
# condition goes on the card beside the evidence. "even if" keeps it a prohibition.
_SETTLED_BY_EVIDENCE = re.compile(r"\b(?:unless|until|till|(?<!even )if)\b", re.I)
# A condition only a person settles, right after its "unless", "until" or "if": someone's
# word ("unless I say so", "until the CAB approves", "if the IC signs off", "until told
# otherwise"). No evidence meets it, so the prohibition stands.
_SETTLED_BY_PERSON = re.compile(
    r"\s+(?:(?:i|we|you|someone|somebody|they|he|she|(?:the|our|my|your)\s+[\w-]+"
    r"(?:\s+[\w-]+)?|[A-Z][\w-]*)\s+(?:(?:have|has|had|do|does|did)\s+)?"
    r"(?:says?|said|approves?|approved|signs?\s+off|signed\s+off|oks?|ok'?d|okays?|okayed|"
    r"confirms?|confirmed|agrees?|agreed|gives?\s+the\s+(?:go|ok|nod)|gave|tells?|told|"
    r"allows?|allowed|authori[sz]es?|authori[sz]ed|green-?lights?|decides?|decided)\b"
    r"|(?:told|instructed|asked|approved|authori[sz]ed|cleared)\b"
    r"|(?:further\s+notice|(?:i|we)(?:'m|’m|\s+am|'re|’re|\s+are)\s+back|approval|"
    r"sign-?off|the\s+go-?ahead|(?:the\s+)?(?:change|cab)\s+(?:is\s+)?approved))",
    re.I)
# Where one part of a clause ends and another, with its own verb, begins. Not "and": in
# "don't scale and restart cart" the negation may well cover both.
_JOINED = re.compile(r"\b(?:but|so|then)\b|\s[—–-]+\s")
# Invisible format characters (zero-width space, joiners, BOM) would hide a line's ">" or a
# quote from the patterns above.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff]")


# A prohibition of every change, whatever the action and its target: "don't change
# anything", "do not touch a thing", "don't make any changes", "do not take any action",
# "don't touch prod", "look but don't touch", "no actions please", "hands off",
# "read-only please". Told as what happened ("no changes since Friday", "the volume went
# read-only") it forbids nothing: "no changes" and "read-only" count only as a clause of
# their own (up to a colon), with at most a "please" or "for now" beside them; and "hands
# off" only opens its clause ("night shift hands off at 8" is a handover).
_EVERYTHING = r"(?:anything|any\s*thing|a\s+(?:single\s+)?thing|nothing|stuff)"
_DONT = r"(?:do\s+not|don[’'´]?t|dont|never|please\s+don[’'´]?t)"
# What stands for the whole of what opsbot could change: the environment itself.
_ENVIRONMENT = (r"(?:(?:the\s+)?(?:prod|production|live|cluster|clusters|environment|env|"
                r"infra|infrastructure)|(?:the\s+)?(?:prod|production|live)\s+(?:cluster|env|"
                r"environment))")
_HANDS_OFF = re.compile(
    rf"(?:\b{_DONT}\s+(?:\w+\s+)?"
    rf"(?:change|touch|modify|alter|do|act\s+on|mess\s+with|restart|fix)\s+"
    rf"(?P<object>{_EVERYTHING}(?P<scope>\s+(?:else|(?:in|on|inside)\s+(?:the\s+)?[\w-]+))?"
    rf"|{_ENVIRONMENT})\b"
    rf"|\b{_DONT}\s+(?:make|take|do|perform|apply|run)\s+(?:any|a\s+single|an?y?)?\s*"
    r"(?:changes?|actions?|writes?|mutations?|remediations?|fixes)\b"
    # The verb with no object, ending its clause: "look but don't touch".
    rf"|\b{_DONT}\s+(?:touch|change|modify)\s*[.!]?$"
    r"|^\s*(?:(?:and|but|so|please|pls|just|ok|okay|look|strictly)\s+)*hands[\s-]+off\b"
    r"(?!\s+(?:at|to|from|around|by)\b)"
    r"|^\s*(?:(?:and|but|so|please|pls|just|strictly|keep\s+it|stay)\s+)*"
    r"(?:no\s+(?:actions?|changes?|touching|writes?)|read[\s-]*only)"
    r"(?:\s+(?:please|pls|for\s+now|today|yet|mode|thanks|thx))*\s*(?:[.!:]|$))",
    re.I)


@dataclass(frozen=True)
class HandsOff:
    """A prohibition of every change the asker made: everywhere, or within some
    namespaces ("don't touch anything in fares"), or of all but what they ordered ("roll
    back X and don't touch anything else")."""

    said: str  # the asker's words for it: "don't change anything"
    namespaces: frozenset[str] = frozenset()  # where; empty: everywhere
    but_orders: bool = False  # the asker's own orders stand ("anything else")

    def covers(self, namespace: str | None, ordered: bool) -> bool:
        """The prohibition reaches a change in ``namespace``, ordered or not."""
        if ordered and self.but_orders:
            return False
        return not self.namespaces or namespace in self.namespaces


def _settled_by_evidence(clause: str, start: int) -> re.Match[str] | None:
    """The first condition after ``start`` that the evidence can settle: "unless I say so"
    or "until the CAB approves" waits on a person, and so leaves the prohibition standing."""
    return next((m for m in _SETTLED_BY_EVIDENCE.finditer(clause, start)
                 if not _SETTLED_BY_PERSON.match(clause, m.end())), None)


def forbids_everything(question: str, names: Collection[str] = (),
                       namespaces: Collection[str] = ()) -> HandsOff | None:
    """The asker's own words that forbid any change at all ("status only, don't change
    anything"), or None: pasted text forbids nothing, and a condition the evidence can
    settle ("don't touch anything unless it's down") leaves the judgement to it. A scope
    naming one of ``namespaces`` ("anything in fares") narrows it to that namespace; one
    naming something else leaves it everywhere, the safe side."""
    known = {n.lower() for n in namespaces}
    for clause in _CLAUSE.findall(split_words(question, names).own):
        found = _HANDS_OFF.search(clause.strip())
        if found is None or _settled_by_evidence(clause.strip(), found.end()) is not None:
            continue
        said = found.group(0).strip(" .!:")
        scope = (found.group("scope") or "").split()
        if scope == ["else"]:
            return HandsOff(said, but_orders=True)
        where = scope[-1].lower() if scope else ""
        return HandsOff(said, frozenset({where}) if where in known else frozenset())
    return None


class Ask(IntEnum):
    """How the asker's own words bring up an action, weakest first."""

    FORBIDS = -1  # a prohibition: "don't roll back cart", "do not restart it"
    NONE = 0  # not at all
    WONDERS = 1  # in a question: "should we roll back?", "would a restart help?"
    REQUESTS = 2  # a terse request: "restart?", "scale again?"
    ORDERS = 3  # an order: "restart cart", "please roll it back", "add replicas"


@dataclass(frozen=True)
class Words:
    own: str  # what the asker wrote, with pasted material blanked out
    pasted: str  # the pasted material, joined


def _terse_order(text: str, label: str) -> bool:
    """``text`` is one action verb and what an order adds to it, nothing else."""
    rest = _LEADING_FILLER.sub("", text.strip().rstrip(".!").lower())
    for spec in CATALOG.values():
        found = spec.asked_by.match(rest) if spec.asked_by is not None else None
        if found is not None:
            tail = re.findall(r"[\w.-]+", rest[found.end():])
            return all(w in _ORDER_TAIL or w.isdigit() or w == label for w in tail)
    return False


def _own_labelled_orders(text: str, names: Collection[str]) -> str:
    """Lines labelled with a workload's name and holding only a terse order ("cart: restart
    it") are the asker's own: their colon goes, so the line is not taken for a source's."""
    known = {n.lower() for n in names}

    def unlabel(match: re.Match[str]) -> str:
        label = match.group(1).lower()
        if label not in known or not _terse_order(match.group(2), label):
            return match.group(0)
        line = match.group(0)
        at = line.index(":")  # the label's: a label holds none
        return f"{line[:at]} {line[at + 1:]}"

    return _LABELLED_LINE.sub(unlabel, text)


def _delimited(text: str, pasted: list[str]) -> str:
    """``text`` with what delimiter lines enclose blanked, the delimiters too; what they
    enclose goes to ``pasted``."""
    rows = text.split("\n")
    inside = False
    for i, row in enumerate(rows):
        delimits = _DELIMITER.match(row) is not None
        if delimits:
            # Slack's ">>>" quotes its own line too, and opens what it never closes.
            inside = not inside or row.lstrip().startswith(">>>")
        if inside or delimits:
            if not delimits or row.lstrip().startswith(">>>"):
                pasted.append(row)
            rows[i] = " " * len(row)
    return "\n".join(rows)


def split_words(question: str, names: Collection[str] = ()) -> Words:
    """The asker's own words apart from pasted material; ``names`` are the workloads a line
    may be labelled with and still be the asker's ("cart: restart it")."""
    pasted: list[str] = []

    def blank(match: re.Match[str]) -> str:
        # Line breaks stay, so what follows a blanked block is still read line by line.
        pasted.append(match.group(0))
        return re.sub(r"[^\n]", " ", match.group(0))

    def blank_block(match: re.Match[str]) -> str:
        lead = match.group(0)[:match.start("block") - match.start()]
        pasted.append(match.group("block"))
        return lead + re.sub(r"[^\n]", " ", match.group("block"))

    # An armoured block is blanked first, then indentation is read before anything else is
    # blanked (a blanked quote leaves blanks). The block goes next: once a quote is
    # blanked, its line might seem to end in a colon.
    text = _ARMOURED.sub(blank, _INVISIBLE.sub("", question))
    rows = text.split("\n")
    margin = next((_indent(row) for row in rows if row.strip()), 0)
    indented = [bool(row.strip()) and _indent(row) > margin + 1 for row in rows]
    marked = list(zip(rows, indented, strict=True))
    pasted.extend(row for row, inside in marked if inside)
    text = "\n".join(" " * len(row) if inside else row for row, inside in marked)
    own = _INTRODUCED_BLOCK.sub(blank_block, _delimited(text, pasted))
    own = _UNCLOSED_QUOTE.sub(blank, _QUOTED.sub(blank, own))
    own = _TO_A_MODEL.sub(blank, own)
    own = _own_labelled_orders(_CITING.sub(lambda m: " " * len(m.group(0)), own), names)
    own = _REPORTED.sub(blank, own)
    lines = []
    for line in own.splitlines(keepends=True):
        if _PASTED_LINE.match(line):
            pasted.append(line)
            lines.append("\n")
        else:
            lines.append(line)
    return Words(own="".join(lines), pasted="\n".join(pasted))


def _indent(line: str) -> int:
    """Columns of leading blanks, a tab counting as a level of indentation (four)."""
    stripped = line.lstrip(" \t")
    return len(line[:len(line) - len(stripped)].expandtabs(4))


# "no restarts please", "no more rollbacks of cart": the action's noun, plural, after a
# "no" that opens the clause, with at most a target or a "please" after it. "no restarts
# since Friday" tells what happened.
_NO_NOUNS = re.compile(
    r"^\s*(?:(?:and|but|so|please|pls|just|also|ok|okay)\s*,?\s+)*no\s+(?:more\s+|further\s+)?"
    r"(?P<noun>[\w-]+?)s"
    r"(?:\s+(?:(?:of|on|to|for|in)\s+[\w-]+|please|pls|plz|for\s+now|today|yet|thanks|"
    r"thx|anymore))*\s*[.!]?$", re.I)


def _clause_ask(clause: str, verb: re.Pattern[str]) -> Ask:
    text = clause.strip().lower()
    plural = _NO_NOUNS.match(text)
    if plural is not None and verb.fullmatch(plural.group("noun")):
        return Ask.FORBIDS
    found = _action_word(text, verb)
    if found is None:
        return Ask.NONE
    # A negation or past marker counts only in the part joined to the verb: "not sure why
    # but restart cart" orders, "not sure why but don't restart cart" forbids.
    before = _JOINED.split(text[:found.start()])[-1]
    if _FORBIDDING.match(before) and not text.endswith("?"):
        return Ask.FORBIDS
    if (_NEGATED.search(before) or _PAST.search(before)
            or _NARRATED_VERB.match(found.group(0))):
        return Ask.WONDERS
    asking = _ASKING.search(text) is not None
    if _POLITE.search(text) or not (asking or text.endswith("?")):
        return Ask.ORDERS
    lead = _FILLER.match(text)
    verb_first = found.start() == (lead.end() if lead else 0)
    return Ask.REQUESTS if verb_first and not asking else Ask.WONDERS


def forbids_an_action(clause: str) -> bool:
    """The clause forbids one of the catalog's actions ("don't restart cart")."""
    return any(_clause_ask(clause, spec.asked_by) is Ask.FORBIDS
               for spec in CATALOG.values() if spec.asked_by is not None)


def ask_of(own_words: str, verb: re.Pattern[str]) -> Ask:
    """The strongest way any clause of the asker's own words brings up ``verb``."""
    return max((_clause_ask(c, verb) for c in _CLAUSE.findall(own_words)), default=Ask.NONE)


@dataclass(frozen=True)
class Order:
    """One action the asker's own words order outright."""

    tool: str
    # From the order's verb up to the next action's verb: what this order says ("scale
    # journal-api to 5" of "scale journal-api to 5 and restart journal-store").
    clause: str
    # The clause's words before the verb, back to the previous action's ("journal-store
    # needs a" of "journal-store needs a restart").
    lead: str = ""


def _scoped(clause: str, tool: str, verb: re.Pattern[str]) -> Order:
    lowered = clause.lower()
    verbs = sorted((m.start(), m.end()) for spec in CATALOG.values()
                   if spec.asked_by is not None for m in spec.asked_by.finditer(lowered))
    own = _action_word(lowered, verb)
    if own is None:
        return Order(tool=tool, clause=clause)
    start = own.start()
    after = min((s for s, _e in verbs if s >= own.end()), default=len(clause))
    before = max((e for _s, e in verbs if e <= start), default=0)
    return Order(tool=tool, clause=clause[start:after].strip(),
                 lead=clause[before:start].strip())


def orders_in(question: str, names: Collection[str] = ()) -> list[Order]:
    """Every order in the asker's own words, each with its own part of the clause; pasted
    text gives none. ``names``: the workloads, as split_words takes them."""
    clauses = [c.strip() for c in _CLAUSE.findall(split_words(question, names).own)]
    return [_scoped(clause, name, spec.asked_by)
            for name, spec in CATALOG.items() if spec.asked_by is not None
            for clause in clauses if _clause_ask(clause, spec.asked_by) is Ask.ORDERS]


class Asked(Protocol):
    def __call__(self, tool: str, workload: str | None = None) -> Ask: ...


def clauses_about(own_words: str, workload: str | None,
                  workloads: Collection[str]) -> list[str]:
    """The clauses of the asker's own words that can be about ``workload``: those naming
    it, or naming none of ``workloads`` ("restart it") in a sentence that names it or none.
    "scale journal-api to 5" says nothing about journal-store, nor does "don't roll it
    back" in "journal-api went out too, don't roll it back". With no workload, every
    clause."""
    about: list[str] = []
    for sentence in _SENTENCE.findall(own_words):
        named = {w for w in workloads if mentions(sentence, w)}
        about.extend(c for c in _CLAUSE.findall(sentence)
                     if workload is None or mentions(c, workload)
                     or (not any(mentions(c, w) for w in workloads)
                         and (not named or workload in named)))
    return about


def _forbids_something_else(clause: str, verb: re.Pattern[str], workload: str | None) -> bool:
    """The prohibition's object is another kind of thing than the workload, and does not
    name the workload too: "don't roll back the claims database" leaves claims-api be."""
    text = clause.lower()
    found = _action_word(text, verb)
    after = text[found.end():] if found is not None else ""
    if workload is not None and mentions(after, workload):
        return False
    others = _NOT_WORKLOADS - set((workload or "").split("-"))
    return any(w in others for w in re.findall(r"[a-z]+", after))


def _is_rule(clause: str, verb: re.Pattern[str]) -> bool:
    """The prohibition says when the action may happen, after its verb."""
    found = _action_word(clause.lower(), verb)
    return found is not None and _CONDITION.search(clause[found.end():]) is not None


@dataclass(frozen=True)
class Proviso:
    """A prohibition the asker made conditional: not to ``action`` ``condition``."""

    action: str  # the asker's own words for it: "roll back"
    condition: str  # "unless errors go above 5%"


def _proviso(clause: str, verb: re.Pattern[str]) -> Proviso | None:
    """The clause's prohibition of ``verb``'s action, when a condition follows it."""
    found = _action_word(clause.lower(), verb)
    if found is None or _clause_ask(clause, verb) is not Ask.FORBIDS:
        return None
    condition = _settled_by_evidence(clause, found.end())
    if condition is None:
        return None
    return Proviso(action=found.group(0),
                   condition=clause[condition.start():].strip().rstrip(".!;"))


def provisos(question: str, workload: str | None,
             workloads: Collection[str] = ()) -> list[Proviso]:
    """The conditional prohibitions in the asker's own words about ``workload``."""
    clauses = clauses_about(split_words(question, workloads).own, workload, workloads)
    return [p for spec in CATALOG.values() if spec.asked_by is not None
            for c in clauses if (p := _proviso(c, spec.asked_by)) is not None]


def asks_by(question: str, workloads: Collection[str] = ()) -> Asked:
    """How the asker's own words (not pasted text) bring up a given tool; about a given
    workload, only in the clauses about it."""
    own = split_words(question, workloads).own

    def ask(tool: str, workload: str | None = None) -> Ask:
        spec = CATALOG.get(tool)
        if spec is None or spec.asked_by is None:
            return Ask.NONE
        clauses = clauses_about(own, workload, workloads)
        asks = [Ask.NONE if ask is Ask.FORBIDS
                and (_forbids_something_else(c, spec.asked_by, workload)
                     or _proviso(c, spec.asked_by) is not None) else ask
                for c in clauses for ask in [_clause_ask(c, spec.asked_by)]]
        # A prohibition stands whatever else the asker said about the action (the safe
        # side), unless it is a rule with a condition that an order after it then meets.
        said = {Ask.NONE if ask is Ask.FORBIDS and _is_rule(c, spec.asked_by)
                and Ask.ORDERS in asks[i + 1:] else ask
                for i, (c, ask) in enumerate(zip(clauses, asks, strict=True))}
        return Ask.FORBIDS if Ask.FORBIDS in said else max(said, default=Ask.NONE)

    return ask


def tools_asked(question: str) -> frozenset[str]:
    """Catalog tools the asker's own words bring up, ordered or asked about; a word for
    what happened ("restart count", "shows a restart") brings none up, and neither does
    pasted text."""
    own = split_words(question).own.lower()
    return frozenset(name for name, spec in CATALOG.items()
                     if spec.asked_by is not None and _action_word(own, spec.asked_by) is not None)


def remedies_asked(question: str) -> frozenset[Remedy]:
    """The remedies of the tools the asker's own words bring up."""
    return frozenset(remedy for name in tools_asked(question)
                     if (remedy := CATALOG[name].remedy) is not None)


# A question whether something holds ("is rc-gpu-07 back?", "did worker-3 come back after
# the reboot?", "has it recovered?"), after any filler: it asks how things stand.
_WHETHER = re.compile(
    r"^\s*(?:(?:so|and|but|ok|okay|hey|also|quick\s+q|q)\s*[,:]?\s+)*"
    r"(?:is|isn't|isnt|are|aren't|arent|was|wasn't|were|did|didn't|didnt|does|doesn't|"
    r"has|hasn't|hasnt|have|haven't|havent)\b", re.I)
# Words asking what to do, not how things stand: "is there anything we should do?", "has
# it got to be fixed?", "what now?".
_WHAT_TO_DO = re.compile(
    r"\b(?:should|shall|must|need|needs|needed|have\s+to|has\s+to|fix|fixed|fixing|"
    r"to\s+do|do\s+anything|do\s+about|what\s+now|next\s+steps?|help)\b", re.I)


# A question word: "why is it down?" asks for a cause, not whether it holds. Without one,
# a question is a yes-or-no one with its verb left off ("rc-gpu-07 back yet?").
_WH_WORD = re.compile(r"\b(?:why|what|what's|whats|how|which|who|where|when)\b", re.I)


# A question how something is doing ("how is rc-gpu-07 looking?", "how's worker-3 holding
# up?"), not how it came to be ("how did it fail?").
_HOW_IT_LOOKS = re.compile(
    r"\bhow(?:['’]s|s|\s+is|\s+are|\s+'s)\s+[^.!?;\n]*?\b(?:looking|doing|holding\s+up|"
    r"coming\s+along|going|now)\b|\bhow\s+(?:does|do)\s+[^.!?;\n]*?\blooks?\b", re.I)
# A request for its status, with or without a question mark: "rc-gpu-07 status pls",
# "status of worker-3?", "what's the state of rc-gpu-07".
_STATUS_REQUEST = re.compile(
    r"^\s*(?:(?:so|and|but|ok|okay|hey|also|quick|q|pls|please|what['’]?s|what\s+is|"
    r"give\s+me|show\s+me|check|need|want)\s*[,:]?\s+)*(?:the\s+|an?\s+)?"
    r"(?:[\w.-]+\s+){0,2}?(?:status|state|health)(?:\s+(?:of|on|for)\s+[\w.-]+)?"
    r"(?:\s+(?:pls|please|plz|check|update|report|now|again|thanks|thx))*\s*[?.!]?\s*$",
    re.I)


def asks_how_it_stands(question: str) -> bool:
    """The asker's own words only ask whether something holds now ("is rc-gpu-07 actually
    back?"): no action of the catalog brought up, ordered or asked about, and nothing
    asking what to do. Pasted text does not count: a ticket's "uncordon rc-gpu-07" is
    not the asker's."""
    own = split_words(question).own
    lowered = own.lower()
    if _WHAT_TO_DO.search(lowered) or any(
            spec.asked_by is not None and _action_word(lowered, spec.asked_by) is not None
            for spec in CATALOG.values()):
        return False
    return any((sentence.rstrip().endswith("?") and (
        any(_WHETHER.match(clause) for clause in _CLAUSE.findall(sentence))
        or not _WH_WORD.search(sentence)))
        or _HOW_IT_LOOKS.search(sentence) is not None
        or _STATUS_REQUEST.match(sentence) is not None
        for sentence in _SENTENCE.findall(own))


def without_orders(text: str, remedy: Remedy | None = None) -> str:
    """``text`` with every clause that orders an action blanked, and whatever is addressed
    to a model: what is left may say what a paste is about, never what to act on. "the fix
    is to roll back borrow-api" in a crash report names no subject. Orders of ``remedy``,
    the one the asker asks about, stay: "silence ReplicationLagHigh in dispatch" in a
    pasted message names the alert they ask what to silence."""
    text = _TO_A_MODEL.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)

    verbs = [spec.asked_by for spec in CATALOG.values() if spec.asked_by is not None]

    def blank(match: re.Match[str]) -> str:
        # From each ordering verb to the next action's verb: "silence X and restart Y"
        # keeps "silence X" when silences are what the asker asks about.
        clause = match.group(0)
        lowered = clause.lower()
        starts = sorted({m.start() for verb in verbs for m in verb.finditer(lowered)})
        for spec in CATALOG.values():
            if (spec.asked_by is None or spec.remedy is remedy
                    or _clause_ask(clause, spec.asked_by) is not Ask.ORDERS):
                continue
            for found in spec.asked_by.finditer(lowered):
                end = min((s for s in starts if s >= found.end()), default=len(clause))
                clause = clause[:found.start()] + " " * (end - found.start()) + clause[end:]
        return clause

    return _CLAUSE.sub(blank, text)
