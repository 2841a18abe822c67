"""Prints the client x scenario matrix from the suite reports run.sh collected.

Usage: matrix.py LABEL=REPORT ... . Scenario numbers (scenarios.md) are read from test names:
pytest `test_04_...`, node `04 ...`, cargo `s04_s05_...`; tests without a number count as their own
column ("other")."""
import re
import sys

RESULT = [
    (re.compile(r"^(PASSED|FAILED|ERROR) \S+::(\S+)"), lambda m: (m.group(1) == "PASSED", m.group(2))),
    (re.compile(r"^(ok|not ok) \d+ - (.*)$"), lambda m: (m.group(1) == "ok", m.group(2))),
    (re.compile(r"^test (\S+) \.\.\. (ok|FAILED)$"), lambda m: (m.group(2) == "ok", m.group(1))),
]


def scenarios(name):
    found = re.findall(r"(?:^|[_ s])(\d\d)(?=[_ ])", name)
    return found or ["other"]


rows = []
columns = set()
for arg in sys.argv[1:]:
    label, path = arg.split("=", 1)
    cells = {}
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        for pattern, parse in RESULT:
            m = pattern.match(line)
            if m:
                ok, name = parse(m)
                for s in scenarios(name):
                    columns.add(s)
                    cells[s] = cells.get(s, True) and ok
    rows.append((label, cells))

order = sorted(c for c in columns if c != "other") + (["other"] if "other" in columns else [])
width = max(len(label) for label, _ in rows) + 2
print("client".ljust(width) + " ".join(c.rjust(5) for c in order))
for label, cells in rows:
    marks = [("ok" if cells[c] else "FAIL") if c in cells else "-" for c in order]
    print(label.ljust(width) + " ".join(m.rjust(5) for m in marks))
