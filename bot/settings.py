"""Settings: one pydantic-settings class, read from the environment and ``.env``, built once at start."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class Settings(BaseSettings):
    """Everything in CONTRACT.md's settings table; secrets never appear in repr or logs."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field("sqlite:///./guatu.db", alias="DATABASE_URL")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    port: int = Field(3000, alias="PORT", ge=0, le=65535)
    host: str = Field("127.0.0.1", alias="HOST", min_length=1)
    tz_name: str = Field("Asia/Shanghai", alias="GUATU_TZ")
    lang: Literal["zh", "en"] = Field("zh", alias="GUATU_LANG")
    scheduler: Literal["on", "off"] = Field("on", alias="GUATU_SCHEDULER")
    # The base URL people reach ``serve`` at, for links such as the wall screen's; unset: http://HOST:PORT.
    public_url: str | None = Field(None, alias="GUATU_PUBLIC_URL")
    dingtalk_client_id: str | None = Field(None, alias="DINGTALK_CLIENT_ID")
    dingtalk_client_secret: SecretStr | None = Field(None, alias="DINGTALK_CLIENT_SECRET")
    dingtalk_robot_code: str | None = Field(None, alias="DINGTALK_ROBOT_CODE")
    dingtalk_openapi_endpoint: str = Field("https://api.dingtalk.com", alias="DINGTALK_OPENAPI_ENDPOINT")
    # The interactive card template (卡片搭建平台) task cards are drawn with; unset: cards go as markdown.
    dingtalk_card_template_id: str | None = Field(None, alias="DINGTALK_CARD_TEMPLATE_ID")
    # The top escalation level as DING (in-app "app", "sms", "call"); "off" sends it as a message.
    dingtalk_ding: Literal["off", "app", "sms", "call"] = Field("off", alias="DINGTALK_DING")
    # How often ``serve`` tries Slack again when it is unreachable at start; unset: until it answers.
    start_retries: int | None = Field(None, alias="GUATU_START_RETRIES", ge=0)

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, v: str) -> str:
        # WebClient joins with urljoin: without the slash the last path segment is dropped.
        return v if v.endswith("/") else v + "/"

    @field_validator("dingtalk_openapi_endpoint")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @field_validator("tz_name")
    @classmethod
    def _known_tz(cls, v: str) -> str:
        ZoneInfo(v)  # raises for an unknown zone, at start-up rather than at the first reminder
        return v

    @field_validator("lang", mode="before")
    @classmethod
    def _lang(cls, v: object) -> object:
        return v.lower() if isinstance(v, str) else v

    @property
    def safe_database_url(self) -> str:
        """The database URL as it may be printed or logged: any password replaced by ``***``."""
        return safe_url(self.database_url)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    @property
    def slack_http(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    @property
    def socket_mode(self) -> bool:
        return self.slack_bot_token is not None and self.slack_app_token is not None

    @property
    def public_base(self) -> str:
        """Where people reach ``serve``: GUATU_PUBLIC_URL without a trailing slash, else http://HOST:PORT."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def dingtalk(self) -> bool:
        """All three DingTalk credentials are set: ``serve`` runs the DingTalk surface in Stream mode."""
        return bool(self.dingtalk_client_id and self.dingtalk_client_secret and self.dingtalk_robot_code)

    @property
    def slack(self) -> bool:
        return self.slack_http or self.socket_mode

    @property
    def scheduler_on(self) -> bool:
        return self.scheduler == "on"


def safe_url(url: str) -> str:
    """``url`` without its password, for banners and logs; a URL SQLAlchemy cannot read shows no user part at all."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        scheme, sep, rest = url.partition("://")
        return scheme + sep + rest.rpartition("@")[2] if sep else "<unreadable URL>"
