"""Helpers for provider authors: message checks, prompt formatting, media reading."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest

from providerhub import MediaError, MessagesError, format_prompt, image_type, to_bytes, to_image, validate_messages

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 24
GIF = b"GIF89a" + b"\x00" * 24
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16


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


@pytest.mark.parametrize(
    ("data", "mime"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")]
)
def test_image_type_from_magic_bytes(data: bytes, mime: str) -> None:
    assert image_type(data) == mime


def test_image_type_rejects_other_bytes() -> None:
    with pytest.raises(MediaError, match=r"bytes input \(9 bytes\) is not a png, jpeg, gif or webp image"):
        image_type(b"%PDF-1.7\n")


def test_to_bytes_from_every_kind(tmp_path: Path) -> None:
    path = tmp_path / "pic.png"
    path.write_bytes(PNG)
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
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
