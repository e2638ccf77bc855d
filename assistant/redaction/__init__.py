"""Redaction: secrets never leave this package (safety invariant 3).

Every text bound for chat, an LLM, the audit log or a log line goes through one
:class:`Redactor` first::

    redactor = Redactor(key=incident_key)        # same key -> same placeholders
    redactor.redact("password=hunter2")           # 'password=[REDACTED:password#3f2a]'
    redactor.redact_value({"token": "abc"})       # {'token': '[REDACTED:token#9c1e]'}
    logging.getLogger().handlers[0].addFilter(RedactingFilter(redactor))

Placeholder kinds: aws-access-key-id, aws-secret-access-key, gcp-private-key-id,
azure-account-key, azure-sas-signature, slack-token, github-token, gitlab-token, stripe-key,
anthropic-key, openai-key, npm-token, pypi-token, twilio-api-key, twilio-account-sid,
sendgrid-key, google-api-key, vault-token, access-token (Docker Hub, DigitalOcean, Hugging
Face and other vendors' prefixed tokens), prefixed-token (a short lower-case prefix and
``_`` before a long generated part, e.g. Honeycomb's ``hcaik_``), azure-client-secret,
slack-webhook, discord-webhook, teams-webhook, url-signature (pre-signed S3/GCS and signed
CDN URLs), registry-auth (Docker config credentials), jwt, private-key, url-password (also
``user:pw@host`` without a scheme and Oracle's ``user/pw@db``), url-token (a URL's user part
that is a key, as in Sentry DSNs), bearer-token, authorization, cookie, k8s-secret; by field
name: password, token, api-key, private-key, secret, credential; near a keyword:
generic-secret; and each team pattern's name. A vendor's prefix marks its token whatever the
length of what follows it (``glsa_`` and a 16-character body), and a name, a short clause
about it and a colon or arrow mark the value after them ("token if you need grafana: ...",
"key (rotate after): ...").

A name marks its value in many spellings: ``password=...``, ``"token": "..."``, a
``name``/``value`` entry (Kubernetes env, ECS, SSM; in structured values also Consul's
``Key``/``Value``), a YAML block scalar (``password: |``), URL-encoded fields
(``password%3D...``, ``user[password]=...``), sentences ("the password is ...", "connect
with password ..."), HTML and XML markup (``<input type="password" value=...>``,
``<password>...</password>``) and ``.pgpass`` lines.
Command-line clients' password flags (``mysql -p...``, ``curl -u user:...``, ``sshpass -p``,
``redis-cli -a``, ``docker login -p``, ``ldapsearch -w``, httpie's ``http -a user:...``) and
passwords told to servers (Redis ``AUTH``/``requirepass``, SMTP ``AUTH PLAIN``, SQL
``IDENTIFIED BY``) come out as ``password``.
"""

from assistant.redaction.config import (
    AllowEntry,
    CustomPattern,
    RedactionConfig,
    load_redaction_config,
)
from assistant.redaction.logfilter import RedactingFilter
from assistant.redaction.placeholder import PLACEHOLDER_RE
from assistant.redaction.redactor import Redactor

__all__ = [
    "PLACEHOLDER_RE",
    "AllowEntry",
    "CustomPattern",
    "RedactingFilter",
    "RedactionConfig",
    "Redactor",
    "load_redaction_config",
]
