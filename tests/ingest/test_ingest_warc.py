"""WARC ingestion: which records become documents, and what a damaged archive yields."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsloom.errors import IngestError
from newsloom.ingest import IngestItem, IngestItemError, iter_file
from newsloom.models import RawDocument

PAGE = (
    "<html><head><title>{n}</title></head><body><p>Article number {n}. "
    + "Text. " * 300
    + "</p></body></html>"
)


def _response(
    writer: WARCWriter,
    url: str,
    body: bytes,
    *,
    status: str = "200 OK",
    ctype: str | None = "text/html; charset=utf-8",
    extra_headers=(),
    date: str | None = None,
    warc_headers: dict[str, str] | None = None,
) -> None:
    headers = [("Content-Type", ctype)] if ctype else []
    headers += list(extra_headers)
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    wh = dict(warc_headers or {})
    if date:
        wh["WARC-Date"] = date
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict=wh
    )
    writer.write_record(record)


def build_warc(path: Path, *, gz: bool, pages: int = 3) -> Path:
    """A CC-NEWS-like archive: warcinfo, then per page a request and a response, plus noise."""
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "newsloom-tests"}))
        for n in range(pages):
            url = f"https://news.example/{n}"
            req = StatusAndHeaders(
                "GET /%d HTTP/1.1" % n, [("Host", "news.example")], is_http_request=True
            )
            w.write_record(w.create_warc_record(url, "request", http_headers=req))
            _response(w, url, PAGE.format(n=n).encode(), date=f"2024-03-0{n + 1}T10:00:00Z")
            if n == 0:
                _response(w, "https://news.example/logo.png", b"\x89PNG....", ctype="image/png")
                _response(
                    w, "https://news.example/gone", b"<html>gone</html>", status="404 Not Found"
                )
                _response(
                    w,
                    "https://news.example/moved",
                    b"",
                    status="301 Moved Permanently",
                    extra_headers=[("Location", "https://news.example/0")],
                )
                w.write_record(
                    w.create_warc_record(
                        "https://news.example/0",
                        "metadata",
                        payload=io.BytesIO(b"fetchTimeMs: 12\r\n"),
                        warc_content_type="application/warc-fields",
                    )
                )
    return path


def split(results):
    items = [r for r in results if isinstance(r, IngestItem)]
    errors = [r for r in results if isinstance(r, IngestError)]
    assert len(items) + len(errors) == len(results)
    return items, errors


@pytest.mark.parametrize("gz", [False, True])
def test_only_html_200_responses_become_documents(tmp_path: Path, gz: bool) -> None:
    path = build_warc(tmp_path / ("cc.warc.gz" if gz else "cc.warc"), gz=gz)
    items, errors = split(list(iter_file(path)))
    assert errors == []
    assert [i.raw.url for i in items] == [f"https://news.example/{n}" for n in range(3)]
    for n, item in enumerate(items):
        raw = item.raw
        assert isinstance(raw, RawDocument) and item.needs_extraction and item.article is None
        assert raw.origin == "warc"
        assert raw.http_status == 200
        assert raw.content_type == "text/html"
        assert raw.encoding == "utf-8"
        assert raw.body == PAGE.format(n=n).encode()
        assert raw.headers["content-type"] == "text/html; charset=utf-8"
        assert raw.fetched_at == datetime(2024, 3, n + 1, 10, tzinfo=UTC)
        assert item.where.startswith(str(path) + "@")


def test_gzip_content_encoding_is_decoded_and_header_dropped(tmp_path: Path) -> None:
    path = tmp_path / "enc.warc.gz"
    html = PAGE.format(n=9).encode()
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        _response(
            w,
            "https://news.example/enc",
            gzip.compress(html),
            extra_headers=[("Content-Encoding", "gzip")],
        )
    (item,) = list(iter_file(path))
    assert item.raw.body == html
    assert "content-encoding" not in item.raw.headers


def test_identified_payload_type_used_when_server_sent_none(tmp_path: Path) -> None:
    path = tmp_path / "sniffed.warc"
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=False)
        _response(
            w,
            "https://news.example/a",
            b"<html>a</html>",
            ctype=None,
            warc_headers={"WARC-Identified-Payload-Type": "text/html"},
        )
        _response(
            w,
            "https://news.example/b",
            b"%PDF",
            ctype=None,
            warc_headers={"WARC-Identified-Payload-Type": "application/pdf"},
        )
    assert [i.raw.url for i in iter_file(path)] == ["https://news.example/a"]


def test_oversized_body_is_reported_and_reading_continues(tmp_path: Path) -> None:
    path = tmp_path / "big.warc.gz"
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        _response(w, "https://news.example/huge", b"<html>" + b"x" * 5000 + b"</html>")
        _response(w, "https://news.example/small", b"<html>small</html>")
    items, errors = split(list(iter_file(path, max_bytes=1000)))
    assert [i.raw.url for i in items] == ["https://news.example/small"]
    (err,) = errors
    assert "https://news.example/huge" in str(err) and "larger than 1000 bytes" in str(err)
    assert not err.stopped


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("keep", [0.55, 0.8, 0.97])
def test_truncated_archive_keeps_earlier_records_and_stops_with_one_error(
    tmp_path: Path, gz: bool, keep: float
) -> None:
    whole = build_warc(tmp_path / ("w.warc.gz" if gz else "w.warc"), gz=gz, pages=4)
    complete, _ = split(list(iter_file(whole)))
    data = whole.read_bytes()
    cut = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    cut.write_bytes(data[: int(len(data) * keep)])

    items, errors = split(list(iter_file(cut)))  # must not raise
    assert len(errors) == 1
    err = errors[0]
    assert isinstance(err, IngestItemError) and err.stopped
    assert str(cut) in str(err) and "offset" in str(err)
    assert err.offset is not None and 0 < err.offset < len(data)
    # Every document delivered is an intact one from the full archive, in order.
    assert len(items) < len(complete)
    for got, want in zip(items, complete):
        assert got.raw.url == want.raw.url and got.raw.body == want.raw.body


def test_truncation_inside_an_html_body_does_not_deliver_the_short_body(tmp_path: Path) -> None:
    path = tmp_path / "one.warc"
    with path.open("wb") as fh:
        _response(WARCWriter(fh, gzip=False), "https://news.example/x", PAGE.format(n=1).encode())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])
    items, errors = split(list(iter_file(path)))
    assert items == []
    assert "cut off" in str(errors[0]) and errors[0].offset == 0


def test_corrupt_bytes_in_the_middle_stop_cleanly(tmp_path: Path) -> None:
    whole = build_warc(tmp_path / "w.warc.gz", gz=True, pages=4)
    data = bytearray(whole.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = b"\x00garbage!" * 7 + b"\x00"
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(bytes(data))
    items, errors = split(list(iter_file(bad)))
    assert len(errors) == 1 and errors[0].stopped
    assert 0 < len(items) < 4


def test_not_a_warc_at_all(tmp_path: Path) -> None:
    path = tmp_path / "fake.warc"
    path.write_bytes(b"<html>this is not an archive</html>\n")
    items, errors = split(list(iter_file(path)))
    assert items == []
    assert len(errors) == 1 and "fake.warc" in str(errors[0]) and errors[0].offset == 0


@pytest.mark.parametrize("name, data", [("random.warc.gz", bytes(range(256)) * 8),
                                        ("notes.warc", b"just some notes\n")])
def test_not_a_warc_is_said_without_quoting_its_bytes(tmp_path: Path, name: str, data: bytes) -> None:
    """The error quoted warcio's "Unknown archive format, first line: [...]": 200 characters of
    binary junk on the user's terminal."""
    path = tmp_path / name
    path.write_bytes(data)
    items, errors = split(list(iter_file(path)))
    assert items == [] and len(errors) == 1
    message = str(errors[0])
    assert name in message and "not a WARC record" in message
    assert "first line" not in message and message.isprintable() and len(message) < 250


