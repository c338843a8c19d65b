"""benchlib.py: what the bench drivers share: options, finding the programs,
interleaved timing with medians, data directories and the report tables.

The machine the benches run on is noisy (two cores, other jobs), so nothing
here is an absolute number: every libdtree time is divided by a reference
time measured in the same run, and each time is the median of several runs
taken round-robin (A B C A B C ...), so a burst of noise hits all sides."""

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"

# The Debian package that provides each program or Python module we use.
PACKAGES = {
    "ncdump": "netcdf-bin",
    "ncks": "nco",
    "h5ls": "hdf5-tools",
    "h5dump": "hdf5-tools",
    "zstd": "zstd",
    "/usr/bin/time": "time",
    "numpy": "python3-numpy",
    "h5py": "python3-h5py",
    "netCDF4": "python3-netcdf4",
    "hdf5plugin": "python3-hdf5plugin",
}


def parse_args(description, add=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--small", action="store_true",
                   help="small data and few runs: a smoke test, not a measurement")
    p.add_argument("--runs", type=int, default=0,
                   help="timed runs per command (default: 7, 3 with --small)")
    p.add_argument("--build", default=os.path.dirname(BENCH_DIR),
                   help="the libdtree build directory (default: the source tree)")
    p.add_argument("--data", default=None,
                   help="keep the generated data in this directory and reuse it "
                        "(default: a temporary directory, removed at the end)")
    p.add_argument("--threads", type=int, default=2,
                   help="libdtree decoding threads (default: 2)")
    if add:
        add(p)
    a = p.parse_args()
    if a.runs <= 0:
        a.runs = 3 if a.small else 7
    a.build = os.path.abspath(a.build)
    return a


def need(programs=(), modules=()):
    """Exit with the Debian packages to install when something is missing."""
    missing = []
    for prog in programs:
        if shutil.which(prog) is None:
            missing.append((prog, PACKAGES.get(prog, "?")))
    for mod in modules:
        try:
            __import__(mod)
        except ImportError:
            missing.append(("python module " + mod, PACKAGES.get(mod, "?")))
    if missing:
        for what, pkg in missing:
            print("bench: %s is missing: apt-get install %s" % (what, pkg),
                  file=sys.stderr)
        sys.exit(2)


class Programs:
    """The libdtree programs of a build: bench/* and the real dtree binary
    (not libtool's wrapper script, whose shell start-up would be timed)."""

    def __init__(self, build):
        self.build = build
        self.env = dict(os.environ)
        libs = os.path.join(build, ".libs")
        self.env["LD_LIBRARY_PATH"] = libs + (
            ":" + self.env["LD_LIBRARY_PATH"] if self.env.get("LD_LIBRARY_PATH") else "")
        self.env.pop("DTREE_THREADS", None)
        self.env.pop("HDF5_PLUGIN_PATH", None)  # libdtree decodes zstd itself
        real = os.path.join(build, "tools", "dtree", ".libs", "dtree")
        self.dtree = real if os.path.exists(real) else os.path.join(build, "tools", "dtree", "dtree")
        if not os.access(self.dtree, os.X_OK):
            sys.exit("bench: no dtree in %s: build libdtree first (make -j2)" % build)

    def zstd_plugin(self):
        """Let h5py (this process and its children) read and write zstd:
        HDF5_PLUGIN_PATH gets bench/h5plugin (see h5z_zstd.c) before the
        system's plugin directory. Call before importing h5py."""
        plugin = self.bench(os.path.join("h5plugin", "libh5zstd.so"))
        path = [os.path.dirname(plugin), "/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins"]
        os.environ["HDF5_PLUGIN_PATH"] = ":".join(path)

    def bench(self, name):
        path = os.path.join(self.build, "bench", name)
        if not os.path.exists(path):
            sys.exit("bench: %s is not built: run 'make bench' in %s" % (path, self.build))
        return path


class DataDir:
    """Where a bench writes its files: --data DIR (kept), else a fresh
    temporary directory under $TMPDIR that goes at the end."""

    def __init__(self, keep):
        self.keep = keep is not None
        if self.keep:
            os.makedirs(keep, exist_ok=True)
            self.path = os.path.abspath(keep)
        else:
            self.path = tempfile.mkdtemp(prefix="dtree-bench-")

    def file(self, name):
        return os.path.join(self.path, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


def made(path, build):
    """Build path with build(tmp) unless it exists; a file half made by an
    interrupted run never looks finished."""
    if os.path.exists(path):
        return path
    tmp = path + ".part"
    if os.path.exists(tmp):
        os.remove(tmp)
    t0 = time.perf_counter()
    build(tmp)
    os.rename(tmp, path)
    log("made %s (%.1f MiB) in %.1f s" % (os.path.basename(path),
        os.path.getsize(path) / 2**20, time.perf_counter() - t0))
    return path


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Running and timing

def warm(*paths):
    """Read files into the page cache right before a timed run. Our VMs run
    DAMON with a `pageout` scheme that evicts cold pages, page cache too,
    at up to 128 MiB/s, so a file idle for a few seconds is partly read
    from disk again; every side gets its files warmed, outside its clock."""
    buf = bytearray(16 << 20)
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            while f.readinto(buf):
                pass


def wall(argv, env=None, stdout=subprocess.DEVNULL):
    """Wall-clock seconds of one run of argv (start-up included); fails
    loudly if the command does."""
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.PIPE)
    t = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit("bench: %s failed (%d): %s" % (
            " ".join(argv), p.returncode, p.stderr.decode(errors="replace").strip()))
    return t


