#!/usr/bin/env python3
"""Guard the SONAME: it changes only on an ABI break, by a deliberate edit of
both meson.build and this file."""
import re
import subprocess
import sys

EXPECTED = "libsegment.so.0"

out = subprocess.run(["readelf", "-d", sys.argv[1]], check=True,
                     capture_output=True, text=True).stdout
m = re.search(r"\(SONAME\)\s+Library soname: \[(.*?)\]", out)
if not m:
    sys.exit("no SONAME in " + sys.argv[1])
if m.group(1) != EXPECTED:
    sys.exit(f"SONAME is {m.group(1)}, expected {EXPECTED}")
print("SONAME", m.group(1))