def test_whole_file_gzip_gets_a_clear_message(tmp_path: Path) -> None:
    plain = build_warc(tmp_path / "p.warc", gz=False)
    path = tmp_path / "onestream.warc.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    items, errors = split(list(iter_file(path)))
    assert len(errors) == 1
    assert "warcio recompress" in str(errors[0])


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.warc.gz"
    path.write_bytes(b"")
    assert list(iter_file(path)) == []


def test_wrong_content_length_stops_before_the_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "cl.warc"
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=False)
        _response(w, "https://news.example/ok", PAGE.format(n=1).encode())
        _response(w, "https://news.example/bad", PAGE.format(n=2).encode())
        _response(w, "https://news.example/after", PAGE.format(n=3).encode())
    data = path.read_bytes()
    second = data.index(b"WARC/1.0", 10)
    head_end = data.index(b"Content-Length: ", second)
    value_end = data.index(b"\r\n", head_end)
    length = int(data[head_end + 16 : value_end])
    # A Content-Length 50 bytes short leaves body bytes where the blank separator line belongs.
    path.write_bytes(data[:head_end] + b"Content-Length: %d" % (length - 50) + data[value_end:])
    items, errors = split(list(iter_file(path)))
    assert [i.raw.url for i in items] == ["https://news.example/ok"]
    (err,) = errors
    assert err.stopped and err.offset == second and "Content-Length" in str(err)
