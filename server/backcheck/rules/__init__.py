"""Rule discovery: every module under this package that defines a `Rule` subclass with a code is a rule.
Adding a rule means adding its module and its fixture; nothing else is listed by hand."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from backcheck.rules.base import SEVERITIES, Rule


class RegistryError(Exception):
    """Two rules claim one code, or a rule is malformed."""


def _discover() -> list[type[Rule]]:
    found: list[type[Rule]] = []
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        if info.name.endswith(".base"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and value.code
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def build_registry(classes: list[type[Rule]]) -> dict[str, Rule]:
    """Instances by code; refuses duplicates and malformed declarations."""
    registry: dict[str, Rule] = {}
    names: dict[str, str] = {}
    for cls in classes:
        if cls.code in registry:
            raise RegistryError(
                f"rule code {cls.code} is declared twice: {registry[cls.code].__class__.__module__} "
                f"and {cls.__module__}"
            )
        if cls.name in names:
            raise RegistryError(f"rule name {cls.name} is used by {names[cls.name]} and {cls.code}")
        if cls.severity not in SEVERITIES:
            raise RegistryError(f"{cls.code}: severity must be one of {SEVERITIES}")
        registry[cls.code] = cls()
        names[cls.name] = cls.code
    return dict(sorted(registry.items()))


@lru_cache(maxsize=1)
def registry() -> dict[str, Rule]:
    """All rules, by code, discovered once per process."""
    return build_registry(_discover())


def lookup(code_or_name: str) -> Rule | None:
    rules = registry()
    key = code_or_name.strip()
    if key.upper() in rules:
        return rules[key.upper()]
    return next((r for r in rules.values() if r.name == key), None)
