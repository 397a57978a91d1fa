"""Settings: argument, then environment, then `.streamlit/secrets.toml`, then default.

A missing secrets file is normal. Keys are kept as `SecretStr` so they never
appear in reprs, logs or error messages.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from pydantic import SecretStr

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MAX_ANSWER_CHARS = 6000
# A full build of the shipped notes takes about 3 minutes on 2 cores: a second
# `index`, `grade` or the app started meanwhile waits it out instead of failing.
DEFAULT_INDEX_WAIT_S = 300.0
# The longest a user waits for an LLM grade, retries included, before the
# offline grade is shown: 60 s x 3 attempts (182 s) was reported as far too long.
DEFAULT_TURN_BUDGET_S = 45.0

# setting name -> (environment variable, secrets.toml key)
_SOURCES = {
    "knowledge_dir": ("INTERVIEWER_KNOWLEDGE_DIR", "knowledge_dir"),
    "data_dir": ("INTERVIEWER_DATA_DIR", "data_dir"),
    "index_dir": ("INTERVIEWER_INDEX_DIR", "index_dir"),
    "index_wait_s": ("INTERVIEWER_INDEX_WAIT_S", "index_wait_s"),
    "db_path": ("INTERVIEWER_DB", "db_path"),
    "database_url": ("INTERVIEWER_DATABASE_URL", "database_url"),
    "chroma_url": ("INTERVIEWER_CHROMA_URL", "chroma_url"),
    "max_answer_chars": ("INTERVIEWER_MAX_ANSWER_CHARS", "max_answer_chars"),
    "provider": ("INTERVIEWER_PROVIDER", "provider"),
    "model": ("INTERVIEWER_MODEL", "model"),
    "base_url": ("INTERVIEWER_BASE_URL", "base_url"),
    "timeout_s": ("INTERVIEWER_TIMEOUT_S", "timeout_s"),
    "max_retries": ("INTERVIEWER_MAX_RETRIES", "max_retries"),
    "turn_budget_s": ("INTERVIEWER_TURN_BUDGET_S", "turn_budget_s"),
    "context_budget_tokens": ("INTERVIEWER_CONTEXT_BUDGET_TOKENS", "context_budget_tokens"),
    "offline_grader": ("INTERVIEWER_OFFLINE_GRADER", "offline_grader"),
    "host": ("INTERVIEWER_HOST", "host"),
    "keep_audio": ("INTERVIEWER_KEEP_AUDIO", "keep_audio"),
    "audio_limit_mb": ("INTERVIEWER_AUDIO_LIMIT_MB", "audio_limit_mb"),
}
PROVIDERS = ("offline", "openai", "anthropic", "openai-compatible")
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5",
                  "openai-compatible": "llama3.1"}
# Where each provider's key is looked up, after INTERVIEWER_API_KEY.
KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
           "openai-compatible": "OPENAI_API_KEY"}


@dataclass
class Settings:
    """Where things live and which grader runs."""

    knowledge_dir: Path = REPO_ROOT / "knowledge"
    data_dir: Path = REPO_ROOT / ".interviewer"
    index_dir: Path | None = None
    # How long a process waits for another one using the index (seconds).
    index_wait_s: float = DEFAULT_INDEX_WAIT_S
    db_path: Path | None = None
    # postgresql://user:password@host:port/db puts the store on PostgreSQL
    # (db_path is then unused). Kept out of repr: the URL carries a password.
    database_url: str | None = field(default=None, repr=False)
    # http://host:port of a Chroma server (`chroma run`); index_dir is then unused.
    chroma_url: str | None = None
    max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS
    provider: str = "offline"
    model: str | None = None
    base_url: str | None = None
    api_key: SecretStr | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    max_retries: int = 2
    turn_budget_s: float = DEFAULT_TURN_BUDGET_S
    context_budget_tokens: int = 3000
    # 'offline' (embeddings + claim judge, the default) or 'embedding' (embeddings only)
    offline_grader: str = "offline"
    prices: dict = field(default_factory=dict)
    # The address `interviewer run` listens on; anything but loopback makes
    # the app reachable from other computers, and then passphrases are required.
    host: str = "127.0.0.1"
    # Spoken answers: keep each recording with its turn (replayable in History),
    # up to this many megabytes per profile (16 kHz WAV is ~1.9 MB a minute, so
    # 200 MB holds about 100 minutes of answers).
    keep_audio: bool = True
    audio_limit_mb: float = 200.0

    def __post_init__(self):
        self.knowledge_dir = Path(self.knowledge_dir)
        self.data_dir = Path(self.data_dir)
        self.index_dir = Path(self.index_dir) if self.index_dir else self.data_dir / "index"
        self.db_path = Path(self.db_path) if self.db_path else self.data_dir / "interviewer.db"
        self.database_url = (self.database_url or "").strip() or None
        if self.database_url and not self.database_url.startswith(("postgresql://",
                                                                     "postgres://")):
            raise ValueError("INTERVIEWER_DATABASE_URL must be a postgresql:// URL (leave it "
                             "unset for the SQLite file INTERVIEWER_DB)")
        self.chroma_url = (self.chroma_url or "").strip().rstrip("/") or None
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            raise ValueError("INTERVIEWER_CHROMA_URL must be an http:// or https:// URL of a "
                             f"Chroma server, got {self.chroma_url!r}")
        self.max_answer_chars = int(self.max_answer_chars)
        self.index_wait_s = float(self.index_wait_s)
        if self.index_wait_s < 0:
            raise ValueError(f"INTERVIEWER_INDEX_WAIT_S must be 0 or more, got {self.index_wait_s}")
        self.timeout_s = float(self.timeout_s)
        self.max_retries = int(self.max_retries)
        try:
            self.turn_budget_s = float(self.turn_budget_s)
        except (TypeError, ValueError):
            self.turn_budget_s = float("nan")
        if not self.turn_budget_s > 0:  # NaN fails this too
            raise ValueError("the turn budget (INTERVIEWER_TURN_BUDGET_S) must be a positive "
                             "number of seconds")
        self.context_budget_tokens = int(self.context_budget_tokens)
        if isinstance(self.keep_audio, str):
            if self.keep_audio.strip().lower() not in ("1", "0", "true", "false", "yes", "no",
                                                       "on", "off"):
                raise ValueError("INTERVIEWER_KEEP_AUDIO must be true or false, got "
                                 f"{self.keep_audio!r}")
            self.keep_audio = self.keep_audio.strip().lower() in ("1", "true", "yes", "on")
        self.audio_limit_mb = float(self.audio_limit_mb)
        if self.audio_limit_mb < 0:
            raise ValueError("INTERVIEWER_AUDIO_LIMIT_MB must be 0 or more")
        if self.offline_grader not in ("offline", "embedding"):
            raise ValueError(f"unknown offline grader {self.offline_grader!r}; choose 'offline' "
                             "(claim judge) or 'embedding'")
        if self.provider not in PROVIDERS:
            raise ValueError(f"unknown provider {self.provider!r}; choose one of {PROVIDERS}")
        if self.provider != "offline" and not self.model:
            self.model = DEFAULT_MODELS[self.provider]

    @property
    def store_location(self) -> str | Path:
        """Where the store lives: the PostgreSQL URL when set, else the SQLite file."""
        return self.database_url or self.db_path

    @property
    def server_mode(self) -> bool:
        """Whether replicas share a database server (then profiles are accounts)."""
        return self.database_url is not None

    @property
    def guide_path(self) -> Path:
        """The question bank."""
        return self.knowledge_dir / "guide.md"

    @property
    def notes_dir(self) -> Path:
        """The answer keys and notes."""
        return self.knowledge_dir / "notes"


def read_secrets(path: Path | None = None) -> dict:
    """The `[interviewer]` table (or top level) of `.streamlit/secrets.toml`, if any."""
    path = path or Path.cwd() / ".streamlit" / "secrets.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return dict(data.get("interviewer", data))


def load_settings(secrets_path: Path | None = None, **overrides) -> Settings:
    """Resolve settings: explicit overrides, environment, secrets file, defaults."""
    secrets = read_secrets(secrets_path)
    values: dict = {}
    for f in fields(Settings):
        if f.name in ("api_key", "prices"):
            continue
        if overrides.get(f.name) is not None:
            values[f.name] = overrides[f.name]
            continue
        env, key = _SOURCES.get(f.name, (None, None))
        if env and os.environ.get(env):
            values[f.name] = os.environ[env]
        elif key and secrets.get(key) is not None:
            values[f.name] = secrets[key]
    provider = values.get("provider", "offline")
    key = (overrides.get("api_key") or os.environ.get("INTERVIEWER_API_KEY")
           or os.environ.get(KEY_ENV.get(provider, ""), "") or secrets.get("api_key"))
    if key:
        values["api_key"] = key if isinstance(key, SecretStr) else SecretStr(str(key))
    if isinstance(secrets.get("prices"), dict):
        values["prices"] = {m: tuple(v) for m, v in secrets["prices"].items()}
    return Settings(**values)
