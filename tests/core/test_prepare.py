"""prepare(): messages checked, images in content parts moved into media, every image read and checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providerhub import MediaError, MessagesError
from providerhub.call import prepare
from support.images import GIF, JPEG, PNG, data_uri


def image_part(url: Any) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def test_text_only_messages_pass_unchanged_and_no_media_stays_none() -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
    ]
    assert prepare(messages) == (messages, None)


def test_image_parts_move_into_media_after_the_given_media_in_order(tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(JPEG)
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "first"}, image_part(data_uri(PNG))]},
        {"role": "assistant", "content": "seen"},
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": data_uri(JPEG, "image/jpeg")},  # the URL alone, as some send it
                {"type": "text", "text": "and"},
                {"type": "text", "text": "this"},
            ],
        },
    ]
    prepared, media = prepare(messages, [(photo, None)])
    assert prepared == [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "seen"},
        {"role": "user", "content": "and\nthis"},
    ]
    assert media == [(JPEG, "photo.jpg"), (PNG, "image.png"), (JPEG, "image.jpg")]
    assert messages[0]["content"][1]["type"] == "image_url"  # the caller's list is left alone


def test_a_message_of_images_only_becomes_empty_text() -> None:
    prepared, media = prepare([{"role": "user", "content": [image_part(data_uri(PNG))]}])
    assert prepared == [{"role": "user", "content": ""}]
    assert media == [(PNG, "image.png")]


@pytest.mark.parametrize(
    "media",
    [PNG, [PNG], [(PNG, None)], ((PNG, "x.png"),)],
    ids=["bare", "list-of-bare", "list-of-pairs", "tuple-of-pairs"],
)
def test_media_forms(media: Any) -> None:
    _, prepared = prepare([{"role": "user", "content": "hi"}], media)
    assert prepared is not None and [data for data, _ in prepared] == [PNG]


def test_empty_media_is_none() -> None:
    assert prepare([{"role": "user", "content": "hi"}], [])[1] is None


@pytest.mark.parametrize(
    ("url", "error", "message"),
    [
        (
            "https://example.com/cat.png",
            MediaError,
            r"messages\[0\]\['content'\]\[1\]: remote image 'https://example.com/cat.png' is not fetched",
        ),
        ("HTTP://example.com/cat.png", MediaError, "remote image"),
        ("file:///etc/passwd", MediaError, r"image URL 'file:///etc/passwd' is not a data: URI"),
        ("", MessagesError, r"messages\[0\]\['content'\]\[1\] is an image_url part without a URL"),
        (None, MessagesError, "without a URL"),
        ("data:image/png;base64,@@@", MediaError, "is not valid base64"),
        (data_uri(b"%PDF-1.7"), MediaError, "is not a png, jpeg, gif or webp image"),
    ],
)
def test_bad_image_parts_are_refused_naming_the_part(url: Any, error: type[Exception], message: str) -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": "look"}, image_part(url)]}]
    with pytest.raises(error, match=message):
        prepare(messages)


def test_a_part_that_is_neither_text_nor_image_is_named_at_its_own_index() -> None:
    content = [image_part(data_uri(PNG)), {"type": "audio", "data": "..."}]
    with pytest.raises(MessagesError, match=r"messages\[0\]\['content'\]\[1\] is not a text part"):
        prepare([{"role": "user", "content": content}])


@pytest.mark.parametrize(
    ("media", "message"),
    [
        ({"image": PNG}, "unsupported media dict input"),
        ([(PNG, "a.png", "extra")], r"media\[0\] must be a \(source, filename\) pair, not a 3-tuple"),
        ([(PNG, 5)], r"media\[0\]: the file name must be a string, not int"),
        ([b"not an image"], "is not a png, jpeg, gif or webp image"),
        (["/nonexistent/dir/x.png"], "cannot read file '/nonexistent/dir/x.png'"),
    ],
)
def test_bad_media_is_refused_early(media: Any, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        prepare([{"role": "user", "content": "hi"}], media)


@pytest.mark.parametrize("messages", [[], "hi", [{"role": "user"}], [None]])
def test_bad_messages_are_messages_errors(messages: Any) -> None:
    with pytest.raises(MessagesError):
        prepare(messages)


IMAGES = [PNG, JPEG, GIF]
PART = st.one_of(
    st.text(alphabet="abc ", max_size=5).map(lambda t: ("text", t)),
    st.sampled_from(range(len(IMAGES))).map(lambda i: ("image", i)),
)


@given(st.lists(st.lists(PART, min_size=1, max_size=4), min_size=1, max_size=4), st.booleans())
def test_images_keep_their_order_and_texts_their_words(
    conversation: list[list[tuple[str, Any]]], given_media: bool
) -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": value} if kind == "text" else image_part(data_uri(IMAGES[value]))
                for kind, value in parts
            ],
        }
        for parts in conversation
    ]
    prepared, media = prepare(messages, [(PNG, "given.png")] if given_media else None)
    expected_images = [IMAGES[value] for parts in conversation for kind, value in parts if kind == "image"]
    if given_media:
        expected_images.insert(0, PNG)
    assert [data for data, _ in media or []] == expected_images
    assert [m["content"] for m in prepared] == [
        "\n".join(value for kind, value in parts if kind == "text")
        if any(kind == "image" for kind, _ in parts)
        else [{"type": "text", "text": value} for _, value in parts]
        for parts in conversation
    ]
