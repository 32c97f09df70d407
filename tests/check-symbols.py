#!/usr/bin/env python3
"""The exported dynamic symbols, the version script and the SEG_API
declarations of the public headers must be the same set, all prefixed seg_."""
import pathlib
import re
import subprocess
import sys

lib, mapfile, incdir = sys.argv[1:4]

out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                     capture_output=True, text=True).stdout
exported = set()
for line in out.splitlines():
    parts = line.split()
    if len(parts) >= 3 and parts[1] in "TDBRVWiu":
        exported.add(parts[2].split("@")[0])

text = re.sub(r"/\*.*?\*/", "", pathlib.Path(mapfile).read_text(), flags=re.S)
mapped = set()
for block in re.finditer(r"global:(.*?)(local:|\})", text, flags=re.S):
    mapped |= {s.strip() for s in block.group(1).split(";") if s.strip()}

declared = set()
for header in pathlib.Path(incdir).rglob("*.h"):
    src = re.sub(r"/\*.*?\*/", "", header.read_text(), flags=re.S)
    src = "\n".join(l for l in src.splitlines()
                    if not l.lstrip().startswith("#"))
    for decl in re.finditer(r"\bSEG_API\b([^;{]*?)\(", src):
        m = re.search(r"(\w+)\s*$", decl.group(1))
        if m and m.group(1) != "SEG_API":
            declared.add(m.group(1))

ok = True
def report(what, names):
    global ok
    if names:
        ok = False
        print(f"{what}: {', '.join(sorted(names))}")

report("exported but not in the version script", exported - mapped)
report("in the version script but not exported", mapped - exported)
report("declared in headers but not exported", declared - exported)
report("exported but not declared in a header", exported - declared)
report("exported without the seg_ prefix",
       {s for s in exported if not s.startswith("seg_")})
if len(exported) < 10:
    ok = False
    print(f"only {len(exported)} symbols found: is nm reading the library?")
print(f"{len(exported)} exported symbols checked")
sys.exit(0 if ok else 1)
