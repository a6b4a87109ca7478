"""The sandbox holds: paths stay in the workspace, secrets are never read, listed or sent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from backcheck.agent import AgentRunner
from backcheck.agent.sandbox import REDACTED, Sandbox, SandboxError, redact, scrubbed_env
from backcheck.agent.settings import AgentSettings
from backcheck.store import Store
from conftest import TEST_KEY
from fake_messages_api import FakeMessagesAPI, Reply, text, tool

ENV_SECRET = "SHOP_SECRET_KEY=sk_live_51HxYzABCDEFGHIJKLMNOPqrstuvw"


@pytest.fixture
def secrets_around(workspace: Path, tmp_path: Path) -> Path:
    """Secret files in the workspace, and a file outside it reachable through a symlink."""
    (workspace / ".env").write_text(ENV_SECRET + "\n")
    (workspace / ".env.production").write_text("DB_PASSWORD=hunter2hunter2\n")
    (workspace / "deploy").mkdir()
    (workspace / "deploy" / "server.pem").write_text("-----BEGIN PRIVATE KEY-----\nabc\n")
    (workspace / ".git").mkdir()
    (workspace / ".git" / "config").write_text("[remote]\nurl = https://user:tok@example.com\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("private notes outside the workspace\n")
    (workspace / "link_out.txt").symlink_to(outside)
    (workspace / "innocent.txt").symlink_to(workspace / ".env")
    return workspace


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../outside.txt", "outside the workspace"),
        ("app/../../outside.txt", "outside the workspace"),
        ("/etc/passwd", "absolute path"),
        ("~/.ssh/id_rsa", "absolute path"),
        ("link_out.txt", "outside the workspace"),
        (".env", "may hold secrets"),
        ("app/../.env.production", "may hold secrets"),
        ("innocent.txt", "may hold secrets"),
        ("deploy/server.pem", "may hold secrets"),
        (".git/config", "private"),
        (".backcheck/state.db", "private"),
        ("", "path is empty"),
    ],
)
def test_sandbox_refuses(secrets_around: Path, path: str, reason: str) -> None:
    with pytest.raises(SandboxError, match=reason):
        Sandbox(secrets_around).resolve(path)


def test_sandbox_allows_ordinary_paths(secrets_around: Path) -> None:
    box = Sandbox(secrets_around)
    assert box.resolve("app/main.py") == (secrets_around / "app/main.py").resolve()
    assert box.resolve("./app/../app/main.py").name == "main.py"
    assert box.resolve("docs/tasks/new.md", for_write=True).parent.name == "tasks"
    listed = {box.relative(p) for p in box.walk_files(box.root)}
    assert "app/main.py" in listed
    assert not {".env", ".env.production", "deploy/server.pem", ".git/config"} & listed
    assert "link_out.txt" not in listed and "innocent.txt" not in listed


async def test_tools_refuse_with_clear_errors_end_to_end(
    secrets_around: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    """The scripted model tries every escape; each comes back as a tool error it can read."""
    attempts = [
        tool("read_file", {"path": "../outside.txt"}),
        tool("read_file", {"path": str(secrets_around / "app/main.py")}),
        tool("read_file", {"path": "link_out.txt"}),
        tool("read_file", {"path": ".env"}),
        tool("read_file", {"path": "innocent.txt"}),
        tool("fetch_url", {"url": "http://127.0.0.1:9/admin"}),
        tool("fetch_url", {"url": "http://169.254.169.254/latest/meta-data/"}),
        tool("fetch_url", {"url": "file:///etc/passwd"}),
        tool("list_files", {"path": "."}),
        tool("search_code", {"pattern": "sk_live|hunter2|BEGIN PRIVATE"}),
    ]
    fake_api.queue(Reply(attempts), Reply([text("All refused; stopping.")]))
    await AgentRunner(secrets_around, settings).run("try to escape")

    results = fake_api.requests[1].body["messages"][-1]["content"]
    by_input = {call["input"].get("path") or call["input"].get("url") or "search": r
                for call, r in zip(attempts, results, strict=True)}  # fmt: skip
    expectations = {
        "../outside.txt": "points outside the workspace",
        str(secrets_around / "app/main.py"): "absolute path",
        "link_out.txt": "points outside the workspace",
        ".env": "may hold secrets",
        "innocent.txt": "may hold secrets",
        "http://127.0.0.1:9/admin": "a loopback address",
        "http://169.254.169.254/latest/meta-data/": "link-local address",
        "file:///etc/passwd": "only http and https",
    }
    for key, words in expectations.items():
        result = by_input[key]
        assert result["is_error"], key
        assert result["content"].startswith("error: ") and words in result["content"], result
    listing = by_input["."]["content"]
    assert "app/main.py" in listing and ".env" not in listing and "server.pem" not in listing
    assert by_input["search"]["content"] == "no matches"
    # Nothing secret reached the model.
    sent = "".join(str(r["content"]) for r in results)
    assert "sk_live_51" not in sent and "hunter2" not in sent and "private notes" not in sent


async def test_secrets_are_redacted_in_notes_and_transcripts(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings, docs_server
) -> None:
    (workspace / "app/config.py").write_text(
        'import os\n\nSECRET_KEY = "django-insecure-9f8e7d6c5b4a"\nDB_URL = os.environ["DB_URL"]\n'
    )
    url = docs_server.url("/tutorial/path-params/")
    fake_api.queue(
        Reply(
            [
                tool("read_file", {"path": "app/config.py"}),
                tool("set_phase", {"phase": "review-context"}),
                tool("set_phase", {"phase": "research"}),
                tool("fetch_url", {"url": url}),
                tool(
                    "record_note",
                    {
                        "topic": "settings",
                        "content": f"Found api_key = 'abcd1234efgh5678' and key {TEST_KEY}; "
                        "also Authorization: Bearer abcdefghijklmnop1234",
                        "sources": [url],
                    },
                ),
            ]
        ),
        Reply([text(f"The password = 'tops3cretvalue' and {TEST_KEY} are in the notes.")]),
    )
    result = await AgentRunner(workspace, settings).run("look at settings")

    with Store.open(workspace) as store:
        note = store.notes_for_task(result.task_id)[0]
        transcript = str([m.content for m in store.agent_messages(task_id=result.task_id)])
    for secret in ("abcd1234efgh5678", TEST_KEY, "abcdefghijklmnop1234", "tops3cretvalue"):
        assert secret not in note.body_md
        assert secret not in transcript
    assert "django-insecure-9f8e7d6c5b4a" not in transcript
    assert REDACTED in note.body_md and REDACTED in transcript
    # The model itself still sees code as written (only hard credentials are masked for it).
    read_result = fake_api.requests[1].body["messages"][-1]["content"][0]["content"]
    assert 'DB_URL = os.environ["DB_URL"]' in read_result


@pytest.mark.parametrize(
    ("raw", "hidden"),
    [
        ("ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "sk-ant-api03"),
        ("aws AKIAIOSFODNN7EXAMPLE key", "AKIAIOSFODNN7EXAMPLE"),
        ("token ghp_0123456789abcdefghijklmnopqrstuvwxyz12", "ghp_0123"),
        ('password = "hunter2hunter2"', "hunter2"),
        ('{"client_secret": "s3cr3t-v4lue"}', "s3cr3t"),
        ("DATABASE_URL=postgres://app:pa55word@db:5432/app", "pa55word"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----", "MIIEabc"),
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2hlcmU",
            "eyJzdWIi",
        ),
    ],
)
def test_redact_masks_credentials(raw: str, hidden: str) -> None:
    out = redact(raw)
    assert hidden not in out and REDACTED in out


@pytest.mark.parametrize(
    "code",
    [
        "password = form.cleaned_data['password']",
        "token = request.headers.get('Authorization')",
        "hashed_password: Mapped[str] = mapped_column(String(128))",
        "api_key = None",
    ],
)
def test_redact_keeps_code(code: str) -> None:
    assert redact(code) == code


def test_subprocess_environment_has_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    monkeypatch.setenv("MY_SERVICE_TOKEN", "abc123abc123")
    env = scrubbed_env()
    assert "ANTHROPIC_API_KEY" not in env and "MY_SERVICE_TOKEN" not in env
    assert env.get("PATH") == os.environ.get("PATH")
