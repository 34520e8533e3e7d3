"""The operating system's boundary around learner code: a bubblewrap (``bwrap``) sandbox per worker.

What a sandboxed worker sees and may do:

- its own pid, network (no interfaces but a down loopback), IPC and UTS namespaces, and a mount
  namespace whose root is an empty tmpfs holding only: ``/usr`` and the ``/lib*`` links (system
  libraries), the Python environment read-only (``sys.prefix``, ``sys.base_prefix`` and their real
  paths; an installed copy of the course package inside them is masked), the worker and the
  plain-data wire module bound one by one, a private ``/proc`` and minimal ``/dev``, and two
  size-limited tmpfs folders of its own: ``/scratch`` (its working folder) and ``/tmp``;
- as root, bwrap runs privileged and the worker then drops to a fresh unprivileged uid per worker
  (``setpriv``: no capabilities, no new privileges); as a normal user, bwrap makes a user namespace
  and the worker is uid 65534 inside it;
- a cgroup per worker where the grader may create one (root): memory (with swap) and process
  count across all the worker's processes; the grader kills the whole cgroup at the end;
- ``--die-with-parent`` and a pid namespace: when the grader kills bwrap, every process of the
  submission dies with it.

Nothing of the course folder (solutions, tests, the package source), the submissions or the
output folder is visible inside.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSIDE = "/opt/nncourse-worker"  # where worker.py and wire.py appear inside the sandbox
SCRATCH = "/scratch"
UID_BASE = 1_900_000_000  # fresh uids for workers when the grader runs as root (no user has them)
_uids = itertools.count()
_uid_lock = threading.Lock()
_status: tuple[bool, str] | None = None


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


_help: str | None = None


def _supports(flag: str) -> bool:
    """Whether this bubblewrap knows ``flag`` (options were added over releases)."""
    global _help
    if _help is None:
        try:
            _help = subprocess.run(
                [bwrap_path() or "bwrap", "--help"], capture_output=True, text=True, timeout=10, check=False
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            _help = ""
    return flag in _help


def python_roots() -> list[str]:
    """The folders that make up this Python environment (venv and base interpreter), as given and real."""
    roots: list[str] = []
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        for path in (os.path.abspath(prefix), os.path.realpath(prefix)):
            if path not in roots and path != "/":
                roots.append(path)
    exe = os.path.realpath(sys.executable)
    if not any(exe.startswith(r + "/") for r in roots):
        roots.append(os.path.dirname(exe))
    return sorted(set(roots))


def _masked_package_dirs(roots: list[str]) -> list[str]:
    """An installed (non-editable) copy of the course package inside the environment: hidden."""
    package = str(HERE.parent)
    return [package] if any(package.startswith(r + "/") for r in roots) else []


def _parents(paths: list[str]) -> list[str]:
    found: list[str] = []
    for path in paths:
        parts = Path(path).parts[1:-1]
        for i in range(len(parts)):
            parent = "/" + "/".join(parts[: i + 1])
            if parent not in found and parent not in ("/usr", "/lib", "/lib64", "/bin"):
                found.append(parent)
    return found


@dataclass
class Sandbox:
    """One worker's sandbox: its command line, uid and cgroup."""

    memory_bytes: int
    nproc: int
    disk_bytes: int
    uid: int | None = None
    cgroups: tuple[str, ...] = ()

    @classmethod
    def create(cls, memory_bytes: int, nproc: int, disk_bytes: int) -> Sandbox:
        box = cls(memory_bytes, nproc, disk_bytes)
        if os.geteuid() == 0:
            with _uid_lock:
                box.uid = UID_BASE + next(_uids) % 65536
            box.cgroups = tuple(_make_cgroups(memory_bytes, nproc))
        return box

    def command(self, argv: list[str], extra_binds: tuple[tuple[str, str], ...] = ()) -> list[str]:
        """``argv`` (a command inside, e.g. the worker) wrapped in bwrap (and setpriv as root).

        ``extra_binds``: (source, destination) pairs bound read-only (the reference server's package).
        """
        roots = python_roots()
        cmd = [
            bwrap_path() or "bwrap",
            "--die-with-parent",
            "--new-session",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]
        if os.geteuid() != 0:
            cmd += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
            cmd += ["--disable-userns"] if _supports("--disable-userns") else []  # bubblewrap >= 0.8
        cmd += ["--ro-bind", "/usr", "/usr"]
        for link in ("lib", "lib64", "bin", "sbin"):
            if os.path.islink(f"/{link}"):
                cmd += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
            elif os.path.isdir(f"/{link}"):
                cmd += ["--ro-bind", f"/{link}", f"/{link}"]
        size = str(max(self.disk_bytes, 1 << 20))
        # the private /tmp first: an environment that lives under /tmp (a CI clone) is bound on top of it
        cmd += ["--size", size, "--perms", "1777", "--tmpfs", "/tmp"]
        for parent in _parents([*roots, f"{INSIDE}/x", *(dst for _, dst in extra_binds)]):
            cmd += ["--perms", "0755", "--dir", parent]
        for root in roots:
            cmd += ["--ro-bind", root, root]
        for masked in _masked_package_dirs(roots):
            cmd += ["--tmpfs", masked]
        cmd += ["--perms", "0755", "--dir", INSIDE]
        for name in ("worker.py", "wire.py"):
            cmd += ["--ro-bind", str(HERE / name), f"{INSIDE}/{name}"]
        for source, destination in extra_binds:
            cmd += ["--ro-bind", source, destination]
        cmd += [
            "--size",
            size,
            "--perms",
            "1777",
            "--tmpfs",
            SCRATCH,
        ]
        cmd += ["--proc", "/proc", "--dev", "/dev", "--chdir", SCRATCH, "--"]
        if self.uid is not None:
            setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
            cmd += [
                setpriv,
                "--reuid",
                str(self.uid),
                "--regid",
                str(self.uid),
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
            ]
        cmd += argv
        if self.cgroups:  # join the cgroups before bwrap starts: every descendant is then inside them
            joins = " && ".join(f"echo $$ > {c}/cgroup.procs" for c in self.cgroups)
            cmd = ["/bin/sh", "-c", f'{joins} && exec "$@"', "sh", *cmd]
        return cmd

    def kill_all(self, remove: bool = True) -> None:
        """Kill every process left in this sandbox's cgroups, then (``remove``) remove the cgroups."""
        for group in self.cgroups:
            for _ in range(50):
                try:
                    pids = [int(p) for p in Path(group, "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.01)
            if remove:
                try:
                    os.rmdir(group)
                except OSError:
                    pass


def _own_cgroup_v1(controller: str) -> str | None:
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, names, path = line.split(":", 2)
            if controller in names.split(","):
                return os.path.join(f"/sys/fs/cgroup/{controller}", path.lstrip("/"))
    except OSError:
        return None
    return None


_counter = itertools.count()


def _make_cgroups(memory_bytes: int, nproc: int) -> list[str]:
    """A memory and a pids cgroup (v1), or one v2 cgroup, under the grader's own; [] where not allowed."""
    name = f"nncourse-{os.getpid()}-{next(_counter)}"
    made: list[str] = []
    try:
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):  # cgroup v2
            own = Path("/proc/self/cgroup").read_text().split("::", 1)[1].strip()
            group = os.path.join("/sys/fs/cgroup", own.lstrip("/"), name)
            os.mkdir(group)
            made.append(group)
            Path(group, "memory.max").write_text(str(memory_bytes))
            Path(group, "memory.swap.max").write_text("0")
            Path(group, "pids.max").write_text(str(nproc))
            return made
        memory, pids = _own_cgroup_v1("memory"), _own_cgroup_v1("pids")
        if memory is None or pids is None:
            return []
        for parent, settings in (
            (memory, {"memory.limit_in_bytes": memory_bytes, "memory.memsw.limit_in_bytes": memory_bytes}),
            (pids, {"pids.max": nproc}),
        ):
            group = os.path.join(parent, name)
            os.mkdir(group)
            made.append(group)
            for key, value in settings.items():
                try:
                    Path(group, key).write_text(str(value))
                except OSError:
                    if key != "memory.memsw.limit_in_bytes":  # swap accounting may be off: fine
                        raise
        return made
    except (OSError, IndexError):
        for group in made:
            try:
                os.rmdir(group)
            except OSError:
                pass
        return []


def sandbox_status() -> tuple[bool, str]:
    """(works, description): whether a sandboxed Python can start here, and what isolates it."""
    global _status
    if _status is not None:
        return _status
    if not sys.platform.startswith("linux"):
        _status = (False, "the sandbox needs Linux (bubblewrap)")
        return _status
    if bwrap_path() is None:
        _status = (False, "bubblewrap (bwrap) is not installed; see the README, 'For instructors'")
        return _status
    box = Sandbox.create(256 << 20, 16, 1 << 20)
    probe = "import os,sys; print(os.getuid(), len(os.listdir('/proc')), os.path.exists(sys.argv[1]))"
    try:
        result = subprocess.run(
            box.command([sys.executable, "-I", "-S", "-c", probe, str(HERE)]),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        box.kill_all()
        _status = (False, f"bwrap could not start ({exc})")
        return _status
    box.kill_all()
    words = result.stdout.split()
    if result.returncode != 0 or len(words) != 3:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        _status = (False, f"bwrap cannot start a sandbox here ({last[:200]}); user namespaces may be disabled")
    elif words[0] == "0" or words[2] != "False":
        _status = (False, "bwrap started but the sandbox is not isolated (root inside, or the course visible)")
    else:
        limits = "cgroup memory and process limits" if box.cgroups else "per-process limits only (no cgroup)"
        _status = (
            True,
            f"bubblewrap sandbox works (uid {words[0]} inside, own pid/net/mount/ipc namespaces, {limits})",
        )
    return _status
