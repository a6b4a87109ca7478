"""Editor buffers with LSP line semantics.

pygls' own `TextDocument` splits lines with `str.splitlines`, which also breaks on form feeds,
U+2028 and friends; an incremental change to a file holding one lands on the wrong line. These
classes keep pygls' workspace API but split lines only on `\\r\\n`, `\\r` and `\\n`, and apply each
change with one slice of the text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import unquote

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from backcheck.lsp.positions import Encoder, char_offset, split_lines_keepends

log = logging.getLogger("backcheck.lsp.documents")


class BufferDocument(TextDocument):
    """A text document whose lines and incremental edits follow the LSP's line endings."""

    _lines_source: str | None = None
    _lines_cache: tuple[str, ...] = ()

    @property
    def lines(self) -> Sequence[str]:
        source = self.source
        if source is not self._lines_source:
            self._lines_cache = tuple(split_lines_keepends(source))
            self._lines_source = source
        return self._lines_cache

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        encoder = Encoder(self.position_codec.encoding)
        lines = self.lines
        start = char_offset(lines, encoder, change.range.start)
        end = char_offset(lines, encoder, change.range.end)
        if end < start:
            start, end = end, start
        source = self.source
        self._source = source[:start] + change.text + source[end:]


class BufferWorkspace(Workspace):
    """pygls' workspace, creating `BufferDocument`s."""

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return BufferDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )

    def update_text_document(self, text_doc: types.VersionedTextDocumentIdentifier,
                             change: types.TextDocumentContentChangeEvent) -> None:
        """Apply a change; a change to a buffer that was never opened is logged and ignored."""
        if unquote(text_doc.uri) not in self._text_documents:
            log.warning("ignoring a change to %s, which the client never opened", text_doc.uri)
            return
        super().update_text_document(text_doc, change)

    @classmethod
    def replacing(cls, old: Workspace) -> BufferWorkspace:
        """A buffer workspace with the same root, folders and position encoding as `old`."""
        new = cls(old._root_uri, old._sync_kind, list(old.folders.values()), old.position_encoding)
        return new
