"""dedup-cluster's progress bar: drawn on stderr when it is a terminal,
never when stderr is piped or with --quiet, and never on stdout.

Usage: test_progress.py DEDUP_CLUSTER SEEDS_DIR
"""
import os
import pty
import subprocess
import sys
import unittest

CLI, SEEDS = sys.argv[1], sys.argv[2]
FILES = sorted(os.path.join(SEEDS, f) for f in os.listdir(SEEDS)
               if f.endswith('.txt'))


def run_on_tty(args):
    """Runs the CLI with stderr on a pseudo-terminal; (stdout, stderr)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([CLI] + args, stdout=subprocess.PIPE,
                         stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    err = b''
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        err += chunk
    out = p.stdout.read()
    p.wait()
    os.close(master)
    assert p.returncode == 0, (p.returncode, err)
    return out, err


class Progress(unittest.TestCase):
    def piped(self, args):
        p = subprocess.run([CLI] + args, capture_output=True, check=True)
        return p.stdout, p.stderr

    def test_bar_on_a_terminal(self):
        out, err = run_on_tty(FILES)
        want, _ = self.piped(FILES)
        self.assertEqual(out, want)  # stdout unchanged
        text = err.decode()
        n = len(FILES)
        self.assertIn('%d/%d files' % (n, n), text)
        self.assertIn('100% [', text)
        self.assertIn('MB/s', text)
        self.assertIn('ETA', text)
        # Cleared at the end: the last thing written erases the line.
        self.assertTrue(text.endswith('\r\x1b[K'), repr(text[-40:]))

    def test_quiet_turns_it_off(self):
        out, err = run_on_tty(['--quiet'] + FILES)
        self.assertEqual(err, b'')
        self.assertEqual(out, self.piped(FILES)[0])

    def test_silent_when_piped(self):
        _, err = self.piped(FILES)
        self.assertEqual(err, b'')

    def test_warnings_start_on_a_clean_line(self):
        missing = os.path.join(SEEDS, 'no-such-file.txt')
        master, slave = pty.openpty()
        p = subprocess.Popen([CLI] + FILES + [missing],
                             stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        err = b''
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        p.stdout.read()
        p.wait()
        os.close(master)
        self.assertEqual(p.returncode, 1)
        text = err.decode()
        i = text.index('dedup-cluster: ' + missing)
        # Whatever came before the warning was erased first.
        self.assertTrue(i == 0 or text[:i].endswith('\r\x1b[K'),
                        repr(text[:i]))


if __name__ == '__main__':
    unittest.main(argv=sys.argv[:1], verbosity=2)
