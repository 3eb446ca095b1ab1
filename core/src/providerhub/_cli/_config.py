"""``config``: the effective configuration: the file and what it changed, the hub's settings, the
``PROVIDERHUB_*`` variables set, the state backend and the user's files (secrets masked)."""

from __future__ import annotations

import os
import re
from typing import Any

import providerhub
from providerhub import _history as history
from providerhub import _keys as keys
from providerhub._config import default_path
from providerhub.http import redact

from ._output import Context, printable, write_json, write_table, yes
from ._status import EXIT_OK

_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)


def _shown_setting(name: str, value: object) -> object:
    """A setting fit to print: secrets masked by name, URLs without user-info or query values."""
    if _SECRET_NAME.search(name):
        return "***"
    return redact(value) if isinstance(value, str) else value


def _effective_config() -> dict[str, Any]:
    """What this process runs with: the configuration file and what it changed, the hub's settings,
    the ``PROVIDERHUB_*`` variables set, the state backend and the user's files."""
    hub = providerhub.default_hub()
    path = hub.config.path or default_path()
    present = {p.name.lower() for p in hub.list_providers()}
    tables = [
        {
            "name": table.name,
            "from": table.base,
            "status": ("added" if table.base else "adjusted") if table.name.lower() in present else "left out",
            "settings": {key: _shown_setting(key, value) for key, value in table.settings.items()},
        }
        for table in hub.config.providers
    ]
    environment = {
        name: _shown_setting(name, value)
        for name, value in sorted(os.environ.items())
        if name.startswith("PROVIDERHUB_")
    }
    return {
        "file": path,
        "file_found": os.path.isfile(path),
        "default_model": hub.default_model,
        "prefer": list(hub.prefer),
        "plugins": None if hub.plugins is None else list(hub.plugins),
        "disable_plugins": list(hub.disable_plugins),
        "strict": hub.strict,
        "providers": tables,
        "environment": environment,
        "state_backend": redact(hub.router.settings.state_url or "memory"),
        "cache_dir": _index_folder(hub),
        "keys_file": keys.path(),
        "history_file": history.path(),
    }


def _index_folder(hub: providerhub.Hub) -> str | None:
    """Where the hub keeps its model index; ``None`` when it keeps none."""
    from providerhub import _index as index

    if not hub.use_index:
        return None
    try:
        return hub.cache_dir or index.cache_dir()
    except ValueError:  # a relative PROVIDERHUB_CACHE_DIR: the commands that use the index warn about it
        return None


def cmd_config(ctx: Context) -> int:
    settings = _effective_config()
    if ctx.args.json:
        write_json(settings, ctx.out)
        return EXIT_OK
    found = "" if settings["file_found"] else " (none there)"
    plugins = settings["plugins"]
    rows = [
        ("file", f"{settings['file']}{found}"),
        ("default model", settings["default_model"] or "- (the preferred provider's default)"),
        ("prefer", ", ".join(settings["prefer"]) or "-"),
        ("plugins", "all installed" if plugins is None else ", ".join(plugins) or "none"),
        ("disabled", ", ".join(settings["disable_plugins"]) or "-"),
        ("strict", yes(settings["strict"])),
        ("state backend", settings["state_backend"]),
        ("model index", settings["cache_dir"] or "off"),
        ("keys", settings["keys_file"]),
        ("conversations", settings["history_file"]),
    ]
    for key, value in rows:
        ctx.out.write(f"{key:<15} {printable(str(value))}\n")
    if settings["providers"]:
        ctx.out.write("\nproviders in the file:\n")
        table = [
            (p["name"], p["from"], p["status"], ", ".join(f"{k}={v!r}" for k, v in p["settings"].items()))
            for p in settings["providers"]
        ]
        write_table(
            ("PROVIDER", "FROM", "STATUS", "SETTINGS"), [[printable(str(c)) for c in row] for row in table], ctx.out
        )
    if settings["environment"]:
        ctx.out.write("\nenvironment:\n")
        for name, value in settings["environment"].items():
            ctx.out.write(f"  {name}={printable(str(value))}\n")
    else:
        ctx.out.write("\nenvironment: no PROVIDERHUB_* variable is set\n")
    return EXIT_OK
