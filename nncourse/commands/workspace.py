"""``nncourse workspace``: the learner's own copies of the course notebooks, which updates never touch.

Layout (the folder is git-ignored; JupyterLab opens there)::

    workspace/lectures/lecture-03_mlp_backprop.ipynb     from notebooks/
    workspace/exercises/exercise-03_mlp_backprop.ipynb   from exercises/ (the learner's answers go here)
    workspace/solutions/solution-03_mlp_backprop.ipynb   from solutions/, read-only reference
    workspace/.nncourse-workspace.json                   manifest: what was copied, with its sha256

The prefixes tell lecture, exercise and solution tabs apart in JupyterLab; links between the
notebooks are rewritten to the new names. Running the command again (``make lab`` does) brings
the course's new versions in without losing anything:

- a file the learner never changed (its sha256 is the one recorded) is replaced by the new version;
- a file the learner changed is kept as it is, and the new version is offered next to it as
  ``<name>.new.ipynb`` (the learner compares and copies what they want);
- a new notebook of the course is copied in; a deleted copy is copied in again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

MANIFEST = ".nncourse-workspace.json"
KINDS: dict[str, tuple[str, str]] = {
    "notebooks": ("lectures", "lecture-"),
    "exercises": ("exercises", "exercise-"),
    "solutions": ("solutions", "solution-"),
}
"""Course folder -> (workspace folder, file name prefix)."""
LINK = re.compile(
    r"(?P<open>\]\(|href=[\"'])(?:\.\./(?P<folder>notebooks|exercises|solutions)/)?(?P<name>\d\d_[\w-]+\.ipynb)"
)
README = """# Your workspace

Your own copies of the course notebooks: edit and run them freely. Updating the course (`git pull`)
never touches this folder. `nncourse workspace` (run by `make lab`) copies in new notebooks, replaces
the copies you never changed by their new version, and offers a new version of a notebook you did
change as `NAME.new.ipynb` next to it.

- `lectures/lecture-*.ipynb`: the chapters.
- `exercises/exercise-*.ipynb`: your exercises; put every helper function inside the answer cell of the task
  that uses it (the grader only sees the answer cells). `nncourse check FILE` grades one; `nncourse progress` shows all.
- `solutions/solution-*.ipynb`: read-only worked solutions, for after you have tried.
"""


@dataclass(frozen=True)
class Action:
    """What ``sync_workspace`` did with one notebook: created, updated, unchanged, kept or offered."""

    path: Path
    what: str
    offer: Path | None = None

    def __str__(self) -> str:
        if self.what == "offered":
            return f"a newer version of {self.path.name} is available: {self.offer} (your copy is kept as it is)"
        return f"{self.what:<9} {self.path}"


def workspace_path(workspace: Path, course_folder: str, name: str) -> Path:
    """Where the course's ``<course_folder>/<name>`` lives in the workspace."""
    folder, prefix = KINDS[course_folder]
    return Path(workspace) / folder / f"{prefix}{name}"


def _rewrite_links(source: str, here: str) -> str:
    def repl(match: re.Match) -> str:
        folder = match.group("folder") or here
        target_folder, prefix = KINDS[folder]
        up = f"../{target_folder}/" if match.group("folder") else ""
        return f"{match.group('open')}{up}{prefix}{match.group('name')}"

    return LINK.sub(repl, source)


def render(path: Path, course_folder: str) -> str:
    """The workspace copy of a course notebook: links point at the workspace names."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _rewrite_links(cell.source, course_folder)
    if course_folder == "notebooks":
        nb.metadata["nncourse"] = {"lecture": path.stem}
    return nbformat.writes(nb, version=4) + "\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, text: str, read_only: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not os.access(path, os.W_OK):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    path.write_text(text, encoding="utf-8")
    if read_only:
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def _offer_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.new{path.suffix}")


def sync_workspace(course_root: Path, workspace: Path | None = None) -> list[Action]:
    """Create or bring up to date the learner's workspace; never overwrites a file the learner changed."""
    course_root = Path(course_root)
    workspace = Path(workspace) if workspace is not None else course_root / "workspace"
    manifest_path = workspace / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    except json.JSONDecodeError:
        manifest = {}  # a broken manifest only costs offers instead of updates
    recorded: dict[str, str] = manifest.get("files", {})
    workspace.mkdir(parents=True, exist_ok=True)
    if not (workspace / "README.md").exists():
        (workspace / "README.md").write_text(README, encoding="utf-8")
    actions: list[Action] = []
    for course_folder in KINDS:
        for source in sorted((course_root / course_folder).glob("[0-9][0-9]_*.ipynb")):
            target = workspace_path(workspace, course_folder, source.name)
            key = target.relative_to(workspace).as_posix()
            text = render(source, course_folder)
            new_sha, read_only = _sha(text.encode("utf-8")), course_folder == "solutions"
            if not target.exists():
                _write(target, text, read_only)
                actions.append(Action(target, "created"))
            else:
                current = _sha(target.read_bytes())
                if current == new_sha:
                    actions.append(Action(target, "unchanged"))
                elif recorded.get(key) == current:  # the learner never changed it
                    _write(target, text, read_only)
                    actions.append(Action(target, "updated"))
                elif recorded.get(key) == new_sha:  # the course did not change; the learner did
                    actions.append(Action(target, "kept"))
                    continue  # keep recording the version we copied, not the learner's
                else:
                    offer = _offer_path(target)
                    _write(offer, text, read_only)
                    actions.append(Action(target, "offered", offer))
                    continue
            recorded[key] = new_sha
            stale_offer = _offer_path(target)
            if stale_offer.exists() and _sha(stale_offer.read_bytes()) == new_sha:
                stale_offer.unlink()  # the learner took the new version
    manifest_path.write_text(
        json.dumps({"version": 1, "files": recorded}, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return actions


def run_workspace(
    course_root: Path, workspace: Path | None = None, quiet: bool = False, out: Callable[[str], object] = print
) -> int:
    """The command: sync, then say what changed (with ``quiet``, only creations in bulk and offers)."""
    actions = sync_workspace(course_root, workspace)
    where = Path(workspace) if workspace is not None else Path(course_root) / "workspace"
    created = [a for a in actions if a.what == "created"]
    for action in actions:
        if action.what == "offered" or (not quiet and action.what in ("created", "updated")):
            out(str(action))
    if quiet and created:
        out(f"workspace: copied {len(created)} notebooks into {where}")
    updated = sum(a.what == "updated" for a in actions)
    if quiet and updated:
        out(f"workspace: {updated} notebooks you had not changed were updated to the course's new version")
    if not quiet:
        out(f"workspace {where}: {len(actions)} notebooks; open it with `make lab`")
    return 0
