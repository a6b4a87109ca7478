"""Bad input never stops the server: binary, undecodable, half-typed, oversized and newer-syntax buffers
each get a clear diagnostic (or their real findings), odd protocol input is survived, and the server
goes on answering."""

from __future__ import annotations

from lsp_harness import (
    barrier,
    change_file,
    diagnostics_at,
    lsp_session,
    open_file,
    replace_range,
)
from lsprotocol import types

NEWER_SYNTAX = """\
from fastapi import APIRouter

router = APIRouter()
type Payload = dict[str, int]


def first[T](items: list[T]) -> T:
    return items[0]


@router.get("/newer")
def newer() -> dict:
    try:
        return {}
    except ValueError, TypeError:
        return {}
"""


async def test_bad_buffers_get_clear_diagnostics_and_the_server_keeps_serving(project):
    """Client-independent: run as Neovim, whose UTF-8 positions are the likelier to go wrong."""
    app = project / "app"
    async with lsp_session("neovim", project) as client:
        cases = {
            "binary.py": "\x00\x01\x02ELF\x00garbage",
            "surrogate.py": "x = '\udcff'\n",
            "half.py": "def handler(:\n    return\n",
            "huge.py": "x = 1\n" * 900_000,
            "newer.py": NEWER_SYNTAX,
        }
        docs = {name: open_file(client, app / name, text) for name, text in cases.items()}
        shown = {name: await diagnostics_at(client, doc, 1) for name, doc in docs.items()}

        def messages(name: str) -> str:
            return "\n".join(d.message for d in shown[name])

        assert "could not check this file" in messages("binary.py") and "binary file" in messages("binary.py")
        assert "not valid utf-8" in messages("surrogate.py") and "save it as UTF-8" in messages("surrogate.py")
        half = shown["half.py"]
        assert [d.range.start.line for d in half] == [0]
        assert "syntax error at line 1" in half[0].message and "checks resume once the file parses" in half[0].message
        assert half[0].severity == types.DiagnosticSeverity.Information
        assert "5.4 MB is over the 2.0 MB limit" in messages("huge.py")
        assert "max_file_bytes" in messages("huge.py")
        # Python 3.12/3.14 syntax is read through libcst's newer grammar: the real finding shows.
        newer = shown["newer.py"]
        assert [(d.code, d.range.start.line) for d in newer if d.code == "BC101"] == [("BC101", 11)]
        assert not [d for d in newer if d.code == "file-not-checked"]

        # Finishing the half-typed line makes it parse; its diagnostic goes.
        change_file(client, docs["half.py"], 2, [replace_range((0, 12), (0, 13), "x):")])
        assert not [d for d in await diagnostics_at(client, docs["half.py"], 2) if d.code == "file-not-checked"]

        # Protocol oddities: a change far past the end of a buffer, a change to a buffer never opened,
        # a request for an unknown document.
        change_file(client, docs["newer.py"], 2, [replace_range((9_999, 0), (10_000, 5), "# tail\n")])
        await diagnostics_at(client, docs["newer.py"], 2)
        change_file(client, (app / "never_opened.py").as_uri(), 7, [replace_range((0, 0), (0, 0), "x")])
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=(app / "missing.py").as_uri()),
            position=types.Position(3, 3)))
        assert hover is None

        # Still serving: a normal file is checked and commands answer.
        main = open_file(client, app / "main.py")
        assert [d.code for d in await diagnostics_at(client, main, 1) if d.code == "BC101"] == ["BC101"]
        await barrier(client)
        assert client.error is None
        assert not [m for m in client.messages if "internal error" in m.message]
