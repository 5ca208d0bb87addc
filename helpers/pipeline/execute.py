"""Run papermill, starting the kernel again when it did not start.

    python -m helpers.pipeline.execute [papermill's arguments]

is ``python -m papermill [the same arguments]``, with one difference: when a run fails before its
first cell because its kernel never came up, the run is started again (at most ``ATTEMPTS`` times in
all, a few seconds apart). A build starts one kernel per run at once; on a loaded machine one of them
can miss papermill's start time-out ("Kernel didn't respond in 60 seconds") or die while it binds its
ports ("Kernel died before replying to kernel_info", two kernels having picked the same free port).
Neither says anything about the notebook, and a second start almost always works. Any other failure
(a cell's error, a kernel that dies later) is passed on at once, with papermill's exit code.

papermill's output is passed through line by line (the build sends it to the run's log); a retry adds
one line saying why.
"""
import random
import subprocess
import sys
import time

ATTEMPTS = 3
# What jupyter_client raises while it waits for a new kernel's first reply (and only then)
NOT_STARTED = ("Kernel didn't respond in", "Kernel died before replying to kernel_info")


def did_not_start(output: str) -> str | None:
    """The start failure papermill's output reports, or None when it failed (or ran) otherwise."""
    return next((cause for cause in NOT_STARTED if cause in output), None)


def run_once(arguments: list[str]) -> tuple[int, str]:
    """papermill once, its output passed through; (exit code, the output)."""
    seen = []
    with subprocess.Popen([sys.executable, "-m", "papermill", *arguments], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            seen.append(line)
    return process.returncode, "".join(seen)


def main(arguments: list[str], attempts: int = ATTEMPTS, pause: float = 3.0) -> int:
    for attempt in range(1, attempts + 1):
        code, output = run_once(arguments)
        cause = did_not_start(output) if code else None
        if cause is None or attempt == attempts:
            return code
        print(f"execute: the kernel did not start ({cause} ...); starting it again, attempt {attempt + 1} of "
              f"{attempts}", flush=True)
        time.sleep(pause * attempt + random.Random().uniform(0, pause))   # apart, so retries do not collide again
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
