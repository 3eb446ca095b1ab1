"""Conversations: ``chat -c`` continuing the last one, ``providerhub history``, the interactive session."""

from __future__ import annotations

import json
import signal
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from support.cli import CLI, Terminal, one_error_line


def store(cli: CLI) -> Path:
    return Path(cli.environ()["XDG_DATA_HOME"]) / "providerhub" / "conversations.json"


def sent(answer: str) -> list[dict[str, Any]]:
    """The messages Echo received, from its answer."""
    return json.loads(answer)["messages"]  # type: ignore[no-any-return]


def test_continue_sends_the_last_conversation_with_the_new_prompt(echo: CLI) -> None:
    first = echo.run("chat", "-m", "echo-1", "--system", "be brief", "first question")
    assert first.returncode == 0, first.stderr
    second = echo.run("chat", "-c", "second question")
    assert second.returncode == 0, second.stderr
    assert sent(second.stdout) == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": first.stdout.rstrip("\n")},
        {"role": "user", "content": "second question"},
    ]
    third = echo.run("chat", "--continue", "--system", "be long", "third")
    messages = sent(third.stdout)
    assert (len(messages), messages[0], messages[-1]) == (
        6,
        {"role": "system", "content": "be long"},
        {"role": "user", "content": "third"},
    )
    assert stat.S_IMODE(store(echo).stat().st_mode) == 0o600


def test_a_new_chat_starts_a_new_conversation(echo: CLI) -> None:
    echo.run("chat", "-m", "echo-1", "one")
    result = echo.run("chat", "-m", "echo-1", "two")
    assert sent(result.stdout) == [{"role": "user", "content": "two"}]
    listing = json.loads(echo.run("history", "--json").stdout)
    assert [[m["content"] for m in c["messages"] if m["role"] == "user"] for c in listing] == [["two"], ["one"]]


def test_continue_with_nothing_stored_exits_2(echo: CLI) -> None:
    result = echo.run("chat", "-c", "hello")
    assert result.returncode == 2
    assert one_error_line(result) == (
        f"providerhub: error: there is no conversation to continue ({store(echo)} holds none)"
    )


def test_no_history_leaves_nothing_stored(echo: CLI) -> None:
    result = echo.run("chat", "-m", "echo-1", "--no-history", "private")
    assert result.returncode == 0
    assert not store(echo).exists()


def test_history_lists_json_and_clears(echo: CLI) -> None:
    echo.run("chat", "-m", "echo-1", "what\x1b[31m is   this?")
    result = echo.run("history")
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split() == ["#", "UPDATED", "MODEL", "MESSAGES", "FIRST", "PROMPT"]
    assert row.split()[0] == "1" and row.split()[2:] == ["Echo/echo-1", "2", "what\\x1b[31m", "is", "this?"]
    listing = json.loads(echo.run("history", "--json").stdout)
    assert [(c["model"], len(c["messages"])) for c in listing] == [("Echo/echo-1", 2)]
    assert set(listing[0]) == {"id", "model", "updated", "messages"}
    cleared = echo.run("history", "--clear")
    assert (cleared.returncode, cleared.stderr) == (0, "providerhub: the stored conversations are removed\n")
    assert not store(echo).exists()
    empty = echo.run("history")
    assert (empty.returncode, empty.stdout) == (0, "")
    assert empty.stderr == f"providerhub: no conversations are stored (in {store(echo)})\n"
    assert echo.run("history", "--clear").stderr == "providerhub: no conversations are stored\n"


def test_stored_conversations_never_hold_keys(echo: CLI) -> None:
    echo.run("keys", "set", "Echo", stdin="sk-stored-secret")
    result = echo.run("chat", "-m", "echo-1", "--key", "sk-flag-secret", "-o", "temperature", "0.25", "hi")
    assert json.loads(result.stdout)["key"] is True
    result = echo.run("chat", "-c", "--proxy", "http://127.0.0.1:9", "again")
    assert json.loads(result.stdout)["key"] is True
    text = store(echo).read_text()
    assert [len(c["messages"]) for c in json.loads(text)["conversations"]] == [4]
    assert "sk-stored-secret" not in text and "sk-flag-secret" not in text


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        ("{", "is not valid JSON"),
        ('{"conversations": 3}', "has no list of conversations"),
        ('{"conversations": [{"id": "x"}]}', "holds a conversation (#1) without id, model, updated, messages"),
    ],
)
def test_a_damaged_conversation_file(echo: CLI, content: str, fault: str) -> None:
    file = store(echo)
    file.parent.mkdir(parents=True)
    file.write_text(content)
    message = f"conversation file {file} {fault}; 'providerhub history --clear' removes it"
    for command in ("history", "chat -c hi"):
        result = echo.run(*command.split())
        assert result.returncode == 2
        assert one_error_line(result) == f"providerhub: error: {message}"
    result = echo.run("chat", "-m", "echo-1", "hi")  # a new conversation is answered; storing it fails
    assert result.returncode == 0
    assert sent(result.stdout) == [{"role": "user", "content": "hi"}]
    assert result.stderr == f"providerhub: warning: the conversation is not stored: {message}\n"
    assert file.read_text() == content
    assert echo.run("history", "--clear").returncode == 0
    assert not file.exists()


