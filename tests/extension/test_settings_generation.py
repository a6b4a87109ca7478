"""The VS Code settings are generated from backcheck.config; package.json must match the generator."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_vscode_settings", ROOT / "scripts" / "gen_vscode_settings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _generator()


def test_package_json_matches_the_server_settings():
    current = (ROOT / "extension" / "package.json").read_text("utf-8")
    wanted = gen.render(json.loads(current), gen.load_schema())
    assert current == wanted, (
        "extension/package.json drifted from backcheck.config.Settings; "
        "run: .venv/bin/python scripts/gen_vscode_settings.py"
    )


def test_every_server_setting_is_contributed_with_its_doc():
    props = json.loads((ROOT / "extension" / "package.json").read_text("utf-8"))["contributes"][
        "configuration"
    ]["properties"]
    for entry in gen.load_schema():
        prop = props[f"backcheck.{entry['name']}"]
        assert prop["default"] == entry["default"]
        assert entry["description"] in prop["markdownDescription"]


def test_schema_entries_map_to_vscode_properties():
    schema = [
        {"name": "select", "type": "array", "default": [], "description": "Rules to run."},
        {"name": "debounce_ms", "type": "integer", "default": 150, "description": "Wait."},
        {
            "name": "agent.model",
            "type": "string",
            "default": "",
            "description": "Model.",
            "enum": ["a", "b"],
        },
        {"name": "strict", "type": "boolean", "default": False, "description": "Strict."},
    ]
    props = gen.configuration(schema)["properties"]
    assert list(props)[:2] == ["backcheck.path", "backcheck.trace.server"]
    assert props["backcheck.select"]["items"] == {"type": "string"}
    assert props["backcheck.debounce_ms"]["type"] == "integer"
    assert props["backcheck.agent.model"]["enum"] == ["a", "b"]
    assert props["backcheck.strict"]["default"] is False
    assert all(props[k]["scope"] == "resource" for k in props if k not in gen.CLIENT_SETTINGS)
    assert "[tool.backcheck]" in props["backcheck.select"]["markdownDescription"]


def test_generator_rejects_clashes_and_unknown_types():
    with pytest.raises(ValueError, match="clashes"):
        gen.configuration([{"name": "path", "type": "string", "default": "", "description": "x"}])
    with pytest.raises(ValueError, match="no VS Code equivalent"):
        gen.configuration([{"name": "x", "type": "tuple", "default": [], "description": "x"}])


def test_render_keeps_the_rest_of_package_json(tmp_path):
    package = {
        "name": "backcheck",
        "contributes": {"commands": [{"command": "c"}], "configuration": {}},
    }
    out = json.loads(gen.render(package, []))
    assert out["name"] == "backcheck"
    assert out["contributes"]["commands"] == [{"command": "c"}]
    assert set(out["contributes"]["configuration"]["properties"]) == set(gen.CLIENT_SETTINGS)


def test_check_mode_reports_drift(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "package.json"
    stale.write_text(json.dumps({"name": "backcheck", "contributes": {}}))
    monkeypatch.setattr(gen, "PACKAGE_JSON", stale)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1
    assert "gen_vscode_settings.py" in capsys.readouterr().err
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0
