"""Helpers for provider authors: message checks, prompt formatting, media reading."""

from __future__ import annotations

import base64
import io
import os
import time
from pathlib import Path

import pytest

from providerhub import MediaError, MessagesError, format_prompt, image_type, to_bytes, to_image, validate_messages
from providerhub.media import media_items
from support.images import GIF, IMAGES, JPEG, PNG, WEBP, data_uri


def test_format_prompt_single_message_is_its_text() -> None:
    assert format_prompt([{"role": "user", "content": "Hi there"}]) == "Hi there"


def test_format_prompt_conversation() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Hello"}]},
        {"role": "assistant", "content": "Hi"},
        {"role": "user", "content": "Bye"},
    ]
    assert format_prompt(messages) == "System: Be brief.\nUser: Hello\nAssistant: Hi\nUser: Bye\nAssistant:"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ("hello", "messages must be a list"),
        ([], "messages is empty"),
        ([{"role": "user"}], r"messages\[0\] has no 'content'"),
        ([{"content": "x"}], r"messages\[0\] has no 'role'"),
        (
            [{"role": "user", "content": 3}],
            r"messages\[0\]\['content'\] must be a string or a list of text parts, not int",
        ),
        ([{"role": "user", "content": [{"type": "image_url"}]}], r"messages\[0\]\['content'\]\[0\] is not a text part"),
        ([{"role": "", "content": "x"}], r"messages\[0\]\['role'\] must be a non-empty string"),
        (["x"], r"messages\[0\] must be a dict"),
    ],
)
def test_validate_messages_names_the_fault(messages: object, message: str) -> None:
    with pytest.raises(MessagesError, match=message):
        validate_messages(messages)


@pytest.mark.parametrize(("data", "mime"), IMAGES.values(), ids=IMAGES)
def test_image_type_from_magic_bytes(data: bytes, mime: str) -> None:
    assert image_type(data) == mime


def test_image_type_rejects_other_bytes() -> None:
    with pytest.raises(MediaError, match=r"bytes input \(9 bytes\) is not a png, jpeg, gif or webp image"):
        image_type(b"%PDF-1.7\n")


def test_to_bytes_from_every_kind(tmp_path: Path) -> None:
    path = tmp_path / "pic.png"
    path.write_bytes(PNG)
    uri = data_uri(PNG)
    assert to_bytes(PNG) == to_bytes(str(path)) == to_bytes(path) == to_bytes(uri) == to_bytes(io.BytesIO(PNG)) == PNG


def test_to_image_names_and_types(tmp_path: Path) -> None:
    path = tmp_path / "cat.gif"
    path.write_bytes(GIF)
    assert to_image(path) == (GIF, "cat.gif", "image/gif")
    assert to_image(JPEG) == (JPEG, "image.jpg", "image/jpeg")
    assert to_image(WEBP, "w.webp").filename == "w.webp"


