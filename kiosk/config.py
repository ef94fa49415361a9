"""Configuration: ``config.toml`` loaded into pydantic models, secrets from the environment.

The file is found by ``KIOSK_CONFIG`` or else ``./config.toml``; a missing file means all
defaults. This PC's own file (:func:`terminal_file`, written by ``kiosk enrol``) is read on
top of it, so one lab-wide ``config.toml`` serves every PC. Any key can be overridden from the
environment as ``KIOSK_<SECTION>__<KEY>`` (e.g. ``KIOSK_SERVER__SECRET_KEY``), which is how
secrets stay out of the file. pydantic-settings layers the three (environment over this PC's
file over the shared one). A bad value raises :class:`ConfigError`, whose message names the
file, the key and the problem.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from kiosk.fields import KEY_FIELDS, unknown_field_keys
from kiosk.policy import RULE_NAMES

ENV_FILE = "KIOSK_CONFIG"
ENV_TERMINAL_FILE = "KIOSK_TERMINAL_FILE"
ENV_PREFIX = "KIOSK_"
# Values that were once shipped as examples: anyone who read the repository knows them.
EXAMPLE_SECRETS = frozenset({"demo-secret-change-me-in-production"})
MIN_SECRET_BYTES = 32
SECRET_HOWTO = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'  # noqa: S105


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` cannot sign tickets and photo links, or None when it can.

    Checked when the server starts, not when the file is read: the demo and the tests build
    settings without a secret and give them one of their own.
    """
    if not secret:
        return "is not set"
    if secret in EXAMPLE_SECRETS:
        return "is the published example value"
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"is shorter than {MIN_SECRET_BYTES} bytes"
    return None


def _http_url(value: str) -> str:
    # Checked here so that a typo is named at start-up, not met as a failed request later.
    if value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
            raise ValueError("must be an http:// or https:// URL with a host")
    return value


def unreachable_from_phones(url: str) -> bool:
    """True when ``url`` names this machine only (loopback) or no machine (0.0.0.0, ::).

    A phone that scans a photo QR code would try to open it on itself, or nowhere.
    """
    import ipaddress

    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: it is DNS's to resolve, and the lab's to reach
    return address.is_loopback or address.is_unspecified


UrlOrEmpty = Annotated[str, AfterValidator(_http_url)]
"""An http(s) URL, or empty where the key is optional."""


