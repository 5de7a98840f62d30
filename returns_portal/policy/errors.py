"""Errors the policy engine raises: bad input, and merchant rules that cut a statutory right."""

from __future__ import annotations

from dataclasses import dataclass


class PolicyInputError(ValueError):
    """Input failed validation; `errors` maps dotted field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = {path: list(messages) for path, messages in sorted(errors.items())}
        summary = "; ".join(f"{path}: {', '.join(msgs)}" for path, msgs in self.errors.items())
        super().__init__(summary or "invalid input")


@dataclass(frozen=True)
class Violation:
    """One merchant rule that would cut a statutory right."""

    rule: str  # dotted path into the policy document, e.g. "windows.categories.apparel"
    right: str  # the right it cuts, e.g. "cn-7day: 7-day no-reason return (RULES.md)"
    message: str


class PolicyRefused(ValueError):
    """The policy document was refused because its rules cut statutory rights."""

    def __init__(self, violations: tuple[Violation, ...] | list[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__("; ".join(f"{v.rule}: {v.message}" for v in self.violations))


class ErrorCollector:
    """Collect validation messages by dotted path, then raise them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        """Record `message` against `path`."""
        self.errors.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        """Raise PolicyInputError when anything was recorded."""
        if self.errors:
            raise PolicyInputError(self.errors)
