"""Per-file memos of project passes (models catalog, test requests) follow edits exactly like a cold scan."""

from __future__ import annotations

from pathlib import Path

from backcheck.engine import Engine
from backcheck.rules.schema import models as models_module
from backcheck.rules.schema.models import models_of

BASE = (
    "from django.db import models\n\n"
    "class Base(models.Model):\n"
    "    secret = models.CharField(max_length=10)\n\n"
    "    class Meta:\n"
    "        abstract = True\n"
)
ACCOUNT = (
    "from django.db import models\n"
    "from shop.base import Base\n"
    "from shop.mixins import Stamped\n\n"
    "class Account(Base, Stamped):\n"
    "    name = models.CharField(max_length=10)\n"
)
MIXINS = "from django.db import models\n\nclass Stamped(models.Model):\n    created = models.DateTimeField()\n"


def _catalog(engine: Engine) -> dict[tuple[str, str], tuple[str, list[str]]]:
    return {key: (m.kind, sorted(m.fields)) for key, m in models_of(engine.project).by_key.items()}


def _cold(root: Path) -> dict[tuple[str, str], tuple[str, list[str]]]:
    models_module._FileModels._BY_ROOT.clear()
    engine = Engine(root, use_cache=False)
    engine.scan()
    return _catalog(engine)


def _write(root: Path, rel: str, text: str) -> bytes:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text.encode()


def test_models_follow_edits_of_base_classes_and_new_modules(tmp_path: Path) -> None:
    _write(tmp_path, "shop/__init__.py", "")
    _write(tmp_path, "shop/base.py", BASE)
    _write(tmp_path, "shop/accounts.py", ACCOUNT)
    engine = Engine(tmp_path, use_cache=False)
    engine.scan()
    first = _catalog(engine)
    assert first[("shop/accounts.py", "Account")] == ("django", ["name", "secret"])

    # a base class in another file changes: the subclass's inherited fields follow
    engine.update("shop/base.py", _write(tmp_path, "shop/base.py", BASE.replace("secret", "token")))
    assert _catalog(engine)[("shop/accounts.py", "Account")] == ("django", ["name", "token"])

    # a module the subclass could not resolve appears: its fields join in
    engine.update("shop/mixins.py", _write(tmp_path, "shop/mixins.py", MIXINS))
    after = _catalog(engine)
    assert after[("shop/accounts.py", "Account")] == ("django", ["created", "name", "token"])
    assert after == _cold(tmp_path)

    # the base stops being a model: only the mixin keeps Account one
    engine.update("shop/mixins.py", None)
    (tmp_path / "shop/mixins.py").unlink()
    engine.update("shop/base.py", _write(tmp_path, "shop/base.py", "class Base:\n    secret = 1\n"))
    assert ("shop/accounts.py", "Account") not in _catalog(engine)
    assert _catalog(engine) == _cold(tmp_path)


def test_route_without_test_follows_edits_of_test_files(tmp_path: Path) -> None:
    _write(tmp_path, "app.py", "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/items')\n"
                               "def items():\n    return []\n")
    test = "def test_other(client):\n    assert client.get('/other').status_code == 200\n"
    _write(tmp_path, "tests/test_app.py", test)
    engine = Engine(tmp_path, use_cache=False)
    engine.scan()
    assert [f.path for f in engine.collect().findings if f.code == "BC901"] == ["app.py"]

    engine.update_text("tests/test_app.py", test.replace("/other", "/items"))
    assert not [f for f in engine.collect().findings if f.code == "BC901"]

    engine.update_text("tests/test_app.py", test)
    assert [f.path for f in engine.collect().findings if f.code == "BC901"] == ["app.py"]
