#!/usr/bin/env python3
"""The JSON of tables, summaries and crosstabs, read by a real parser: runs
test-table with SEG_TABLE_OUT set, then reads what it wrote and compares
every value with what the table holds (the .expect files, which need no
escaping)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

TEST_TABLE = sys.argv[1]
del sys.argv[1]


def cell(tok):
    if tok == "-":
        return None
    kind, val = tok.split(":", 1)
    if kind == "n":
        return float(val)
    return bytes.fromhex(val).decode("utf-8")


def read_expect(path):
    with open(path, encoding="ascii") as f:
        lines = f.read().splitlines()
    args = [cell(t) for t in lines[0].split()[1:]]
    header = [cell(t) for t in lines[1].split()]
    rows = [[cell(t) for t in line.split()] for line in lines[2:]]
    return args, header, rows


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    # the pairs keep order and duplicate keys; strict: no raw control bytes
    return json.loads(data.decode("utf-8"), object_pairs_hook=list,
                      strict=True)


class Tables(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        env = dict(os.environ, SEG_TABLE_OUT=cls.dir.name)
        p = subprocess.run([TEST_TABLE], env=env, capture_output=True,
                           text=True)
        if p.returncode != 0:
            raise AssertionError("test-table failed:\n" + p.stdout + p.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def check_table(self, name):
        args, header, rows = read_expect(self.path(name + ".expect"))
        got = load(self.path(name + "_table.json"))
        self.assertEqual(len(got), len(rows))
        for obj, row in zip(got, rows):
            self.assertEqual([k for k, _ in obj], header)
            self.assertEqual([v for _, v in obj], row)
        return args, header, rows

    def test_summary_table(self):
        args, header, rows = self.check_table("summary")
        self.assertEqual(len(rows), 13)
        self.assertTrue(any(r[0] is not None and len(r[0].encode()) > 100000
                            for r in rows))
        self.assertIn("ctl\x01\x02\x1f\x7f", [r[0] for r in rows])
        self.assertIn("crlf\r\nx", [r[0] for r in rows])
        self.assertIsNone(rows[-1][0])

    def test_summary(self):
        args, header, rows = read_expect(self.path("summary.expect"))
        got = load(self.path("summary.json"))
        self.assertEqual(len(got), len(rows))
        for obj, row in zip(got, rows):
            want = [("label", row[0]), ("count", row[1]), ("share", row[2])]
            for i, v in enumerate(args):
                want.append((v, [("total", row[3 + 3 * i]),
                                 ("mean", row[4 + 3 * i]),
                                 ("share", row[5 + 3 * i])]))
            self.assertEqual(obj, want)

    def test_crosstab_table(self):
        args, header, rows = self.check_table("crosstab")
        self.assertEqual(rows[-1][0], "total")
        self.assertEqual(rows[-1][-1], 130)
        self.assertTrue(any(len(h.encode()) > 100000 for h in header))

    def test_crosstab(self):
        (col_column,), header, rows = read_expect(self.path("crosstab.expect"))
        got = load(self.path("crosstab.json"))
        counts = [(r[0] if r[0] is not None else "",
                   [(h, v) for h, v in zip(header[1:-1], r[1:-1])])
                  for r in rows[:-1]]
        self.assertEqual(got, [("rows", header[0]), ("columns", col_column),
                               ("counts", counts),
                               ("total", rows[-1][-1])])


if __name__ == "__main__":
    unittest.main()
