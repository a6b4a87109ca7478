"""Which field and key names hold secrets, from the configured fragments (`[tool.backcheck]
sensitive_fields`). Names are compared word by word (`password_hash`, `apiKey`, `APIKey` all split into
words), so `passwords_match` or `hashtag` do not match, and names that describe a secret rather than hold
it (`password_changed_at`, `token_type`, `has_password`, `prompt_tokens`) are left out."""

from __future__ import annotations

import re
from functools import lru_cache

_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# A last word that makes the name about the secret, not the secret itself.
_META_LAST = {
    "type", "types", "at", "on", "date", "time", "timestamp", "ttl", "expires", "expiry", "expiration", "expired",
    "exp", "lifetime", "length", "len", "count", "counts", "changed", "change", "changes", "updated", "created",
    "set", "required", "reset", "policy", "strength", "hint", "hints", "rule", "rules", "enabled", "disabled",
    "url", "uri", "endpoint", "id", "ids", "name", "label", "version", "field", "fields", "format", "prefix",
    "suffix", "last4", "algorithm", "algo", "usage", "used", "limit", "valid", "validity", "status", "state",
    "scope", "scopes", "mask", "masked", "strategy", "provider", "kind", "path", "location", "header", "param",
    "configured", "present", "exists", "sent", "confirmed", "verified", "error", "errors", "message", "form",
    "input", "placeholder", "min", "max", "regex", "pattern", "validator", "backend", "hasher", "salt_length",
}
# A first word that makes the name a flag or a count.
_FLAG_FIRST = {"is", "has", "have", "needs", "need", "requires", "require", "should", "must", "can", "allow",
               "allows", "use", "uses", "show", "force", "enable", "no", "num", "number", "total", "max", "min",
               "with", "without", "new_", "check", "validate", "verify", "confirm", "repeat", "old"}
# Words before `token` that make it something else: a page cursor, an LLM count, a CSRF field.
_NOT_SECRET_TOKEN = {"page", "next", "prev", "previous", "continuation", "pagination", "cursor", "sync", "csrf",
                     "xsrf", "prompt", "completion", "input", "output", "max", "total", "num", "device", "push",
                     "fcm", "apns", "notification"}
# Fragments that hold a secret only with more context (see `weak`).
WEAK = {"token", "card_number", "hash"}
# Words that make a token one the requester must never see: it proves control of an inbox or phone.
RESET_WORDS = {"reset", "forgot", "forgotten", "recover", "recovery", "verify", "verification", "confirm",
               "confirmation", "activate", "activation", "invite", "invitation", "magic", "unlock", "email",
               "otp"}
_CREDENTIAL_WORDS = {"password", "passwd", "pwd", "pass", "secret", "pin", "otp", "key"}
_CARD_WORDS = {"credit", "debit", "cc", "payment", "bank", "pan"}


def words(name: str) -> list[str]:
    """`password_hash` -> [password, hash]; `apiKey` -> [api, key]; `APIKey` -> [api, key]."""
    return [w.lower() for w in _WORDS.findall(name)]


class Sensitive:
    """Matches names against the configured fragments."""

    def __init__(self, fragments: tuple[str, ...]):
        self.fragments = [(f.lower(), words(f)) for f in fragments if f.strip()]
        self._memo: dict[str, str | None] = {}

    def match(self, name: str) -> str | None:
        """The fragment a name matches ("password", "token", ...), or None. Only a name's own words count."""
        if name in self._memo:
            return self._memo[name]
        found = self._match(name)
        if len(self._memo) < 20_000:
            self._memo[name] = found
        return found

    def _match(self, name: str) -> str | None:
        parts = words(name.rsplit(".", 1)[-1])
        if not parts or parts[-1] in _META_LAST or parts[0] in _FLAG_FIRST:
            return None
        joined = "".join(parts)
        for fragment, fragment_words in self.fragments:
            size = len(fragment_words)
            if not size:
                continue
            hit = joined == fragment.replace("_", "") or any(
                parts[i:i + size] == fragment_words for i in range(len(parts) - size + 1)
            )
            if not hit:
                continue
            if fragment == "token":
                index = parts.index("token") if "token" in parts else -1
                if index > 0 and parts[index - 1] in _NOT_SECRET_TOKEN:
                    continue
            if fragment == "hash" and not _CREDENTIAL_WORDS.intersection(parts):
                continue
            if fragment == "card_number" and not _CARD_WORDS.intersection(parts):
                continue
            return fragment
        return None

    def strong(self, name: str) -> str | None:
        """A fragment that is always a secret in a response (passwords, keys, SSNs ...)."""
        found = self.match(name)
        if found is None or found in WEAK or found.split("_")[0] in WEAK:
            return None
        return found

    def weak(self, name: str) -> str | None:
        """A token: sent on purpose by sign-in flows, a leak when it is a reset/verification token."""
        found = self.match(name)
        return found if found is not None and (found in WEAK or found.split("_")[0] in WEAK) else None


def reset_flow(*texts: str) -> bool:
    """A route or name about resetting, verifying or recovering an account."""
    return any(RESET_WORDS.intersection(words(t)) for t in texts if t)


@lru_cache(maxsize=8)
def sensitive_for(fragments: tuple[str, ...]) -> Sensitive:
    """One matcher per configured fragment list."""
    return Sensitive(fragments)
