"""Agent tasks from the editor: `backcheck.runTask` runs the agent (against the agent tests' fake
Messages API), its phases reach the client as `backcheck/status`, its change to an open buffer arrives
as `workspace/applyEdit` and lands on disk too, and `backcheck.cancelTask` answers."""

from __future__ import annotations

import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lsp_harness import apply_text_edits, lsp_session, open_file, server_env, text_edits
from lsprotocol import types

AGENT_TESTS = Path(__file__).resolve().parents[1] / "agent"
sys.path.insert(0, str(AGENT_TESTS))

fake_messages_api = pytest.importorskip("fake_messages_api")
scripts = pytest.importorskip("scripts")

KEY = "sk-ant-test-lsp-0123456789"
PAGE = b"<html><head><title>Path Parameters</title></head><body><h1>Path parameters</h1></body></html>"


class _Docs(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)


@pytest.fixture
def docs_host():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Docs)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_run_task_applies_edits_through_the_editor(tmp_path, docs_host):
    workspace = tmp_path / "mini_api"
    shutil.copytree(AGENT_TESTS / "data" / "mini_api", workspace,
                    ignore=shutil.ignore_patterns("__pycache__", ".backcheck"))
    with (workspace / "pyproject.toml").open("a") as handle:
        handle.write(f'\n[tool.backcheck.agent]\nmodel = "claude-sonnet-5-5"\nresearch_allow = ["{docs_host}"]\n'
                     "max_retries = 0\n")
    docs_url = f"http://{docs_host}/tutorial/path-params/"
    script = [*scripts.until_research(docs_url), *scripts.implement(run_tests=False)[:3],
              fake_messages_api.Reply([fake_messages_api.text("Stopping here for the test.")], stop_reason="end_turn")]
    with fake_messages_api.FakeMessagesAPI(api_key=KEY) as api:
        api.queue(*script)
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        async with lsp_session("visual-studio-code", workspace, env=env) as client:
            services = workspace / "app" / "services.py"
            before = services.read_text()
            doc = open_file(client, services)
            result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
                command="backcheck.runTask", arguments=[{"task": scripts.TASK}]))
            assert api.remaining == 0, result
            assert result["status"] in ("stopped", "failed"), result

            # The open buffer's change came through the editor, as one edit, and is on disk as well.
            edits = [e for params in client.applied_edits for e in text_edits(params.edit, doc)]
            assert apply_text_edits(before, edits, "utf-16") == before.replace(scripts.SERVICE_OLD, scripts.SERVICE_NEW)
            assert services.read_text() == before.replace(scripts.SERVICE_OLD, scripts.SERVICE_NEW)
            # A file that is not open was written directly.
            assert scripts.ROUTE_NEW in (workspace / "app" / "main.py").read_text()

            phases = list(dict.fromkeys(s["phase"] for s in client.statuses if s.get("phase")))
            assert phases[:3] == ["analyze", "review-context", "research"] and "route" in phases
            assert client.statuses[-1]["phase"] is None
            assert not [m for m in client.messages if "settings were not applied" in m.message]

            cancel = await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="backcheck.cancelTask"))
            assert cancel == {"cancelled": False, "message": "No agent task is running."}