def output(argv, env=None):
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise SystemExit("bench: %s failed (%d): %s" % (
            " ".join(argv), p.returncode, p.stderr.decode(errors="replace").strip()))
    return p.stdout.decode()


def keyvals(text):
    """The `key=value` words a bench program prints, as a dict of strings."""
    kv = {}
    for word in text.split():
        if "=" in word:
            k, v = word.split("=", 1)
            kv[k] = v
    return kv


def interleave(jobs, runs, warmup=1):
    """jobs: {name: fn() -> seconds or dict of seconds}. Runs them
    round-robin `warmup` times untimed, then `runs` times; returns
    {name: [result per run]}."""
    for _ in range(warmup):
        for fn in jobs.values():
            fn()
    out = {name: [] for name in jobs}
    for _ in range(runs):
        for name, fn in jobs.items():
            out[name].append(fn())
    return out


def median(xs):
    return statistics.median(xs)


def spread(xs):
    """min-max of the runs, for the reader to judge the noise."""
    return "%s-%s" % (fmt_s(min(xs)), fmt_s(max(xs)))


def fmt_mbs(bytes_per_s):
    return "%.0f MB/s" % (bytes_per_s / 1e6)


def fmt_s(t):
    if t < 0.01:
        return "%.2f ms" % (t * 1e3)
    if t < 1:
        return "%.1f ms" % (t * 1e3)
    return "%.2f s" % t


# ---------------------------------------------------------------------------
# Reporting

class Report:
    """A markdown section: a header naming the command and the machine,
    then rows of `measure, value, reference, ratio, target, met`."""

    def __init__(self, title, args):
        self.title = title
        self.args = args
        self.rows = []
        self.notes = []

    def ratio(self, what, mine, ref_name, ref, limit, lower_is_better=True, show=None):
        """mine/ref against a limit: met when mine/ref <= limit (or >= when
        higher is better, as for speeds); limit None: a ratio for the
        record. show formats the values (times by default)."""
        show = show or fmt_s
        r = mine / ref
        if limit is None:
            self.rows.append((what, show(mine), ref_name, show(ref), "%.3f" % r, "", "(info)"))
            return True
        ok = r <= limit if lower_is_better else r >= limit
        self.rows.append((what, show(mine), ref_name, show(ref), "%.3f" % r,
                          ("<= " if lower_is_better else ">= ") + "%.3g" % limit,
                          "met" if ok else "NOT met"))
        return ok

    def absolute(self, what, value_text, target_text, ok):
        self.rows.append((what, value_text, "", "", "", target_text,
                          "met" if ok else "NOT met"))
        return ok

    def info(self, what, value_text, ref_name="", ref_text="", ratio=""):
        self.rows.append((what, value_text, ref_name, ref_text, ratio, "", "(info)"))

    def note(self, text):
        self.notes.append(text)

    def emit(self, fp=sys.stdout):
        cmd = " ".join(["bench/" + os.path.basename(sys.argv[0])] + sys.argv[1:])
        print("## %s" % self.title, file=fp)
        print("", file=fp)
        print("- command: `%s`" % cmd, file=fp)
        if os.environ.get("DTREE_BENCH_RUN"):
            print("  (run by `%s`)" % os.environ["DTREE_BENCH_RUN"].strip(), file=fp)
        print("- date: %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip(), file=fp)
        print("- machine: %s" % machine(), file=fp)
        print("- libdtree: %s, %d decoding threads; medians of %d runs%s" % (
            revision(self.args.build), self.args.threads, self.args.runs,
            " (--small: a smoke run, not a measurement)" if self.args.small else ""), file=fp)
        print("", file=fp)
        print("| measure | libdtree | reference | reference value | ratio | target | |", file=fp)
        print("|---|---|---|---|---|---|---|", file=fp)
        for r in self.rows:
            print("| " + " | ".join(str(c) for c in r) + " |", file=fp)
        if self.notes:
            print("", file=fp)
            for n in self.notes:
                print("- " + n, file=fp)
        print("", file=fp)
        fp.flush()


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, Linux %s, load %.2f" % (cpu, os.cpu_count() or 0,
                                                   platform.release(), os.getloadavg()[0])


def revision(build):
    """The commit of the build tree (else of the bench scripts) and whether
    the library sources differ from it; read-only git (no index refresh:
    others may be committing)."""
    for where in (build, BENCH_DIR):
        git = ["git", "--no-optional-locks", "-C", where]
        try:
            rev = subprocess.run(git + ["rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, check=True).stdout.decode().strip()
        except (OSError, subprocess.CalledProcessError):
            continue
        dirty = subprocess.run(git + ["diff", "--quiet", "HEAD", "--", "src", "include", "tools"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        return "git %s%s (build %s)" % (rev, " + uncommitted changes" if dirty else "", build)
    return "unknown revision (build %s)" % build
