"""Run a command; write its peak RSS (MB) and wall time (s) to a file. Exit code passes through.

    python bench/peak_rss.py OUT_FILE COMMAND [ARGS...]

Why a launcher: a child exec'd straight from a large process (pytest with models loaded, a
bench that has embedded in-process) reports that process's peak as its own, because exec
records the old address space's high-water mark into the rusage that wait4 returns. This
launcher is small when it forks, so the figure it writes is the command's alone. The time
is taken here too, so the launcher's own start-up is not in it.
"""

import os
import subprocess
import sys
import time


def main() -> int:
    out, cmd = sys.argv[1], sys.argv[2:]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    with open(out, "w") as fh:
        fh.write(f"{usage.ru_maxrss / 1024:.1f} {seconds:.4f}\n")
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
