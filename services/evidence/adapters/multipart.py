"""``multipart/form-data`` uploads (a browser form, ``curl -F``), streamed, never buffered whole.

The form has exactly two fields: ``metadata`` (the JSON of ``X-Evidence-Metadata``, UTF-8) and
``file``, **in that order**. The order is what keeps the upload protocol of ADR 0005: the
metadata is read and checked (403/404/409/422) before a byte of the file is spooled; a form
that sends the file first is refused rather than buffered. ``streaming-form-data`` (C) splits
the body as it arrives from ``request.stream()``; the file's bytes are handed on chunk by chunk to
the spool, which hashes them and enforces the size cap exactly as for a raw body.

Anything else is refused with a 422 naming the field: an unknown field (strict parsing), a
second file, metadata larger than :data:`MAX_METADATA_BYTES` or not UTF-8, a missing field, a
body that ends before its closing boundary (a truncated upload is never stored).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from streaming_form_data import StreamingFormDataParser
from streaming_form_data.parser import ParseFailedException, UnexpectedPartException
from streaming_form_data.targets import BaseTarget

from kernel.errors import Unprocessable, UnsupportedMediaType

METADATA_FIELD = "metadata"
FILE_FIELD = "file"
#: The metadata is a small JSON object (the header form is limited by servers to ~8 KiB).
MAX_METADATA_BYTES = 64 * 1024
#: Bytes a form may spend besides the file: the metadata and the part headers and boundaries.
#: A Content-Length beyond ``max_upload_bytes`` plus this is refused before reading (413).
FORM_OVERHEAD_BYTES = MAX_METADATA_BYTES + 16 * 1024


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "multipart/form-data"


class _Collect(BaseTarget):  # type: ignore[misc]  # the library ships no type information
    """The parser's callbacks only record; the checks run after each chunk (exceptions raised
    inside a callback would have to cross the C parser)."""

    def __init__(self, name: str, order: list[str]) -> None:
        super().__init__()
        self.name = name
        self.order = order  # the field names in the order their parts began (shared)
        self.chunks: list[bytes] = []
        self.size = 0
        self.starts = 0
        self.done = False

    def on_start(self) -> None:
        self.starts += 1
        self.order.append(self.name)

    def on_data_received(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.size += len(chunk)

    def on_finish(self) -> None:
        self.done = True

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


class FormUpload:
    """One multipart upload: :meth:`read_metadata` first, then :meth:`file` streams the file."""

    def __init__(self, headers: Mapping[str, str], stream: AsyncIterator[bytes]) -> None:
        try:
            self._parser = StreamingFormDataParser(headers, strict=True)
        except ParseFailedException as exc:
            raise UnsupportedMediaType(
                f"multipart/form-data without a usable boundary: {exc}", field="Content-Type"
            ) from exc
        self._order: list[str] = []
        self._meta = _Collect(METADATA_FIELD, self._order)
        self._file = _Collect(FILE_FIELD, self._order)
        self._parser.register(METADATA_FIELD, self._meta)
        self._parser.register(FILE_FIELD, self._file)
        self._stream = stream
        self._ended = False

    @property
    def filename(self) -> str | None:
        """The file part's own name (``filename=`` of its Content-Disposition), as sent."""
        name: str | None = self._file.multipart_filename
        return name

    @property
    def content_type(self) -> str | None:
        """The file part's Content-Type, as sent (recorded, never trusted)."""
        kind: str | None = self._file.multipart_content_type
        return kind

    async def _feed(self) -> bool:
        """Parse the next chunk of the body; False once the body has ended."""
        try:
            chunk = await anext(self._stream)
        except StopAsyncIteration:
            self._ended = True
            return False
        try:
            self._parser.data_received(chunk)
        except UnexpectedPartException as exc:
            raise Unprocessable(
                f"unexpected form field {exc.part_name!r}: a form upload has the fields "
                f"{METADATA_FIELD!r} and {FILE_FIELD!r}",
                field=str(exc.part_name),
            ) from exc
        except ParseFailedException as exc:
            raise Unprocessable(f"malformed multipart/form-data body: {exc}", field=FILE_FIELD) from exc
        if self._meta.size > MAX_METADATA_BYTES:
            raise Unprocessable(f"the metadata field exceeds {MAX_METADATA_BYTES} bytes", field=METADATA_FIELD)
        if self._meta.starts > 1:
            raise Unprocessable("the form has more than one metadata field", field=METADATA_FIELD)
        if self._file.starts > 1:
            raise Unprocessable("one file per upload: the form has several file fields", field=FILE_FIELD)
        if self._order and self._order[0] == FILE_FIELD:
            raise Unprocessable(
                f"the {METADATA_FIELD!r} field must come before the {FILE_FIELD!r} field "
                "(it is checked before the file is received)",
                field=METADATA_FIELD,
            )
        return True

    async def read_metadata(self) -> str:
        """The metadata field's text; reads on until the file part's first bytes (so all its
        headers are parsed: :attr:`filename` and :attr:`content_type` are known). File bytes read
        meanwhile (at most one chunk) wait for :meth:`file`."""
        while not (self._file.chunks or self._file.done):
            if not await self._feed():
                if self._file.starts:
                    raise Unprocessable("the multipart body ended inside the file part", field=FILE_FIELD)
                missing = FILE_FIELD if self._meta.done else METADATA_FIELD
                raise Unprocessable(f"the form has no {missing!r} field", field=missing)
        try:
            return self._meta.take().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Unprocessable(f"the metadata field is not UTF-8: {exc}", field=METADATA_FIELD) from exc

    async def file(self) -> AsyncIterator[bytes]:
        """The file's bytes as they arrive; raises (422) if the body ends before the form does."""
        while True:
            data = self._file.take()
            if data:
                yield data
            if self._ended or not await self._feed():
                break
        data = self._file.take()
        if data:
            yield data
        if not self._file.done:
            raise Unprocessable(
                "the multipart body ended before its closing boundary (truncated upload)", field=FILE_FIELD
            )
