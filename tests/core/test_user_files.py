"""The key store and the conversation store: private files, bounds, damaged files, the key lookup order."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providerhub import AsyncGeneratorProvider, MissingCredentialsError
from providerhub import _history as history
from providerhub import _keys as keys
from providerhub._userfiles import config_dir, data_dir, write_private
from providerhub.errors import UserFileError


class Keyed(AsyncGeneratorProvider):
    default_model = "keyed-1"
    needs_auth = True
    api_key_env: ClassVar[str | None] = "KEYED_TEST_KEY"

    @classmethod
    async def create_async_generator(cls, model, messages, proxy=None, media=None, **kwargs):  # type: ignore[no-untyped-def]
        yield ""


# -- where ----------------------------------------------------------------------------------------


def test_directories_follow_xdg_and_ignore_relative_values(tmp_path: Path) -> None:
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d")}
    assert config_dir(environ) == str(tmp_path / "c" / "providerhub")
    assert data_dir(environ) == str(tmp_path / "d" / "providerhub")
    relative = {"XDG_CONFIG_HOME": "rel", "XDG_DATA_HOME": "rel"}
    assert config_dir(relative) == os.path.expanduser("~/.config/providerhub")
    assert data_dir(relative) == os.path.expanduser("~/.local/share/providerhub")


def test_write_private_replaces_whole_with_mode_0600(tmp_path: Path) -> None:
    file = tmp_path / "new" / "f.json"
    old = os.umask(0)
    try:
        write_private(str(file), b"one")
        write_private(str(file), b"two")
    finally:
        os.umask(old)
    assert file.read_bytes() == b"two"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    assert os.listdir(file.parent) == ["f.json"]


# -- keys -----------------------------------------------------------------------------------------


def test_the_key_lookup_order_is_argument_then_file_then_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingCredentialsError, match="keys set Keyed"):
        Keyed.require_api_key()
    monkeypatch.setenv("KEYED_TEST_KEY", "from-env")
    assert Keyed.get_api_key() == "from-env"
    keys.save({"keyed": "from-file"})  # names match in any case
    assert Keyed.get_api_key() == "from-file"
    assert Keyed.get_api_key("given") == "given"
    assert keys.lookup("Keyed", "KEYED_TEST_KEY") == ("from-file", "file")


def test_the_key_file_is_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    keys.save({"Keyed": "first"})
    assert Keyed.get_api_key() == "first"
    Path(keys.path()).write_text(json.dumps({"Keyed": "second"}))
    reads: list[object] = []
    with monkeypatch.context() as patch:
        patch.setattr(keys, "read_capped", lambda *args: reads.append(args))
        assert Keyed.get_api_key() == "first"  # not read again
    assert reads == []
    keys.forget()
    assert Keyed.get_api_key() == "second"


def test_a_moved_configuration_folder_is_seen_at_the_next_lookup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keys.save({"Keyed": "first"})
    assert Keyed.get_api_key() == "first"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "other"))
    assert Keyed.get_api_key() is None  # no key file there (and no variable set)
    keys.save({"Keyed": "second"})
    assert Path(keys.path()).parent == tmp_path / "other" / "providerhub"
    assert Keyed.get_api_key() == "second"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # the default folder is under the home folder
    assert keys.path() == str(tmp_path / "home" / ".config" / "providerhub" / keys.FILENAME)
    assert Keyed.get_api_key() is None


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        (b"\xff\xfe", "is not valid JSON"),
        (b"[" * 100_000, "is not valid JSON"),
        (b'{"Keyed": null}', "the key for 'Keyed' is not a string"),
        (b'{"Keyed": "two words"}', "holds spaces or control characters"),
        (b'{"": "k"}', "'' is not a provider name"),
        (b"{}" + b" " * keys.MAX_BYTES, "is larger than 262,144 bytes"),
    ],
)
def test_a_damaged_key_file_is_a_user_file_error_naming_it(content: bytes, fault: str) -> None:
    file = Path(keys.path())
    file.parent.mkdir(parents=True)
    file.write_bytes(content)
    with pytest.raises(UserFileError, match="key file") as caught:
        Keyed.get_api_key()
    assert str(file) in str(caught.value) and fault in str(caught.value)
    assert caught.value.path == str(file)


def test_a_fifo_as_the_key_file_is_refused_without_blocking() -> None:
    file = Path(keys.path())
    file.parent.mkdir(parents=True)
    os.mkfifo(file)
    with pytest.raises(UserFileError, match="cannot be read: not a regular file"):
        keys.load()


def test_keys_too_many_to_store_are_refused_and_the_file_kept() -> None:
    keys.save({"A": "k"})
    with pytest.raises(UserFileError, match="would be larger than"):
        keys.save({f"P{i}": "k" * 1000 for i in range(300)})
    assert keys.load() == {"A": "k"}


_names = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=30)
_keys = st.text(st.characters(whitelist_categories=("L", "N", "P")), min_size=1, max_size=60)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(_names, _keys, max_size=8))
def test_stored_keys_read_back_equal(stored: dict[str, str]) -> None:
    keys.save(stored)
    assert keys.load() == stored
    for name, key in stored.items():
        assert keys.stored_key(name) == key


# -- conversations --------------------------------------------------------------------------------


def test_conversations_round_trip_newest_first() -> None:
    first = history.new("A/a", [{"role": "user", "content": "one"}])
    history.save(first)
    second = history.new("B/b", [{"role": "user", "content": "two"}])
    history.save(second)
    assert [c.id for c in history.load()] == [second.id, first.id]
    history.save(first.add({"role": "assistant", "content": "ok"}, model="C/c"))
    latest = history.last()
    assert latest is not None
    assert (latest.id, latest.model, len(latest.messages)) == (first.id, "C/c", 2)
    assert stat.S_IMODE(Path(history.path()).stat().st_mode) == 0o600
    assert history.clear() is True
    assert history.load() == [] and history.last() is None and history.clear() is False


def test_only_the_newest_conversations_and_messages_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "MAX_CONVERSATIONS", 3)
    monkeypatch.setattr(history, "MAX_MESSAGES", 4)
    saved = []
    for i in range(5):
        conversation = history.new(f"P/{i}", [{"role": "user", "content": str(i)}])
        history.save(conversation)
        saved.append(conversation.id)
    assert [c.id for c in history.load()] == saved[::-1][:3]
    turns = [{"role": "system", "content": "sys"}] + [{"role": "user", "content": str(i)} for i in range(10)]
    history.save(history.new("P/long", turns))  # type: ignore[arg-type]
    kept = history.last()
    assert kept is not None
    assert [m["content"] for m in kept.messages] == ["sys", "7", "8", "9"]


def test_the_store_stays_within_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "MAX_BYTES", 2000)
    for i in range(5):
        history.save(history.new(f"P/{i}", [{"role": "user", "content": "x" * 300}]))
    assert os.path.getsize(history.path()) <= 2000
    kept = history.load()
    assert 1 < len(kept) < 5 and kept[0].model == "P/4"
    big = history.new("P/big", [{"role": "user", "content": f"{i}" + "y" * 400} for i in range(10)])
    history.save(big)
    assert os.path.getsize(history.path()) <= 2000
    latest = history.last()
    assert latest is not None and latest.id == big.id
    assert [m["content"][0] for m in latest.messages] == [str(i) for i in range(10 - len(latest.messages), 10)]
