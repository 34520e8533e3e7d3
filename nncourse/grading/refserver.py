"""The reference server: answers calls to an exercise's reference functions, under limits.

When a learner's task fails and later tasks call it, the grader answers those calls with the
reference; the learner's code chooses the arguments, so the reference runs here, in a limited
(normally sandboxed) process, never inside the grader. Started by ``process.reference_server``.
"""

from __future__ import annotations

import os
import resource


def main(exercise_id: str, fd_in: int, fd_out: int) -> None:
    from nncourse.checks import get_exercise
    from nncourse.grading import wire

    exercise = get_exercise(exercise_id)
    reader, writer = os.fdopen(fd_in, "rb"), os.fdopen(fd_out, "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    resource.setrlimit(resource.RLIMIT_CPU, (3600, 3600))  # each call has its wall-clock deadline
    writer.write(wire.dumps({"ready": True}))
    while True:
        line = reader.readline(256 * 1024 * 1024)
        if not line:
            os._exit(0)
        try:
            request = wire.loads(line)
            args, kwargs = wire.decode(request["args"]), wire.decode(request["kwargs"])
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise wire.WireError("bad call")
            reply = {"value": wire.encode(exercise.task(request["call"]).reference(*args, **kwargs))}
        except Exception as exc:  # noqa: BLE001 - bad arguments from the learner: an error for them
            reply = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        writer.write(wire.dumps(reply))
