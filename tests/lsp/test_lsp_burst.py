"""Typing fast into a 2,000-line file: 200 changes in a burst. The last version's diagnostics are correct
(the same as a fresh check of the final text), arrive exactly once, and nothing computed for an
earlier version is published after them."""

from __future__ import annotations

import shutil
from pathlib import Path

from backcheck.engine import Engine
from backcheck.lsp.positions import Encoder, finding_range, split_lines
from lsp_harness import (
    barrier,
    change_file,
    diagnostics_at,
    encoding_of,
    insert_at,
    lsp_session,
    open_file,
)


def typed_text(length: int = 200) -> str:
    """Two new open routes and a comment, exactly `length` characters, valid Python once complete."""
    text = ('\n@app.post("/typed/{name}")\ndef typed_handler(name: str) -> dict:\n    return {"name": name}\n'
            '\n@app.delete("/gone")\ndef gone() -> None:\n    return None\n')
    text += "# " + "x" * (length - len(text) - 3) + "\n"
    assert len(text) == length
    return text


def big_module(lines: int = 2000) -> str:
    """A FastAPI module of about `lines` lines: authenticated routes and plain helpers, one open route."""
    out = [
        "from fastapi import Depends, FastAPI",
        "",
        "from app.deps import get_current_user",
        "",
        "app = FastAPI()",
        "",
    ]
    index = 0
    while len(out) < lines - 10:
        out += [
            "",
            f'@app.get("/things/{index}")',
            f"def thing_{index}(user: str = Depends(get_current_user)) -> dict:",
            f'    """Thing number {index}."""',
            f"    return {{'id': {index}, 'owner': user}}",
            "",
            "",
            f"def helper_{index}(value: int) -> int:",
            f"    return value * {index} + 1",
        ]
        index += 1
    out += ["", "", '@app.get("/open")', "def open_route() -> dict:", "    return {}", ""]
    return "\n".join(out) + "\n"


def expected(project: Path, rel: str, text: str, encoding: str) -> list[tuple]:
    """BC101 findings of `text` checked from scratch, as (line, start, end) in the client's encoding."""
    copy = project.parent / "expected"
    shutil.copytree(project, copy)
    (copy / rel).write_text(text)
    result = Engine(copy, use_cache=False).scan()
    lines = split_lines(text)
    return sorted((r.start.line, r.start.character, r.end.character) for r in (
        finding_range(Encoder(encoding), lines, f) for f in result.findings if f.path == rel and f.code == "BC101"))


async def test_a_burst_of_200_changes_publishes_the_last_version_once(project, profile):
    rel = "app/big.py"
    path = project / rel
    path.write_text(big_module())
    text = path.read_text()
    assert len(text.splitlines()) >= 2000
    async with lsp_session(profile, project, init_options={"debounce_ms": 60}) as client:
        doc = open_file(client, path)
        await diagnostics_at(client, doc, 1)
        published_before = len(client.published)

        # 200 one-character insertions, each at the end of what was typed so far, as a person types.
        end_line = len(text.splitlines())
        typed = typed_text()
        line, column, version = end_line, 0, 1
        for char in typed:
            version += 1
            change_file(client, doc, version, [insert_at(line, column, char)])
            if char == "\n":
                line, column = line + 1, 0
            else:
                column += 1
        final_text = text + typed
        assert version == 201

        last = await diagnostics_at(client, doc, version)
        await barrier(client)  # every check queued before this has finished

        mine = [p for p in client.published[published_before:] if p.uri == doc]
        versions = [p.version for p in mine]
        assert versions.count(version) == 1, f"version {version} published {versions.count(version)} times"
        assert versions[-1] == version, f"an earlier version was published after the last one: {versions}"
        assert versions == sorted(versions)
        got = sorted((d.range.start.line, d.range.start.character, d.range.end.character)
                     for d in last if d.code == "BC101")
        assert got == expected(project, rel, final_text, encoding_of(profile))
        assert len(got) == 3  # the open route and the two typed handlers
