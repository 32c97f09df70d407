#!/usr/bin/python3
"""Pareto/NBD with static covariates at scale: the bench's summary of 1M
customers (gen_orders.py through jobs.py, cached in
~/.cache/libsegment-bench/) with a 3-level channel added from each id
alone (id mod 3: email, search, store), fitted without covariates and with
channel on both processes. Prints the wall and processor time of each
fit (the CLI's own process, from wait4).

    cov_bench.py SEGMENT [--size 1000000] [--runs 1]

Not a test. No peer runs this job: lifetimes has no covariates, and R's
CLVTools is not in Debian.
"""
import argparse
import os
import subprocess
import sys
import time

CACHE = os.path.expanduser('~/.cache/libsegment-bench')


def with_channel(size):
    src = os.path.join(CACHE, 'orders-v2-%d-%d-s20231231-summary.csv' %
                       (size, size * 10))
    out = os.path.join(CACHE, 'cov-%d-summary.csv' % size)
    if os.path.exists(out):
        return out
    if not os.path.exists(src):
        sys.exit('%s: missing; run tests/bench/jobs.py --sizes 1M once' % src)
    names = ('email', 'search', 'store')
    tmp = out + '.tmp%d' % os.getpid()
    with open(src) as f, open(tmp, 'w') as g:
        head = f.readline().rstrip('\n')
        g.write(head + ',channel\n')
        for line in f:
            line = line.rstrip('\n')
            g.write('%s,%s\n' % (line, names[int(line.split(',', 1)[0]) % 3]))
    os.replace(tmp, out)
    return out


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, _, ru = os.wait4(p.pid, 0)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    if not out:
        sys.exit(err.decode())
    return wall, ru.ru_utime + ru.ru_stime, out.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('segment')
    ap.add_argument('--size', type=int, default=1000000)
    ap.add_argument('--runs', type=int, default=1)
    ap.add_argument('--kinds', default='pareto_nbd,bgnbd')
    a = ap.parse_args()
    data = with_channel(a.size)
    base = [a.segment, 'fit', data, '--summary', '--map', 'id=customer_id']
    for kind in a.kinds.split(','):
        for label, extra in (('no covariates', []),
                             ('channel on both', [
                                 '--set', 'trans_covariates=channel',
                                 '--set', 'life_covariates=channel'])):
            for _ in range(a.runs):
                wall, cpu, out = run(base + ['--model', kind, '--set',
                                             't_x_column=recency'] + extra)
                res = dict(l.split(None, 1) for l in out.splitlines()
                           if l.strip())
                print('%-10s %-16s wall %6.2f s  cpu %6.2f s  loglik %s  '
                      'rows %s  iterations %s' %
                      (kind, label, wall, cpu, res.get('loglik', '?').strip(),
                       res.get('rows', '?').strip(),
                       res.get('iterations', '?').strip()))
                sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