@pytest.mark.parametrize(
    ("media", "message"),
    [
        ("/no/such/file.png", "cannot read file '/no/such/file.png'"),
        ("data:image/png;base64,@@@", "data URI 'data:image/png;base64,@@@' is not valid base64"),
        ("https://example.com/a.png", "is a URL"),
        (b"", "bytes input \\(0 bytes\\) is empty"),
        (io.StringIO("text"), "opened in text mode"),
        (12, "unsupported media int input"),
    ],
)
def test_to_bytes_errors_name_the_input(media: object, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        to_bytes(media)  # type: ignore[arg-type]


# -- bounded, and no file oracle ------------------------------------------------------------------


def test_a_file_past_the_cap_is_refused_without_reading_it_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDERHUB_MAX_IMAGE_BYTES", "1000")
    path = tmp_path / "big.png"
    path.write_bytes(PNG + b"\x00" * 2000)
    with pytest.raises(MediaError, match=r"larger than 1,000 bytes .*PROVIDERHUB_MAX_IMAGE_BYTES"):
        to_bytes(path)
    reads: list[int] = []

    class Endless(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            reads.append(size)
            return b"\x00" * (size if size > 0 else 10**9)

    with pytest.raises(MediaError, match="larger than 1,000 bytes"):
        to_bytes(Endless())
    assert reads == [1001]
    with pytest.raises(MediaError, match="larger than"):
        to_bytes(b"x" * 1001)
    with pytest.raises(MediaError, match="larger than"):
        to_bytes(data_uri(b"x" * 1500))
    assert to_bytes(PNG + b"\x00" * 900) == PNG + b"\x00" * 900


def test_the_default_cap_is_20_mib() -> None:
    with pytest.raises(MediaError, match="larger than 20,971,520 bytes"):
        to_bytes(b"x" * (20 * 1024 * 1024 + 1))


@pytest.mark.parametrize("value", ["0", "-1", "lots"])
def test_a_bad_cap_setting_is_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PROVIDERHUB_MAX_IMAGE_BYTES", value)
    with pytest.raises(MediaError, match="PROVIDERHUB_MAX_IMAGE_BYTES must be a positive whole number"):
        to_bytes(PNG)


def test_only_regular_files_are_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # nobody writes: opening it for reading would block forever
    for path in (str(fifo), "/dev/zero", str(tmp_path)):
        started = time.monotonic()
        with pytest.raises(MediaError, match=rf"file '{path}' is not a regular file"):
            to_bytes(path)
        assert time.monotonic() - started < 2
    link = tmp_path / "zero.png"
    link.symlink_to("/dev/zero")
    with pytest.raises(MediaError, match="is not a regular file"):
        to_image(str(link))


def test_messages_never_echo_file_bytes_and_name_the_path_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secret.txt").write_bytes(b"root:x:0:0:TOPSECRET")
    monkeypatch.chdir(tmp_path)
    for given in ("secret.txt", "./secret.txt", Path("secret.txt")):
        with pytest.raises(MediaError) as caught:
            to_image(given)  # type: ignore[arg-type]
        assert str(caught.value) == f"file {os.fspath(given)!r} is not a png, jpeg, gif or webp image"
    with pytest.raises(MediaError) as caught:
        to_image(io.BytesIO(b"TOPSECRET"))
    assert "TOPSECRET" not in str(caught.value)


@pytest.mark.parametrize(
    "uri",
    [
        "data:image/png;BASE64," + base64.b64encode(PNG).decode(),
        "data:image/png;Base64," + base64.b64encode(PNG).decode().rstrip("="),
        "data:image/png;base64, " + " \n".join(base64.b64encode(PNG).decode()[i : i + 8] for i in range(0, 44, 8)),
    ],
    ids=["upper-case", "no-padding", "whitespace"],
)
def test_data_uris_are_read_leniently(uri: str) -> None:
    assert to_bytes(uri) == PNG


@pytest.mark.parametrize(
    ("media", "message"),
    [
        ("a\x00b.png", r"file 'a\\x00b.png' is not a valid path"),
        ("data:image/png;base64,ab\u00e9c", "is not valid base64"),
        ("data:image/png;base64", "has no ','"),
    ],
)
def test_bad_inputs_are_media_errors(media: object, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        to_bytes(media)  # type: ignore[arg-type]


class Misbehaving:
    def __init__(self, result: object = None, error: BaseException | None = None):
        self.result, self.error = result, error

    def read(self, size: int = -1) -> object:
        if self.error is not None:
            raise self.error
        return self.result


@pytest.mark.parametrize(
    "media",
    [
        Misbehaving(error=RuntimeError("x")),
        Misbehaving(error=TypeError("x")),
        Misbehaving(result=None),
        Misbehaving(result=3),
    ],
    ids=["raises-runtime", "raises-type", "returns-none", "returns-int"],
)
def test_a_misbehaving_file_object_is_a_media_error(media: object) -> None:
    with pytest.raises(MediaError, match="Misbehaving input"):
        to_bytes(media)  # type: ignore[arg-type]


def test_a_three_tuple_in_a_media_list_is_a_media_error() -> None:
    with pytest.raises(MediaError, match=r"media\[1\] must be a \(source, filename\) pair, not a 3-tuple"):
        media_items([(PNG, "a.png"), (PNG, "b.png", "image/png")])
    assert media_items(PNG) == [(PNG, None)]
    assert media_items([(PNG, "a.png"), GIF]) == [(PNG, "a.png"), (GIF, None)]
