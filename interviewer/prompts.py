"""Prompt files in prompts/, rendered with named variables; each has a content hash."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_VAR_RE = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


class PromptError(ValueError):
    """A prompt rendered with missing or unexpected variables."""


@dataclass(frozen=True)
class Prompt:
    """A template and the hash of its text."""

    name: str
    text: str

    @property
    def variables(self) -> set[str]:
        """Names the template uses."""
        return set(_VAR_RE.findall(self.text))

    @property
    def hash(self) -> str:
        """Short content hash, recorded with every grade the prompt produces."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]

    def render(self, **values: str) -> str:
        """Fill every variable; a missing or unused one is an error."""
        missing = self.variables - values.keys()
        if missing:
            raise PromptError(f"prompt {self.name!r} needs {sorted(missing)}")
        unused = values.keys() - self.variables
        if unused:
            raise PromptError(f"prompt {self.name!r} does not use {sorted(unused)}")
        # One pass, so a value that itself contains '{{x}}' is left as text.
        return _VAR_RE.sub(lambda m: str(values[m.group(1)]), self.text)


@lru_cache(maxsize=None)
def load_prompt(name: str, folder: Path = PROMPTS_DIR) -> Prompt:
    """Read prompts/<name>.md."""
    path = Path(folder) / f"{name}.md"
    return Prompt(name=name, text=path.read_text(encoding="utf-8"))


def version(*prompts: Prompt) -> str:
    """One hash for a set of prompts used together."""
    joined = "\x00".join(f"{p.name}\x00{p.text}" for p in prompts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:12]
