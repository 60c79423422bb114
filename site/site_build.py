"""What ``site/conf.py`` generates at every build: the API pages, the verdict notes, a reading-order check.

* :func:`write_api_pages` writes ``site/api/<room>.rst`` (git-ignored): every name of ``keras_tl.__all__``
  (the text names included), grouped by the room that defines it, each with its docstring and example.
* :func:`add_verdict_note` appends to each notebook page, as it is read (the notebook file is not
  changed and jupyter-cache keys on code cells only, so no re-execution), the claims that
  ``docs/verdicts.json`` records for it: QUICK mode at offset 0 (the run the page shows) beside full
  mode (``QUICK = False``), with a link to all offsets in ``docs/verdicts.md``.
* :func:`check_reading_order` fails the build when ``site/index.md``'s notebook order differs from the
  README's reading order.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path

ROOMS = [  # (module, title): the order of CONTRIBUTING.md's map
    ("core", "core: what every room uses"),
    ("data", "data: datasets, your own files, splits, shifts"),
    ("models", "models: backbones and pretrained weights"),
    ("transfer", "transfer: the strategies"),
    ("measure", "measure: seeds, benefits, similarity"),
    ("diagnose", "diagnose: tools to diagnose a transfer"),
    ("advisor", "advisor: the scenario advisor"),
    ("text", "text: BERT for text (the text extra)"),
    ("saving", "saving: on top"),
]


def _room_of(name: str, obj, modules: dict) -> str | None:
    """The room (second part of the defining module's path) of one public object."""
    module = getattr(obj, "__module__", None) if (inspect.isclass(obj) or inspect.isroutine(obj)) else None
    if module is None:  # a constant: the deepest keras_tl module that holds this very object
        holders = [m for m, mod in modules.items() if m.count(".") >= 2 and getattr(mod, name, None) is obj]
        module = max(holders, key=lambda m: m.count("."), default=None)
    if module and module.startswith("keras_tl."):
        return module.split(".")[1]
    return None


def api_entries() -> dict[str, list[tuple[str, str, str]]]:
    """{room: [(name, directive, target)]} for every public name, in ``__all__`` order."""
    import keras_tl
    import keras_tl.text  # noqa: F401  (the text extra: its names are in __all__ too)

    modules = {m: mod for m, mod in sys.modules.items() if m.startswith("keras_tl.") and mod is not None}
    rooms: dict[str, list] = {room: [] for room, _ in ROOMS}
    missing = []
    for name in keras_tl.__all__:
        obj = getattr(keras_tl, name)
        if inspect.ismodule(obj):
            continue  # the room modules themselves head their pages
        room = _room_of(name, obj, modules)
        if room not in rooms:
            missing.append(name)
            continue
        directive = "autoclass" if inspect.isclass(obj) else "autofunction" if callable(obj) else "autodata"
        rooms[room].append((name, directive, f"keras_tl.{name}"))
    if missing:
        raise RuntimeError(f"public names with no room, not documented: {missing}")
    return rooms


def _short_repr(value, limit: int = 600) -> str:
    import pprint

    text = pprint.pformat(value, width=100, compact=True)
    return text if len(text) <= limit else text[:limit].rsplit("\n", 1)[0] + "\n..."


def write_api_pages(folder: Path) -> None:
    import keras_tl

    folder.mkdir(parents=True, exist_ok=True)
    rooms = api_entries()
    titles = dict(ROOMS)
    index = ["API reference", "=============", "",
             "Every public name is flat: ``keras_tl.fine_tune``, ``keras_tl.elpv``. Here they are grouped by the",
             "room that defines them (``CONTRIBUTING.md`` has the map); the ``text`` names need the ``text`` extra.",
             "Each entry is the docstring, with its example.", "",
             ".. toctree::", "   :maxdepth: 1", ""]
    for room, entries in rooms.items():
        index.append(f"   {room}")
        title = titles[room]
        lines = [title, "=" * len(title), "",
                 f".. automodule:: keras_tl.{room}", "   :no-members:", "   :no-index:", "",
                 "Names: " + ", ".join(f":py:obj:`~keras_tl.{n}`" for n, _, _ in entries) + ".", ""]
        for name, directive, target in entries:
            lines += [name, "-" * len(name), ""]
            if directive == "autodata":  # a constant has no docstring of its own (autodata would show dict's)
                value = _short_repr(getattr(keras_tl, name))
                lines += [f".. py:data:: {target}", f"   :type: {type(getattr(keras_tl, name)).__name__}", "",
                          "   .. code-block:: text", "", *[f"      {ln}" for ln in value.splitlines()], ""]
            else:
                lines += [f".. {directive}:: {target}", ""]
                if directive == "autoclass":
                    lines += ["   :members:", ""]
        _write_if_changed(folder / f"{room}.rst", "\n".join(lines) + "\n")
    _write_if_changed(folder / "index.rst", "\n".join(index) + "\n")


def _write_if_changed(path: Path, text: str) -> None:
    """Unchanged pages keep their time stamp, so an incremental build does not re-read them."""
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


NOTEBOOK = re.compile(r"`(\d\d_[a-z0-9_]+)`")


def reading_order(readme: Path) -> list[str]:
    """The notebooks in the README's numbered reading order."""
    text = readme.read_text()
    block = text.split("**Reading order.**", 1)[1].split("\n\n", 1)[0]
    return NOTEBOOK.findall(block)


def check_reading_order(readme: Path, index: Path) -> None:
    wanted = reading_order(readme)
    found = re.findall(r"^/notebooks/(\d\d_[a-z0-9_]+)\s*$", index.read_text(), re.MULTILINE)
    if found != wanted:
        raise RuntimeError(f"site/index.md lists the notebooks as {found}; the README's reading order is {wanted}")


def _verdict_lines(run: dict | None, label: str) -> list[str]:
    if not run:
        return [f"**{label}**: not recorded in `docs/verdicts.json`.", ""]
    head = f"**{label}**: {'passed' if run.get('passed') else 'FAILED'} ({run.get('date', '?')}, {run.get('machine', '?')}; {run.get('seconds', 0):.0f} s)"
    lines = [head, ""]
    for c in run.get("claims", []):
        mark = "✓" if c.get("passed") else "✗"
        lines.append(f"- {mark} {c['claim']}: {c['figure']}")
    if not run.get("claims"):
        lines += [f"- {p}" for p in run.get("printed", [])]
    return lines + [""]


def verdict_note(notebook: str, verdicts: dict) -> str:
    """The Markdown appended to one notebook page: QUICK offset 0 beside full mode, from verdicts.json."""
    quick = verdicts.get("quick", {}).get(notebook, {}).get("0")
    full = verdicts.get("full", {}).get(notebook, {}).get("0")
    lines = ["## Verdicts recorded for this notebook", "",
             "The page above is this notebook executed in QUICK mode at seed offset 0. `make verdicts` recorded "
             "what it asserted at that offset, and what full mode (`QUICK = False`, larger samples and more "
             "seeds: tens of minutes on 2 CPU cores, so not executed for this site) asserted on the same "
             "machine. Offsets 1 and 2 are in [the verdicts page](../docs/verdicts.md).", ""]
    lines += _verdict_lines(quick, "QUICK mode, offset 0")
    lines += _verdict_lines(full, "Full mode, offset 0")
    return "\n".join(lines)


def add_verdict_note(app, docname: str, source: list[str]) -> None:
    """Sphinx ``source-read``: a last Markdown cell on each notebook page with its recorded verdicts."""
    if not docname.startswith("notebooks/"):
        return
    path = Path(app.srcdir) / "docs" / "verdicts.json"
    if not path.exists():
        return
    try:
        nb = json.loads(source[0])
    except json.JSONDecodeError:
        return
    verdicts = json.loads(path.read_text())
    name = docname.split("/", 1)[1] + ".ipynb"
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": verdict_note(name, verdicts)})
    source[0] = json.dumps(nb)