def _json_table(value: Any) -> Any:
    """A table given in the environment, where it can only be a JSON string."""
    # Decoded here, not by pydantic-settings, so that a mistake is named by its key.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg}") from None
    return value


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why."""


class Section(BaseModel):
    """Base of the config sections: unknown keys are errors, so a typo cannot pass unnoticed.

    The attribute docstrings document the keys for readers of this file only: pydantic's
    ``use_attribute_docstrings`` would copy them into the fields by reading and parsing this
    source at import, which costs every start of the kiosk ~30 ms, and nothing reads them.
    """

    model_config = ConfigDict(extra="forbid")


class KioskSettings(Section):
    """The ``[kiosk]`` section: one lab terminal."""

    server_url: Annotated[UrlOrEmpty, Field(min_length=1)] = "http://127.0.0.1:8000"
    """Base URL of the university server."""

    terminal_key: str = ""
    """This terminal's key, ``<terminal_id>.<secret>``, from ``kiosk admin add-terminal``.
    Keep it out of the file: set ``KIOSK_KIOSK__TERMINAL_KEY``."""

    school_name: str = "湖州师范学院"
    """Shown on the welcome screen."""

    language: Literal["zh", "en"] = "zh"
    """Language the kiosk starts in; F2 switches at any time."""

    theme: Literal["default", "high-contrast"] = "default"
    """``high-contrast`` for students who need it."""

    idle_timeout_s: Annotated[int, Field(ge=15, le=3600)] = 120
    """Seconds without a key press before the idle warning."""

    idle_warning_s: Annotated[int, Field(ge=5, le=300)] = 30
    """Seconds the idle warning counts down before logging out."""

    receipt_countdown_s: Annotated[int, Field(ge=5, le=600)] = 60
    """Seconds the receipt stays before the kiosk returns to the welcome screen."""

    request_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    """Timeout for one request to the server."""

    staff_pin_hash: str = ""
    """argon2 hash of the staff PIN that unlocks ctrl+q (``kiosk admin hash-pin``).
    Empty means the kiosk cannot be left from the keyboard."""

    outbox_path: Path = Path("var/outbox.sqlite3")
    """Where results wait until the server has them."""

    college_offices: Annotated[
        dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=100)]],
        NoDecode,
    ] = {}
    """Where each college's teaching office (教学办) is, by the 分院 of the record, e.g.
    ``"信息工程学院" = "行政楼 305"``; the receipt names the student's office and, if listed, its place.
    From the environment as JSON: ``KIOSK_KIOSK__COLLEGE_OFFICES='{"文学院": "文科楼 112"}'``."""

    _tables = field_validator("college_offices", mode="before")(_json_table)


class ServerSettings(Section):
    """The ``[server]`` section: the university server."""

    database_url: str = "sqlite+aiosqlite:///var/server.db"
    """SQLAlchemy URL: ``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://user:pw@host/db``."""

    host: str = "127.0.0.1"
    """Address to listen on."""

    port: Annotated[int, Field(ge=0, le=65535)] = 8000
    """Port to listen on (0 picks a free one)."""

    workers: Annotated[int, Field(ge=1, le=64)] = 1
    """uvicorn worker processes; more than one needs PostgreSQL."""

    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list, max_length=64)
    """Addresses or networks (``10.0.0.5``, ``10.0.0.0/24``) of reverse proxies whose
    ``X-Forwarded-For`` names the client. Empty: the header is ignored, the peer address is
    the client. From the environment: comma-separated, ``KIOSK_SERVER__TRUSTED_PROXIES=…``."""

    public_base_url: UrlOrEmpty = ""
    """Base URL phones use to open photo links; empty means ``http://host:port``."""

    secret_key: str = ""
    """Signs photo links and submission tickets: at least 32 random bytes, from
    ``KIOSK_SERVER__SECRET_KEY``. ``kiosk serve`` refuses to start without one (the demo
    makes a fresh one per run)."""

    photo_link_ttl_s: Annotated[int, Field(ge=30, le=3600)] = 300
    """How long a photo preview link works."""

    proof_link_hours: Annotated[int, Field(ge=1, le=336)] = 72
    """How long the receipt's link to upload proof documents works (a student may need to
    fetch the 户口簿 from home); it also closes when its corrections are decided."""

    proof_max_bytes: Annotated[int, Field(ge=1024, le=10_485_760)] = 10_485_760
    """Largest proof photograph a phone may upload (JPEG or PNG)."""

    session_idle_minutes: Annotated[int, Field(ge=1, le=240)] = 30
    """A session token dies after this long unused."""

    session_absolute_hours: Annotated[float, Field(gt=0, le=24)] = 8
    """A session token dies this long after login, used or not."""

    ticket_days: Annotated[int, Field(ge=1, le=60)] = 7
    """How long a submission ticket lets a terminal deliver a stored result."""

    verification_window_hours: Annotated[int, Field(ge=1, le=24 * 60)] = 24
    """How long a student has to check the record once the window starts."""

    terminal_attempts_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] = 30
    """Logins and registrations one terminal may attempt per minute; more get 429."""

    staff_login_attempts_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] = 30
    """Staff logins one client address may attempt per minute; more get 429."""

    enrolment_attempts_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] = 10
    """Terminal enrolments (``kiosk enrol``) one client address may attempt per minute."""

    lockout_threshold: Annotated[int, Field(ge=1, le=100)] = 5
    """Wrong passwords in a row at one place (terminal, or staff client address) before the
    account locks *there*; elsewhere it stays open."""

    lockout_base_s: Annotated[int, Field(ge=1, le=3600)] = 30
    """First lock's length; it doubles with every further wrong password."""

    lockout_max_s: Annotated[int, Field(ge=1, le=86400)] = 3600
    """Longest lock."""

    account_failures_per_hour: Annotated[int, Field(ge=1, le=100_000)] = 50
    """Wrong passwords an account may take an hour from all places together; past that every
    attempt waits ``account_slowdown_s``, and places that failed are refused 429."""

    account_slowdown_s: Annotated[float, Field(ge=0, le=30)] = 3.0
    """The wait of every login attempt at an account past its hourly ceiling."""

    argon2_time_cost: Annotated[int, Field(ge=1, le=10)] = 2
    """argon2id iterations (OWASP floor: 2 with 19 MiB)."""

    argon2_memory_kib: Annotated[int, Field(ge=8, le=1048576)] = 19456
    """argon2id memory in KiB (OWASP floor: 19456)."""

    argon2_parallelism: Annotated[int, Field(ge=1, le=16)] = 1
    """argon2id lanes."""

    max_body_bytes: Annotated[int, Field(ge=1024, le=10_485_760)] = 65536
    """Larger request bodies are refused with 413."""

    import_max_bytes: Annotated[int, Field(ge=1024, le=1_073_741_824)] = 52_428_800
    """The limit instead for the registrar's two uploads (record files, photo zips), once the
    registrar's token has been checked; the upload is spooled to a temporary file."""

    import_max_rows: Annotated[int, Field(ge=1, le=1_000_000)] = 100_000
    """Most lines a record file may have; a longer file is refused whole (``too_many_rows``)."""

    import_max_entries: Annotated[int, Field(ge=1, le=1_000_000)] = 20_000
    """Most entries a zip (a photo zip, or the parts of an .xlsx) may list."""

    import_max_inflated_bytes: Annotated[int, Field(ge=1024, le=4_294_967_296)] = 268_435_456
    """Most bytes the entries of one zip may inflate to, counted as they are read (a photo
    zip) or as the entries declare them (an .xlsx, whose reader stops at the declared size)."""

    photo_min_bytes: Annotated[int, Field(ge=1, le=10_485_760)] = 10_240
    """Imported photos smaller than this are refused (the spec asks about 20–40 KB)."""

    photo_max_bytes: Annotated[int, Field(ge=1, le=10_485_760)] = 102_400
    """Imported photos larger than this are refused."""

    demo: bool = False
    """Fill an empty database with the generated demo data on start."""

    time_zone: str = "Asia/Shanghai"
    """The school's IANA time zone: times in exports and reports are shown in it."""

    four_eyes: bool = True
    """Separation of duties: who applies a key-field correction may not be who confirmed it.

    ``false`` is for an office with a single registrar. Confirming what one accepted for the
    college is refused either way."""

    # --- the check campaign: progress, reminders (issue 15) ---

    campaign_deadline: dt.date | None = None
    """The day the colleges hand in the 核对统计表 (``2026-06-20``); shown in the progress view
    and in reminders, and the day ``reminder_schedule`` counts back from. Empty: none."""

    reminder_schedule: Annotated[list[Annotated[int, Field(ge=0, le=60)]], NoDecode] = Field(
        default_factory=list, max_length=10
    )
    """Automatic reminders, off when empty: days before ``campaign_deadline`` (``[3, 1]``) on
    which every registered student who has not checked is reminded, once that day."""

    reminder_subject: Annotated[str, Field(min_length=1, max_length=200)] = (
        "学籍核对提醒 / Please check your student record"
    )
    """The subject of reminder mail."""

    reminder_text: Annotated[str, Field(min_length=1, max_length=2000)] = (
        "同学你好：\n\n你还没有核对学籍信息。请在 {deadline} 前到学籍校对终端登录并完成核对。\n\n"
        "Hello,\n\nYou have not checked your student record yet. Please log in at a "
        "record-checking kiosk and check it by {deadline}.\n"
    )
    """Reminder mail, Chinese with the English below; ``{deadline}`` becomes the deadline."""

    reminder_sms: Annotated[str, Field(min_length=1, max_length=300)] = (
        "【学籍校对】你还没有核对学籍信息，请在 {deadline} 前到校对终端完成核对。"
        "Please check your student record at a kiosk by {deadline}."
    )
    """Reminder SMS (keep it short); ``{deadline}`` as in ``reminder_text``."""

    # --- the last mile: key fields, policy rules, the province (issue 14) ---

    key_fields: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(KEY_FIELDS))
    """The fields whose change the provincial education department approves (关键信息); all
    others are school fields the registrar applies directly. Provinces differ."""

    policy_rules_off: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Policy rules (:data:`kiosk.policy.RULES`) this province does not apply, by name."""

    school_code: Annotated[str, Field(pattern=r"^[0-9]{0,5}$")] = ""
    """The school's 5-digit code on the national platform (院校代码, the DBF's YXDM)."""

    register_freeze_date: dt.date | None = None
    """After this day (the register's publication, usually 7月1日) nothing changes."""

    @field_validator("key_fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        if unknown := unknown_field_keys(value):
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; use keys such as id_number")
        return list(dict.fromkeys(value))

    @field_validator("policy_rules_off")
    @classmethod
    def _known_rules(cls, value: list[str]) -> list[str]:
        if unknown := [name for name in value if name not in RULE_NAMES]:
            raise ValueError(
                f"unknown rule(s) {', '.join(unknown)}; the rules are {', '.join(RULE_NAMES)}"
            )
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """:attr:`time_zone` as a ``tzinfo``."""
        return ZoneInfo(self.time_zone)

    # --- registration and one-time codes ---

    code_ttl_minutes: Annotated[int, Field(ge=1, le=60)] = 10
    """How long an e-mail or SMS registration code works (NIST: at most 10 minutes)."""

    code_max_attempts: Annotated[int, Field(ge=1, le=10)] = 5
    """Wrong tries before a code is dead; a resend then gives a new one."""

    resend_interval_s: Annotated[int, Field(ge=10, le=3600)] = 60
    """Shortest time between two codes sent to the same address or number."""

    resend_daily_cap: Annotated[int, Field(ge=1, le=100)] = 10
    """Most codes sent to one address or number in 24 hours."""

    registration_ttl_hours: Annotated[int, Field(ge=1, le=168)] = 24
    """How long an unfinished registration can still be completed."""

    # --- mail and SMS delivery (empty host or URL: the local mailbox, ``kiosk admin mailbox``) ---

    smtp_host: str = ""
    """SMTP server for registration mail; empty means mail goes to the local mailbox."""

    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    """SMTP port (587 for STARTTLS, 465 for implicit TLS, 25 without TLS)."""

    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    """``starttls`` upgrades a plain connection, ``tls`` connects with TLS, ``none`` never."""

    smtp_username: str = ""
    """SMTP login; empty means no AUTH."""

    smtp_password: str = ""
    """SMTP password. Keep it out of the file: set ``KIOSK_SERVER__SMTP_PASSWORD``."""

    smtp_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    """Timeout of each SMTP socket operation."""

    mail_from: str = "学籍校对终端 <noreply@example.edu.cn>"
    """The From header of registration mail."""

    sms_gateway_url: UrlOrEmpty = ""
    """HTTP(S) endpoint of the SMS gateway (POST, JSON); empty means the local mailbox."""

    sms_headers: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """Extra request headers for the gateway, e.g. an API key; from the environment as JSON:
    ``KIOSK_SERVER__SMS_HEADERS='{"Authorization": "Bearer …"}'``."""

    sms_body_template: Annotated[dict[str, Any], NoDecode] = Field(
        default_factory=lambda: {"to": "{number}", "text": "{text}"}
    )
    """The JSON body posted to the gateway; in every string ``{number}`` becomes the mobile
    number and ``{text}`` the message. From the environment as JSON, like ``sms_headers``."""

    sms_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    """Timeout of one request to the SMS gateway."""

    delivery_max_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    """Tries per message before it is recorded as failed."""

    delivery_retry_base_s: Annotated[float, Field(gt=0, le=3600)] = 15.0
    """Wait before the first retry; it doubles with each further try."""

    delivery_poll_s: Annotated[float, Field(gt=0, le=300)] = 2.0
    """How often the background sender looks for messages queued by other workers."""

    housekeeping_interval_s: Annotated[float, Field(ge=60, le=86400)] = 3600.0
    """How often dead sessions, throttle rows and abandoned registrations are deleted."""

    def public_url(self) -> str:
        """Where phones reach this server: ``public_base_url``, else the listening address."""
        return self.public_base_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @field_validator(
        "trusted_proxies", "key_fields", "policy_rules_off", "reminder_schedule", mode="before"
    )
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        # A typo here would silently trust nobody, or, worse, a name: only addresses pass.
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    _tables = field_validator("sms_headers", "sms_body_template", mode="before")(_json_table)

    @model_validator(mode="after")
    def _schedule_needs_deadline(self) -> ServerSettings:
        if self.reminder_schedule and self.campaign_deadline is None:
            raise ValueError("reminder_schedule counts days before campaign_deadline: set it")
        return self

    @field_validator("campaign_deadline", "register_freeze_date", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # TOML has no null: the example file says "no deadline" or "no freeze" with "".
        return None if value == "" else value


class Settings(BaseSettings):
    """The whole configuration file.

    Built directly (``Settings(server=...)``, as the demo and the tests do) it holds the values
    given and the defaults; :func:`load_settings` adds the files and the environment.
    """

    model_config = SettingsConfigDict(
        extra="forbid", env_prefix=ENV_PREFIX, env_nested_delimiter="__"
    )

    kiosk: KioskSettings = Field(default_factory=KioskSettings)
    """The ``[kiosk]`` section."""

    server: ServerSettings = Field(default_factory=ServerSettings)
    """The ``[server]`` section."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The values given, then what :func:`load_settings` is reading (highest first)."""
        return (init_settings, *_LOADING.get())


_LOADING: ContextVar[tuple[PydanticBaseSettingsSource, ...]] = ContextVar(
    "kiosk_config_sources", default=()
)
"""The environment and the files of the :func:`load_settings` call under way, if any."""


@contextmanager
def _reading(sources: tuple[PydanticBaseSettingsSource, ...]) -> Iterator[None]:
    token = _LOADING.set(sources)
    try:
        yield
    finally:
        _LOADING.reset(token)


class _Environment(EnvSettingsSource):
    """The ``KIOSK_<SECTION>__<KEY>`` variables of ``environ`` rather than of this process."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(Settings)
        # Names are matched case-insensitively, as the source does with the process's own.
        self.env_vars = {name.lower(): value for name, value in environ.items()}


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"Configuration error in {source} / 配置有误:"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def terminal_file(environ: Mapping[str, str] | None = None) -> Path:
    """This PC's own configuration: its terminal key, written by ``kiosk enrol``.

    ``$KIOSK_TERMINAL_FILE``, else ``terminal.toml`` in the user's configuration folder
    (``~/.config/kiosk`` on Linux, ``%LOCALAPPDATA%\\kiosk`` on Windows).
    """
    env = os.environ if environ is None else environ
    if ENV_TERMINAL_FILE in env:
        return Path(env[ENV_TERMINAL_FILE])
    import platformdirs  # only here: most starts name the file in the environment

    return platformdirs.user_config_path("kiosk", appauthor=False) / "terminal.toml"


def _toml(file: Path) -> TomlConfigSettingsSource:
    if file.is_dir():
        raise ConfigError(f"Configuration error in {file} / 配置有误: is a folder, not a file")
    try:
        return TomlConfigSettingsSource(Settings, toml_file=file)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Configuration error in {file} / 配置有误: {exc}") from None


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the configuration: ``path``, else ``$KIOSK_CONFIG``, else ``./config.toml``;
    then this PC's :func:`terminal_file`; then the environment (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    explicit = path is not None or ENV_FILE in env
    file = path or Path(env.get(ENV_FILE, "config.toml"))
    if not file.exists() and explicit:
        raise ConfigError(f"Configuration file not found / 找不到配置文件: {file}")
    files = [each for each in (terminal_file(env), file) if each.exists()]
    sources = (_Environment(env), *(_toml(each) for each in files))
    try:
        with _reading(sources):
            return Settings()
    except ValidationError as exc:
        raise ConfigError(_describe(exc, str(file))) from None
    except SettingsError as exc:
        raise ConfigError(f"Configuration error in {file} / 配置有误: {exc}") from None