# -- the interactive session --------------------------------------------------------------------


def test_a_session_keeps_the_conversation_and_exit_leaves(echo: CLI, png: Path) -> None:
    terminal = Terminal(echo, "chat", "-m", "echo-vision", "--system", "terse", "--image", str(png))
    terminal.expect("Chatting with Echo/echo-vision. Type !exit or press Ctrl-D to leave; Ctrl-C cancels an answer.")
    terminal.expect("> ")
    terminal.send("hello there\n")
    first = terminal.expect("> ")
    answer = first[first.index("{") : first.rindex("}") + 1]
    assert json.loads(answer)["images"] == 1  # the image goes with the first turn
    assert sent(answer) == [{"role": "system", "content": "terse"}, {"role": "user", "content": "hello there"}]
    terminal.send("and again\n")
    second = terminal.expect("> ")
    again = json.loads(second[second.index("{") : second.rindex("}") + 1])
    assert again["images"] == 0
    assert [m["content"] for m in again["messages"]] == ["terse", "hello there", answer, "and again"]
    terminal.send("!exit\n")
    assert terminal.finish() == 0
    stored = json.loads(store(echo).read_text())["conversations"]
    assert [len(c["messages"]) for c in stored] == [5]


def test_ctrl_d_leaves_and_continue_resumes_the_session(echo: CLI) -> None:
    echo.run("chat", "-m", "echo-1", "before")
    terminal = Terminal(echo, "chat", "-c")
    terminal.expect("Chatting with Echo/echo-1, continuing a conversation of 2 messages.")
    terminal.expect("> ")
    terminal.send("next\n")
    turn = terminal.expect("> ")
    assert [m["content"] for m in sent(turn[turn.index("{") : turn.rindex("}") + 1])][::2] == ["before", "next"]
    terminal.send("\x04")  # Ctrl-D at the start of a line: end of input
    assert terminal.finish() == 0


def test_ctrl_c_cancels_only_the_answer_in_progress(echo: CLI, tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    echo.extra["ECHO_CLOSED_FILE"] = str(closed)
    terminal = Terminal(echo, "chat", "-m", "echo-wait")
    terminal.expect("> ")
    time.sleep(0.3)  # a person's Ctrl-C comes once line editing waits for keys, not between its first steps
    terminal.proc.send_signal(signal.SIGINT)  # at the prompt: a fresh prompt, nothing else
    terminal.expect("(type !exit or press Ctrl-D to leave)")
    terminal.expect("> ")
    terminal.send("wait for it\n")
    terminal.expect("waiting ")
    terminal.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    terminal.expect("(answer cancelled)")
    terminal.expect("> ")  # the session goes on
    assert closed.read_text() == "closed"  # the provider's answer was closed
    assert terminal.proc.poll() is None
    terminal.send("!exit\n")
    assert terminal.finish() == 0
    assert not store(echo).exists()  # a cancelled turn is not kept


def test_a_failed_turn_is_reported_and_the_session_goes_on(echo: CLI) -> None:
    terminal = Terminal(echo, "chat", "-m", "locked-1")
    terminal.expect("> ")
    terminal.send("hi\n")
    terminal.expect("providerhub: error: provider Locked needs a key and none was found")
    terminal.expect("> ")
    terminal.send("!exit\n")
    assert terminal.finish() == 0


def test_an_option_error_is_reported_before_the_session_starts(echo: CLI) -> None:
    terminal = Terminal(echo, "chat", "-m", "echo-1", "-o", "temprature", "1")
    assert terminal.finish() == 2
    assert "provider Echo takes no option 'temprature'" in terminal.seen.decode()
    assert "Chatting with" not in terminal.seen.decode()


def test_continue_keeps_the_model_unless_told_and_remembers_a_new_one(echo: CLI) -> None:
    echo.run("chat", "-m", "echo-1", "one")
    assert json.loads(echo.run("chat", "-c", "--json", "two").stdout)["model"] == "echo-1"
    assert json.loads(echo.run("chat", "-c", "-m", "echo-vision", "--json", "three").stdout)["model"] == "echo-vision"
    result = json.loads(echo.run("chat", "-c", "--json", "four").stdout)
    assert result["model"] == "echo-vision"
    assert [m["content"] for m in sent(result["text"]) if m["role"] == "user"] == ["one", "two", "three", "four"]
    assert json.loads(echo.run("history", "--json").stdout)[0]["model"] == "Echo/echo-vision"
