#!/usr/bin/python3
"""b5_memory.py: bench B5, memory of a streamed read.

The data is B4's file (b4_throughput.py makes it: 1 GiB of uint16 per
variable in 8 MiB chunks, /zstd and /deflate). bench/b5_sum sums a variable
hyperslab by hyperslab through dt_var_read (each hyperslab: one 8 MiB chunk
per thread), under /usr/bin/time -v.

Target: peak RSS <= 32 MiB + 2 x threads x chunk size (64 MiB for 2
threads and 8 MiB chunks). The peak is the largest of the runs, both as
getrusage() reports it inside the process and as /usr/bin/time does."""

import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
import b4_throughput as b4  # noqa: E402


def time_v(argv, env):
    """stdout of argv and the `Maximum resident set size` (KiB) that
    /usr/bin/time -v reports for it."""
    import subprocess

    p = subprocess.run(["/usr/bin/time", "-v"] + argv, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        sys.exit("bench: %s failed: %s" % (" ".join(argv), err.strip()))
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    return p.stdout.decode(), int(m.group(1))


def main():
    a = bl.parse_args(__doc__.split("\n")[0])
    bl.need(["/usr/bin/time"], ["numpy", "h5py"])
    progs = bl.Programs(a.build)
    progs.zstd_plugin()
    summer = progs.bench("b5_sum")
    meta = progs.bench("b1_meta")

    with bl.DataDir(a.data) as dd:
        path, _ = b4.data_file(dd, a.small)
        want = b4.expected_sum(path, "zstd")
        rep = bl.Report("B5 memory: streamed sum of B4's variables (%d MiB each, 8 MiB chunks)"
                        % (os.path.getsize(path.replace(".h5", ".u16")) >> 20), a)
        _, base_kib = time_v([meta, "-t", str(a.threads), "open", path], progs.env)
        for var in ("zstd", "deflate"):
            peaks, secs = [], []
            kv = {}
            for _ in range(a.runs):
                bl.warm(path)
                out, kib = time_v([summer, "-t", str(a.threads), path, "/" + var], progs.env)
                kv = bl.keyvals(out)
                if int(kv["sum"]) != want:
                    sys.exit("bench: b5_sum /%s summed %s, expected %d" % (var, kv["sum"], want))
                peaks.append(max(kib, int(kv["peak_rss_kib"])))
                secs.append(float(kv["seconds"]))
            chunk = int(kv["chunk_bytes"])
            limit = 32 * 2**20 + 2 * a.threads * chunk
            peak = max(peaks) * 1024
            rep.absolute("peak RSS, sum of /%s" % var, "%.1f MiB" % (peak / 2**20),
                         "<= %.0f MiB (32 + 2 x %d x %.0f)" % (limit / 2**20, a.threads,
                                                              chunk / 2**20),
                         peak <= limit)
            rep.info("time of the sum of /%s" % var, bl.fmt_s(bl.median(secs)), "throughput",
                     bl.fmt_mbs(os.path.getsize(path.replace(".h5", ".u16")) / bl.median(secs)))
            rep.note("/%s: hyperslabs of %.0f MiB (the caller's buffer, part of the peak); "
                     "peaks of the runs: %s MiB" % (var, int(kv["slab_bytes"]) / 2**20,
                                                     ", ".join("%.1f" % (p / 1024) for p in peaks)))
        rep.note("the same process after dt_tree_open alone (b1_meta open): %.1f MiB"
                 % (base_kib / 1024))
        rep.note("every run's sum checked against the sum written with the file")
        rep.emit()


if __name__ == "__main__":
    main()
