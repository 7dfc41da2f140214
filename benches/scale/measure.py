"""Runs one command and appends its wall time and peak resident memory to FILE as one JSON line:
  measure.py FILE LABEL -- COMMAND...  →  {"stage": LABEL, "wall_s": …, "peak_rss_mib": …, "exit": …}
Peak RSS is the kernel's high-water mark of the child (getrusage ru_maxrss)."""

import json
import resource
import subprocess
import sys
import time

out, label, sep, *command = sys.argv[1:]
assert sep == "--" and command, __doc__
started = time.perf_counter()
code = subprocess.call(command)
wall = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
line = json.dumps({"stage": label, "wall_s": round(wall, 2),
                   "peak_rss_mib": round(peak_kib / 1024, 1), "exit": code})
with open(out, "a", encoding="utf-8") as f:
    f.write(line + "\n")
print(line, file=sys.stderr)
sys.exit(code)
