"""Configuration loading (kiosk.config) and how the CLI reports a bad configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import cli
from kiosk.config import ConfigError, Settings, load_settings, terminal_file

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config.toml"


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_loads() -> None:
    settings = load_settings(EXAMPLE, environ={})
    assert isinstance(settings, Settings)
    assert settings.kiosk.school_name == "湖州师范学院"
    assert settings.kiosk.staff_pin_hash.startswith("$argon2id$")
    assert settings.server.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.server.secret_key == ""  # no usable secret ships in the file
    assert settings.server.demo is False


def test_the_example_config_sets_every_key() -> None:
    """config.toml is the documented example, so it should show every setting there is."""
    import tomllib

    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(data) == set(Settings.model_fields)
    assert set(data["kiosk"]) == set(Settings.model_fields["kiosk"].annotation.model_fields)  # type: ignore[union-attr]
    assert set(data["server"]) == set(Settings.model_fields["server"].annotation.model_fields)  # type: ignore[union-attr]


def test_no_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.server.port == 8000


def test_kiosk_config_chooses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path, '[kiosk]\nschool_name = "测试学院"\n[server]\nport = 9123\n', "other.toml"
    )
    settings = load_settings(environ={"KIOSK_CONFIG": str(path)})
    assert settings.kiosk.school_name == "测试学院"
    assert settings.server.port == 9123
    # The real process environment is read when no mapping is given.
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    assert load_settings().server.port == 9123
    # An explicit path wins over the variable.
    assert load_settings(EXAMPLE).server.port == 8000


def test_environment_overrides_secrets(tmp_path: Path) -> None:
    path = write(tmp_path, '[server]\nsecret_key = "from-file"\nport = 8100\n')
    environ = {
        "KIOSK_SERVER__SECRET_KEY": "from-environment",
        "KIOSK_KIOSK__TERMINAL_KEY": "7.s3cret",
        "KIOSK_SERVER__PORT": "8200",
        "KIOSK_KIOSK__LANGUAGE": "en",
        "KIOSK_TEST_POSTGRES_URL": "postgresql://ignored",  # no "__": not a setting
        "PATH": "/usr/bin",
    }
    settings = load_settings(path, environ)
    assert settings.server.secret_key == "from-environment"
    assert settings.kiosk.terminal_key == "7.s3cret"
    assert settings.server.port == 8200
    assert settings.kiosk.language == "en"


def test_environment_overrides_without_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={"KIOSK_SERVER__SECRET_KEY": "only-env"})
    assert settings.server.secret_key == "only-env"


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[server]\nport = "abc"\n', "server.port"),
        ("[server]\nport = 70000\n", "server.port"),
        ("[kiosk]\nidle_timeout_s = 1\n", "kiosk.idle_timeout_s"),
        ('[kiosk]\nlanguage = "fr"\n', "kiosk.language"),
        ("[server]\nportt = 8000\n", "server.portt"),
        ("[printer]\nname = 1\n", "printer"),
        ("[server]\nworkers = 0\n", "server.workers"),
        ('[kiosk]\nserver_url = "127.0.0.1:8000"\n', "kiosk.server_url"),
        ('[kiosk]\nserver_url = ""\n', "kiosk.server_url"),
        ('[server]\npublic_base_url = "ftp://x"\n', "server.public_base_url"),
        ('[server]\nsms_gateway_url = "http://"\n', "server.sms_gateway_url"),
        ('[server]\nkey_fields = ["name", "nmae"]\n', "server.key_fields"),
        ('[server]\npolicy_rules_off = ["no_such_rule"]\n', "server.policy_rules_off"),
        ('[server]\nregister_freeze_date = "07-01"\n', "server.register_freeze_date"),
    ],
)
def test_bad_value_names_the_key(tmp_path: Path, toml: str, key: str) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert key in message
    assert str(path) in message


def test_bad_environment_value_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"server\.port"):
        load_settings(EXAMPLE, environ={"KIOSK_SERVER__PORT": "abc"})
    with pytest.raises(ConfigError, match=r"kiosk\.idle_timeout_s"):
        load_settings(EXAMPLE, environ={"KIOSK_KIOSK__IDLE_TIMEOUT_S": "1"})


@pytest.mark.parametrize(
    "text", ["[server\nport = 1\n", "port = = 1\n", '[kiosk]\nschool_name = "unterminated\n']
)
def test_broken_toml_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match="配置有误"):
        load_settings(path, environ={})


def test_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('[kiosk]\nschool_name = "湖州"\n'.encode("gbk"))
    with pytest.raises(ConfigError):
        load_settings(path, environ={})


def test_missing_explicit_file_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_settings(missing, environ={})
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_settings(environ={"KIOSK_CONFIG": str(missing)})


def test_unreadable_path_is_a_config_error(tmp_path: Path) -> None:
    """A directory (or an empty KIOSK_CONFIG, which means ".") must not end in a traceback."""
    with pytest.raises(ConfigError):
        load_settings(tmp_path, environ={})
    with pytest.raises(ConfigError):
        load_settings(environ={"KIOSK_CONFIG": str(tmp_path)})


def test_cli_reports_a_bad_config_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, '[server]\nport = "abc"\n')
    assert cli.main(["--config", str(bad), "admin", "migrate"]) == 2
    captured = capsys.readouterr()
    assert "server.port" in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_cli_reports_a_missing_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.toml"
    assert cli.main(["--config", str(missing), "admin", "migrate"]) == 2
    assert "missing.toml" in capsys.readouterr().err


def test_cli_reports_a_bad_serve_option(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    assert cli.main(["--config", str(EXAMPLE), "serve", "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert "port" in err and "Traceback" not in err


def test_the_terminal_file_is_read_on_top_of_the_config_and_under_the_environment(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nserver_url = "http://lab.example:8000"\nschool_name = "X"\n')
    own = tmp_path / "terminal.toml"
    own.write_text('[kiosk]\nserver_url = "http://own.example:8000"\nterminal_key = "7.s"\n')
    env = {"KIOSK_TERMINAL_FILE": str(own)}
    settings = load_settings(config, environ=env)
    assert (settings.kiosk.server_url, settings.kiosk.terminal_key) == (
        "http://own.example:8000",
        "7.s",
    )
    assert settings.kiosk.school_name == "X"
    overridden = load_settings(config, environ=env | {"KIOSK_KIOSK__TERMINAL_KEY": "8.t"})
    assert overridden.kiosk.terminal_key == "8.t"
    own.write_text("[kiosk\n")
    with pytest.raises(ConfigError, match=r"terminal\.toml"):
        load_settings(config, environ=env)


def test_without_the_variable_the_terminal_file_is_in_the_users_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert terminal_file({}) == tmp_path / "kiosk" / "terminal.toml"


def test_tables_and_lists_from_the_environment(tmp_path: Path) -> None:
    environ = {
        "KIOSK_SERVER__TRUSTED_PROXIES": "10.0.0.5, 10.0.0.0/24",
        "KIOSK_SERVER__SMS_HEADERS": '{"Authorization": "Bearer x"}',
        "KIOSK_KIOSK__COLLEGE_OFFICES": '{"文学院": "文科楼 112"}',
    }
    settings = load_settings(write(tmp_path, ""), environ)
    assert settings.server.trusted_proxies == ["10.0.0.5", "10.0.0.0/24"]
    assert settings.server.sms_headers == {"Authorization": "Bearer x"}
    assert settings.kiosk.college_offices == {"文学院": "文科楼 112"}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("KIOSK_SERVER__SMS_HEADERS", "server.sms_headers"),
        ("KIOSK_SERVER__SMS_BODY_TEMPLATE", "server.sms_body_template"),
        ("KIOSK_KIOSK__COLLEGE_OFFICES", "kiosk.college_offices"),
    ],
)
def test_a_table_that_is_not_json_names_its_key(tmp_path: Path, name: str, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"{key}: .*not valid JSON"):
        load_settings(write(tmp_path, ""), {name: "{broken"})


def test_settings_built_in_code_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo and the tests build Settings themselves; a developer's variables stay out."""
    monkeypatch.setenv("KIOSK_SERVER__PORT", "9999")
    assert Settings().server.port == 8000
    assert load_settings(EXAMPLE).server.port == 9999


def test_the_key_fields_and_the_policy_are_configurable(tmp_path: Path) -> None:
    defaults = load_settings(EXAMPLE, environ={}).server
    assert "id_number" in defaults.key_fields and "class_name" not in defaults.key_fields
    assert defaults.register_freeze_date is None and defaults.policy_rules_off == []
    path = write(
        tmp_path,
        '[server]\nkey_fields = ["name", "id_number"]\nregister_freeze_date = 2027-07-01\n'
        'policy_rules_off = ["name_with_id_number"]\n',
    )
    server = load_settings(path, environ={}).server
    assert server.key_fields == ["name", "id_number"]
    assert str(server.register_freeze_date) == "2027-07-01"
    assert server.policy_rules_off == ["name_with_id_number"]
    env = {"KIOSK_SERVER__KEY_FIELDS": "major, level"}
    assert load_settings(path, environ=env).server.key_fields == ["major", "level"]
    with pytest.raises(ConfigError, match=r"server\.key_fields.*unknown field\(s\) nmae"):
        load_settings(path, environ={"KIOSK_SERVER__KEY_FIELDS": "major,nmae"})
