"""Detectors for secrets with a recognisable shape: vendor tokens, keys, JWTs, URL passwords.

Patterns follow the vendors' published formats. Each is anchored on a literal prefix (or a
context word) so a clean line is rejected by the prefilter before any of them runs.
"""

from __future__ import annotations

import base64
import binascii
import re

from assistant.redaction.detector import Detector, RegexDetector
from assistant.redaction.fields import is_dummy_value
from assistant.redaction.generic import shannon_entropy
from assistant.redaction.pem import InlinePemDetector
from assistant.redaction.userinfo import password_not_port, userinfo_detectors

_B = r"(?<![A-Za-z0-9])"  # token start: not glued to a preceding letter or digit
_E = r"(?![A-Za-z0-9])"
_AWS_JOIN = r"[\"']?[\s,;:|/=_-]+[\"']?"  # between an AWS key id and what follows it


def _mixed(match: re.Match[str]) -> bool:
    """Real API keys mix case and digits; hyphenated slugs such as ``sk-learn-...`` do not."""
    body = match.group("secret")[3:]
    return (
        any(c.isupper() for c in body)
        and any(c.islower() for c in body)
        and any(c.isdigit() for c in body)
    )


def _not_dummy(match: re.Match[str]) -> bool:
    return not is_dummy_value(match.group("secret"))


def _has_digit(match: re.Match[str]) -> bool:
    return any(c.isdigit() for c in match.group("secret"))


_HEX_BODY = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_PREFIXED_MIN_ENTROPY = 3.5


def _random_body(match: re.Match[str]) -> bool:
    """What follows a vendor's prefix looks generated: letters and digits mixed, and
    either both cases or, in lower case only, longer than an ID (a ULID has 26). A hex run
    is a digest or an object ID."""
    body = match.group("body")
    if _HEX_BODY.fullmatch(body) or not any(c.isdigit() for c in body):
        return False
    mixed_case = any(c.isupper() for c in body) and any(c.islower() for c in body)
    return (mixed_case or len(body) >= 40) and shannon_entropy(body) >= _PREFIXED_MIN_ENTROPY


_VENDOR_BODY_MIN_ENTROPY = 3.0
_VENDOR_BODY_LONG = 20
_IDENTIFIER_JOIN = re.compile(r"[a-z0-9][_-][a-z0-9]")


def _vendor_body(match: re.Match[str]) -> bool:
    """After a vendor's own prefix, any token-shaped body is that vendor's token, whatever
    its length: one pasted cut short, an old format or a new one. Token-shaped: letters and
    digits mixed, both cases or one long run, not a placeholder (``ghp_XXXX``) or a
    snake_case name."""
    body = match.group("body")
    if is_dummy_value(body) or not any(c.isdigit() for c in body):
        return False
    if not any(c.isalpha() for c in body):
        return False
    mixed_case = any(c.isupper() for c in body) and any(c.islower() for c in body)
    one_run = _IDENTIFIER_JOIN.search(body) is None  # hf_transfer_enabled_2024 is a name
    return ((mixed_case or (one_run and len(body) >= _VENDOR_BODY_LONG))
            and shannon_entropy(body) >= _VENDOR_BODY_MIN_ENTROPY)


# Vendors' documented prefixes, distinctive enough that what follows them is a token even
# when its length is not the documented one (the exact-format patterns above it miss those).
_VENDOR_PREFIXES: dict[str, tuple[str, ...]] = {
    "github-token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "gitlab-token": ("glpat-", "glrt-", "gldt-", "glptt-", "gloas-", "glcbt-", "glft-",
                     "glimt-", "glsoat-"),
    "npm-token": ("npm_",),
    "pypi-token": ("pypi-",),
    "stripe-key": ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"),
    "anthropic-key": ("sk-ant-",),
    "vault-token": ("hvs.", "hvb.", "hvr."),
    "slack-token": ("xoxb-", "xoxp-", "xoxa-", "xoxo-", "xoxs-", "xoxr-", "xoxe-", "xapp-"),
    "access-token": ("hf_", "dckr_pat_", "glsa_", "glc_", "lin_api_", "figd_", "sbp_",
                     "nfp_", "r8_", "gsk_", "bkua_", "sntrys_", "sntryu_", "shpat_",
                     "shpca_", "shppa_", "shpss_", "dop_v1_", "doo_v1_", "dor_v1_",
                     "HRKU-", "NRAK-", "PMAK-"),
}
_VENDOR_BODY_MIN = 12


