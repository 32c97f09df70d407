#!/usr/bin/env python3
"""The segment CLI's progress line and Ctrl-C: shown on a terminal (a
pseudo-terminal here), not elsewhere, forced by --progress and --quiet;
SIGINT stops a long job with exit code 130 and no output file."""
import os
import pty
import random
import signal
import subprocess
import sys
import tempfile
import time
import unittest

CLI, SAMPLE = sys.argv[1:3]
del sys.argv[1:3]

SAMPLE_ARGS = ["--no-header", "--map", "id=2", "--map", "time=3",
               "--map", "amount=5"]
# every stage is shown from its start, not after a second
FAST = dict(os.environ, SEGMENT_PROGRESS_DELAY="0")


def on_terminal(*args):
    """Run with stderr on a pseudo-terminal: (exit code, what it showed)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([CLI, *args], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=slave, env=FAST)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    p.stdout.read()
    p.stdout.close()
    return p.wait(), shown.decode()


def piped(*args):
    p = subprocess.run([CLI, *args], capture_output=True, text=True,
                       env=FAST)
    return p.returncode, p.stderr


class Progress(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.dir.name, "out.csv")

    def tearDown(self):
        self.dir.cleanup()

    def test_shown_on_a_terminal(self):
        rc, shown = on_terminal("score", SAMPLE, *SAMPLE_ARGS, "--model",
                                "bgnbd", "-o", self.out)
        self.assertEqual(rc, 0, shown)
        for what in ("segment: loading " + SAMPLE, "MB/s", "of 0.2 MB",
                     "segment: computing features:", "of 2357 customers",
                     "segment: fitting bgnbd: ", " iterations",
                     "segment: scoring bgnbd: ", "segment: writing:"):
            self.assertIn(what, shown)
        # each line overwrites the one before, and the last is erased
        self.assertIn("\r\x1b[K", shown)
        self.assertTrue(shown.endswith("\r\x1b[K"), repr(shown[-80:]))
        self.assertTrue(os.path.exists(self.out))

    def test_not_shown_elsewhere(self):
        rc, err = piped("score", SAMPLE, *SAMPLE_ARGS, "--model", "bgnbd",
                        "-o", self.out)
        self.assertEqual((rc, err), (0, ""))

    def test_quiet_and_progress_force_it(self):
        rc, shown = on_terminal("features", SAMPLE, *SAMPLE_ARGS, "--quiet",
                                "-o", self.out)
        self.assertEqual((rc, shown), (0, ""))
        rc, err = piped("features", SAMPLE, *SAMPLE_ARGS, "--progress",
                        "-o", self.out)
        self.assertEqual(rc, 0, err)
        self.assertIn("segment: computing features:", err)
        rc, err = piped("features", SAMPLE, *SAMPLE_ARGS, "--progress", "-q")
        self.assertEqual(rc, 1)
        self.assertIn("--progress and --quiet", err)

    def test_quick_work_shows_nothing(self):
        """Without the test's delay of 0, a quick command shows nothing
        even on a terminal: a stage is shown after about a second."""
        start = time.monotonic()
        master, slave = pty.openpty()
        env = dict(os.environ)
        env.pop("SEGMENT_PROGRESS_DELAY", None)
        p = subprocess.Popen([CLI, "features", SAMPLE, *SAMPLE_ARGS, "-o",
                              self.out], stderr=slave, env=env)
        os.close(slave)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        os.close(master)
        self.assertEqual(p.wait(), 0)
        # the sample takes far less than a second unless the machine is
        # very busy: only then may a line have been drawn
        if time.monotonic() - start < 0.5:
            self.assertNotIn(b"computing features", shown)

    def big_input(self):
        path = os.path.join(self.dir.name, "big.csv")
        rng = random.Random(7)
        with open(path, "w") as f:
            f.write("id,time,amount\n")
            for _ in range(400000):
                f.write("c%d,%d,%.2f\n" % (rng.randrange(60000),
                        1577836800 + rng.randrange(700 * 86400),
                        rng.randrange(100, 10000) / 100))
        return path

    def interrupt(self, *args):
        """Run, send SIGINT once the first progress line is out, and
        return (exit code, stderr)."""
        p = subprocess.Popen([CLI, *args, "--progress"],
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=FAST)
        err = b""
        while b"segment: " not in err:
            chunk = p.stderr.read1(4096)
            if not chunk:
                break
            err += chunk
        p.send_signal(signal.SIGINT)
        err += p.stderr.read()
        p.stderr.close()
        return p.wait(), err.decode()

    def test_ctrl_c_leaves_no_output(self):
        big = self.big_input()
        rc, err = self.interrupt("score", big, "--model", "bgnbd", "-o",
                                 self.out)
        self.assertEqual(rc, 130, err)
        self.assertTrue(err.endswith("segment: interrupted\n"), err[-200:])
        self.assertNotIn("canceled", err)
        self.assertFalse(os.path.exists(self.out))
        # nor anything beside it (a temporary file)
        self.assertEqual(sorted(os.listdir(self.dir.name)), ["big.csv"])

    def test_ctrl_c_keeps_the_old_output(self):
        big = self.big_input()
        with open(self.out, "w") as f:
            f.write("old\n")
        save = os.path.join(self.dir.name, "m.model")
        rc, err = self.interrupt("score", big, "--model", "bgnbd",
                                 "--save-model", save, "-o", self.out)
        self.assertEqual(rc, 130, err)
        with open(self.out) as f:
            self.assertEqual(f.read(), "old\n")
        self.assertFalse(os.path.exists(save))


if __name__ == "__main__":
    unittest.main()
