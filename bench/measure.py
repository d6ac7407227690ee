#!/usr/bin/python3
"""Runs a command and writes "WALL USER SYS MAXRSS_KIB" (seconds, seconds, seconds, KiB) of it to a
file, like `/usr/bin/time -f '%e %U %S %M' -o FILE`, using only python3 (no `time` package needed).

    measure.py OUTFILE CMD [ARGS...]        exit status: the command's
"""
import resource
import subprocess
import sys
import time


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    t0 = time.monotonic()
    rc = subprocess.call(cmd)
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        f.write("%.2f %.2f %.2f %d\n" % (wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss))
    return rc


if __name__ == "__main__":
    sys.exit(main())