def _vendor_prefix_detectors() -> tuple[Detector, ...]:
    return tuple(
        RegexDetector(
            kind,
            r"(?<![A-Za-z0-9_.-])(?P<secret>(?:"
            + "|".join(re.escape(p) for p in prefixes)
            + r")(?P<body>[A-Za-z0-9][A-Za-z0-9_+/=-]{" + str(_VENDOR_BODY_MIN - 1)
            + r",255}))(?![A-Za-z0-9_+/=-])",
            triggers=tuple(p.lower() for p in prefixes),
            accept=_vendor_body,
        )
        for kind, prefixes in _VENDOR_PREFIXES.items()
    )


def _decodes_to_userinfo(match: re.Match[str]) -> bool:
    """A Docker config's ``auth`` is base64 of ``user:password``."""
    try:
        decoded = base64.b64decode(match.group("secret"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded.strip(":")


def known_format_detectors() -> tuple[Detector, ...]:
    """In priority order: of equally wide overlapping findings, the earlier names the kind."""
    return (
        InlinePemDetector(),
        RegexDetector(
            "aws-access-key-id",
            _B + r"(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})" + _E,
            exact_triggers=("AKIA", "ASIA", "ABIA", "ACCA"),
        ),
        RegexDetector(
            "aws-secret-access-key",
            r"(?i:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)"
            r"[\"']?\s*(?::|=>?)\s*[\"']?(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
            triggers=("secret",),
            routed=True,
        ),
        RegexDetector(
            # A key id followed by its secret, as in credential CSVs, `aws configure list`
            # and pasted pairs ("AKIA... / <secret>", "id AKIA... secret <secret>"): the
            # 40-character value next to a key id is its secret, whatever few words join them.
            "aws-secret-access-key",
            r"(?:AKIA|ASIA)[A-Z0-9]{16}(?:" + _AWS_JOIN + r"(?i:and|aws|the|its|secret|access"
            r"|key|sk))*?" + _AWS_JOIN + r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
            exact_triggers=("AKIA", "ASIA"),
        ),
        RegexDetector(
            "gcp-private-key-id",
            r"private_key_id[\"']?\s*[:=]\s*[\"']?(?P<secret>[0-9a-f]{40})(?![0-9a-fA-F])",
            triggers=("private_key_id",),
        ),
        RegexDetector(
            "azure-account-key",
            r"(?i:accountkey|sharedaccesskey)\s*=\s*(?P<secret>[A-Za-z0-9+/]{20,}={0,2})",
            triggers=("accountkey", "sharedaccesskey"),
        ),
        RegexDetector(
            "azure-sas-signature",
            r"(?<![A-Za-z0-9_])(?i:sig)=(?P<secret>(?:[A-Za-z0-9+/=]|%[0-9A-Fa-f]{2}){16,})",
            triggers=("sig=",),
        ),
        RegexDetector(
            "slack-token",
            _B + r"(?P<secret>xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,})",
            triggers=("xox", "xapp-"),
        ),
        RegexDetector(
            "github-token",
            r"(?<![A-Za-z0-9_])(?P<secret>gh[pousr]_[A-Za-z0-9]{36,251}"
            r"|github_pat_[A-Za-z0-9_]{22,244})(?![A-Za-z0-9_])",
            triggers=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        ),
        RegexDetector(
            "gitlab-token",
            # Personal, runner, deploy, pipeline trigger, OAuth app, CI job, feed, incoming
            # mail and SCIM tokens, and runner registration tokens.
            _B + r"(?P<secret>gl(?:pat|rt|dt|ptt|oas|cbt|ft|imt|soat)-[A-Za-z0-9_-]{20,}"
            r"|GR1348941[A-Za-z0-9_-]{20,})",
            triggers=("glpat-", "glrt-", "gldt-", "glptt-", "gloas-", "glcbt-", "glft-",
                      "glimt-", "glsoat-", "gr1348941"),
        ),
        RegexDetector(
            "stripe-key",
            _B + r"(?P<secret>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})",
            triggers=("k_live_", "k_test_", "whsec_"),
        ),
        RegexDetector(
            "anthropic-key",
            r"(?<![A-Za-z0-9_-])(?P<secret>sk-ant-[a-z]+[0-9]{2}-[A-Za-z0-9_-]{32,})",
            triggers=("sk-ant-",),
        ),
        RegexDetector(
            "openai-key",
            r"(?<![A-Za-z0-9_-])(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})",
            triggers=("sk-",),
            accept=_mixed,
        ),
        RegexDetector(
            "npm-token",
            r"(?<![A-Za-z0-9_])(?P<secret>npm_[A-Za-z0-9]{36})" + _E,
            triggers=("npm_",),
        ),
        RegexDetector(
            "pypi-token",
            _B + r"(?P<secret>pypi-Ag[A-Za-z0-9_-]{50,})",
            triggers=("pypi-ag",),
        ),
        RegexDetector(
            "twilio-api-key",
            _B + r"(?P<secret>SK[0-9a-fA-F]{32})" + _E,
            exact_triggers=("SK[0-9a-fA-F]{32}",),
        ),
        RegexDetector(
            "twilio-account-sid",
            _B + r"(?P<secret>AC[0-9a-fA-F]{32})" + _E,
            exact_triggers=("AC[0-9a-fA-F]{32}",),
        ),
        RegexDetector(
            "sendgrid-key",
            _B + r"(?P<secret>SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64})(?![A-Za-z0-9_-])",
            exact_triggers=("SG.",),
        ),
        RegexDetector(
            "google-api-key",
            _B + r"(?P<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])",
            exact_triggers=("AIza",),
        ),
        RegexDetector(
            "vault-token",
            _B + r"(?P<secret>hv[sbr]\.[A-Za-z0-9_-]{24,})",
            triggers=("hvs.", "hvb.", "hvr."),
        ),
        RegexDetector(
            # Personal access tokens of Docker Hub, DigitalOcean and Hugging Face.
            "access-token",
            r"(?<![A-Za-z0-9_])(?P<secret>dckr_pat_[A-Za-z0-9_-]{27}|dop_v1_[a-f0-9]{64}"
            r"|hf_[A-Za-z]{34})(?![A-Za-z0-9])",
            triggers=("dckr_pat_", "dop_v1_", "hf_"),
        ),
        RegexDetector(
            # More vendors' tokens, each with a documented prefix: Heroku, Shopify, Linear,
            # New Relic, Grafana, Doppler, Pulumi, Terraform Cloud, Atlassian, Databricks,
            # Postman, Sentry, Buildkite, Figma, Supabase, Netlify, Replicate, Groq,
            # DigitalOcean OAuth, Square, Google OAuth, Mapbox.
            "access-token",
            r"(?<![A-Za-z0-9_.-])(?P<secret>HRKU-[A-Za-z0-9_-]{20,}|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"
            r"|lin_api_[A-Za-z0-9]{40}|NRAK-[A-Z0-9]{27}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"
            r"|glc_[A-Za-z0-9+/]{32,}={0,2}|dp\.(?:st|pt|ct|sa|scim|audit)\.[A-Za-z0-9_.-]{40,}"
            r"|pul-[a-f0-9]{40}|[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}"
            r"|ATATT3[A-Za-z0-9_=-]{30,}|dapi[a-f0-9]{32}(?:-[0-9])?"
            r"|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|sntr[ysu]_[A-Za-z0-9+/=_-]{30,}"
            r"|bkua_[a-f0-9]{40}|figd_[A-Za-z0-9_-]{30,}|sbp_[a-f0-9]{40}|nfp_[A-Za-z0-9]{36}"
            r"|r8_[A-Za-z0-9]{37}|gsk_[A-Za-z0-9]{48,}|do[or]_v1_[a-f0-9]{64}"
            r"|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,43}|GOCSPX-[A-Za-z0-9_-]{28}"
            r"|ya29\.[A-Za-z0-9_-]{20,}|sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,})"
            r"(?![A-Za-z0-9_])",
            triggers=("hrku-", "shp", "lin_api_", "nrak-",
                      "glsa_", "glc_", "dp.", "pul-", ".atlasv1.", "atatt3", "dapi", "pmak-",
                      "sntry", "bkua_", "figd_", "sbp_", "nfp_", "r8_", "gsk_", "_v1_",
                      "sq0", "gocspx-", "ya29.", "sk.eyj"),
        ),
        RegexDetector(
            # Microsoft Entra (Azure AD) client secrets: three characters, a digit, "Q~".
            "azure-client-secret",
            r"(?<![A-Za-z0-9_~.-])(?P<secret>[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})"
            r"(?![A-Za-z0-9_~.-])",
            exact_triggers=("Q~",),
        ),
        RegexDetector(
            # Telegram bot tokens: the bot's id, a colon, "AA" and 33 more characters.
            "access-token",
            r"(?<![A-Za-z0-9_:-])(?P<secret>[0-9]{8,10}:AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])",
            exact_triggers=(":AA",),
        ),
        RegexDetector(
            # age identities (X25519 private keys, Bech32).
            "private-key",
            _B + r"(?P<secret>AGE-SECRET-KEY-1[0-9A-Z]{58})" + _E,
            exact_triggers=("AGE-SECRET-KEY-1",),
        ),
        RegexDetector(
            # Slack incoming webhooks: the URL path is the credential.
            "slack-webhook",
            r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9_/-]{20,})",
            triggers=("hooks.slack.com/",),
        ),
        RegexDetector(
            # Discord webhooks: as with Slack's, the URL's last segment is the credential.
            "discord-webhook",
            r"discord(?:app)?\.com/api/webhooks/[0-9]+/(?P<secret>[A-Za-z0-9_-]{20,})",
            triggers=("/api/webhooks/",),
        ),
        RegexDetector(
            # Pre-signed S3 and GCS URLs: the signature alone grants access until expiry.
            "url-signature",
            r"(?i:x-(?:amz|goog)-signature)=(?P<secret>[0-9a-fA-F]{32,})",
            triggers=("-signature=",),
        ),
        RegexDetector(
            # CloudFront and other CDNs' signed URLs: Signature= grants access until Expires.
            "url-signature",
            r"[?&](?i:signature)=(?P<secret>(?:[A-Za-z0-9_~+/=-]|%[0-9A-Fa-f]{2}){20,})",
            triggers=("signature=",),
        ),
        RegexDetector(
            # Microsoft Teams incoming webhooks: as with Slack's, the URL path is the credential.
            "teams-webhook",
            r"webhook\.office\.com/webhookb2/(?P<secret>[A-Za-z0-9@/_-]{40,})",
            triggers=("webhook.office.com/",),
        ),
        RegexDetector(
            # "basic auth ZGVw...": base64 of user:password named by its scheme alone.
            "authorization",
            r"(?<![A-Za-z0-9_-])(?i:basic)(?:[ \t]+(?i:auth(?:entication)?|creds|credentials))?"
            r"[ \t]*[:=]?[ \t]*(?P<secret>[A-Za-z0-9+/]{12,}={0,2})(?![A-Za-z0-9+/=])",
            triggers=("basic",),
            accept=_decodes_to_userinfo,
        ),
        RegexDetector(
            # Registry credentials: a Docker config's "auth" entries (JSON, or YAML as in
            # pasted Helm values), and the whole config as a Kubernetes pull secret carries
            # it (base64 JSON).
            "registry-auth",
            r"(?<![\w-])[\"']?auth[\"']?\s*:\s*[\"']?(?P<secret>[A-Za-z0-9+/]{8,}={0,2})"
            r"(?![A-Za-z0-9+/=])",
            triggers=('"auth"', "'auth'", "auth:"),
            accept=_decodes_to_userinfo,
        ),
        RegexDetector(
            "registry-auth",
            r"\.docker(?:configjson|cfg)[\"']?\s*:\s*[\"']?(?P<secret>[A-Za-z0-9+/]{16,}={0,2})",
            triggers=(".dockerconfigjson", ".dockercfg"),
        ),
        RegexDetector(
            "jwt",
            r"(?<![A-Za-z0-9_-])(?P<secret>eyJ[A-Za-z0-9_-]{5,}\.ey[A-Za-z0-9_-]{5,}"
            r"\.[A-Za-z0-9_-]*)",
            triggers=("eyj",),
            routed=True,
        ),
        RegexDetector(
            # scheme://user:password@host. People paste passwords unencoded, '@', '#' and '?'
            # included, so the userinfo runs to the last '@' before the host (a path's '/'
            # ends the authority).
            "url-password",
            r"://(?P<user>[^\s:@/?#\"'<>]*):(?P<secret>[^\s/\"'<>]+)@",
            triggers=(r"://[^\s/@]*@",),
            routed=True,
            accept=password_not_port,
        ),
        RegexDetector(
            # Go MySQL driver DSNs: user:password@tcp(host:3306)/db
            "url-password",
            r"(?<![\w.-])[\w.-]+:(?P<secret>[^\s@/:]+)@(?:tcp|unix|udp)\(",
            triggers=(r"@(?:tcp|unix|udp)\(",),
            accept=_not_dummy,
        ),
        *userinfo_detectors(),
        *_vendor_prefix_detectors(),
        RegexDetector(
            # Vendors mark their keys with a short lower-case prefix and an underscore
            # before a long generated part (Honeycomb's hcaik_, Linear's lin_api_, a
            # team's own acme_live_); one unknown here is still a key.
            "prefixed-token",
            r"(?<![A-Za-z0-9_.-])(?P<secret>[a-z][a-z0-9]{1,7}(?:_[a-z0-9]{2,8}){0,2}_"
            r"(?P<body>[A-Za-z0-9]{28,256}))(?![A-Za-z0-9_-])",
            exact_triggers=(r"_[A-Za-z0-9]{28}",),
            accept=_random_body,
        ),
        RegexDetector(
            "bearer-token",
            r"(?<![A-Za-z0-9_-])(?i:bearer)[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)",
            triggers=("bearer",),
            routed=True,
            accept=_has_digit,
        ),
    )
