"""Position conversion between the engine (UTF-8 byte columns) and each client encoding, and buffers
that follow LSP line endings. In-process: no server needed."""

from __future__ import annotations

import pytest
from backcheck.diagnostics import Finding
from backcheck.fixes import Edit
from backcheck.lsp.documents import BufferDocument
from backcheck.lsp.positions import Encoder, byte_to_char, edit_range, finding_range, split_lines
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec


def _finding(line: int, text: str, start: str, end: str) -> Finding:
    """A finding on `line` covering `text[text.index(start):text.index(end) + len(end)]`, in bytes."""
    a = len(text[: text.index(start)].encode())
    b = len(text[: text.index(end) + len(end)].encode())
    return Finding("BC101", "m", "a.py", line, a, line, b)


# (encoding, expected start, expected end) for `x = "é😀"; call()` flagging `call()`.
CASES = [("utf-8", 14, 20), ("utf-16", 11, 17), ("utf-32", 10, 16)]


@pytest.mark.parametrize(("encoding", "start", "end"), CASES)
def test_finding_range_after_non_ascii_text(encoding, start, end):
    line = 'x = "é😀"; call()'
    lines = ["first line\n", line + "\n"]
    rng = finding_range(Encoder(encoding), lines, _finding(2, line, "call", ")"))
    assert (rng.start.line, rng.start.character, rng.end.line, rng.end.character) == (1, start, 1, end)


def test_each_encoding_counts_what_the_client_counts():
    text = 'a é 😀 注'
    assert Encoder("utf-8").units(text) == len(text.encode("utf-8"))
    assert Encoder("utf-16").units(text) == len(text.encode("utf-16-le")) // 2
    assert Encoder("utf-32").units(text) == len(text)
    assert Encoder(types.PositionEncodingKind.Utf8).encoding == "utf-8"
    assert Encoder(None).encoding == "utf-16"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_from_client_inverts_to_client_and_never_splits_a_character(encoding):
    encoder = Encoder(encoding)
    line = "é😀b注c"
    for char in range(len(line) + 1):
        assert encoder.from_client(line, encoder.to_client(line, char)) == char
    # A column inside a surrogate pair or a multi-byte sequence moves to the next character.
    inside = encoder.to_client(line, 1) + 1
    assert encoder.from_client(line, inside) in (1, 2)
    assert encoder.from_client(line, 10_000) == len(line)


def test_byte_to_char_survives_lone_surrogates_and_bad_offsets():
    assert byte_to_char("a\udcffb", 4) == 2
    assert byte_to_char("abc", 99) == 3
    assert byte_to_char("éa", 1) == 0  # inside a character: the character's start
    assert byte_to_char("abc", -3) == 0


def test_lines_split_like_ast_not_like_splitlines():
    text = "a = 1\x0c\nb = '\u2028'\r\nc = 3\rd"
    assert split_lines(text) == ["a = 1\x0c", "b = '\u2028'", "c = 3", "d"]


def test_edit_range_past_the_end_is_the_end_of_the_text():
    lines = ["a\n", "b\n"]
    rng = edit_range(Encoder("utf-16"), lines, Edit(2, 0, 99, 0, "x"))
    assert (rng.start.line, rng.end.line, rng.end.character) == (1, 2, 0)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_buffer_applies_incremental_changes_on_the_clients_lines(encoding):
    # A form feed and U+2028 inside a line must not count as line breaks.
    source = "x = 1\x0c\ns = '\u2028é'\ny = 2\n"
    doc = BufferDocument("file:///t.py", source, version=1, position_codec=PositionCodec(encoding))
    encoder = Encoder(encoding)
    line2 = "y = 2"
    start = types.Position(2, encoder.to_client(line2, 4))
    doc.apply_change(types.TextDocumentContentChangePartial(range=types.Range(start, types.Position(2, 5)), text="42"))
    assert doc.source == "x = 1\x0c\ns = '\u2028é'\ny = 42\n"
    after_e = types.Position(1, encoder.units("s = '\u2028é"))
    doc.apply_change(types.TextDocumentContentChangePartial(range=types.Range(after_e, after_e), text="😀"))
    assert doc.lines[1] == "s = '\u2028é😀'\n"
    assert len(doc.lines) == 3
