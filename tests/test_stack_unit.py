"""The team stack's pieces that need no server: .env updates, port settings, user validation."""

from __future__ import annotations

import stat

import pytest

from toolkit.errors import ToolkitError
from toolkit.servers.stack import StackPorts, ports_from_env, set_env_values


def test_set_env_values_replaces_keys_keeps_the_rest_and_is_private(tmp_path):
    env = tmp_path / ".env"
    env.write_text("# comment\nLABEL_STUDIO_URL=http://old\nOTHER=1\n")
    set_env_values(
        env, {"LABEL_STUDIO_URL": "http://127.0.0.1:9", "MLFLOW_TRACKING_URI": "http://127.0.0.1:8"}
    )
    assert env.read_text().splitlines() == [
        "# comment",
        "OTHER=1",
        "LABEL_STUDIO_URL=http://127.0.0.1:9",
        "MLFLOW_TRACKING_URI=http://127.0.0.1:8",
    ]
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_ports_come_from_the_environment_then_env_file(tmp_path, monkeypatch):
    for name in ("STACK_POSTGRES_PORT", "LABEL_STUDIO_PORT", "MLFLOW_SERVER_PORT"):
        monkeypatch.delenv(name, raising=False)
    env = tmp_path / ".env"
    assert ports_from_env(env) == StackPorts()
    env.write_text("STACK_POSTGRES_PORT=6000\nLABEL_STUDIO_PORT=6001\n")
    monkeypatch.setenv("MLFLOW_SERVER_PORT", "6002")
    assert ports_from_env(env) == StackPorts(6000, 6001, 6002)
    monkeypatch.setenv("STACK_POSTGRES_PORT", "five")
    with pytest.raises(ToolkitError, match="STACK_POSTGRES_PORT must be a port number"):
        ports_from_env(env)


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [("not-an-email", "long-enough", "is not an email"), ("a@b.org", "short", "at least 8 characters")],
)
def test_add_user_refuses_bad_input_before_any_request(email, password, message):
    from toolkit.labelstudio.users import add_user

    with pytest.raises(ToolkitError, match=message):
        add_user(email, password, client=object())
