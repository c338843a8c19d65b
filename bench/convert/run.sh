#!/bin/sh
# bench/convert/run.sh: `dtree convert` against nccopy on one 1 GiB netCDF-4
# variable stored with deflate 1 + shuffle, written again with the same
# settings. Rounds alternate the programs (the machine may be shared: take
# the best of each); prints wall seconds and peak RSS per run and a summary.
# Usage: bench/convert/run.sh [BUILD_DIR [DATA_DIR [ROUNDS]]]
#   BUILD_DIR: a configured and built libdtree tree (default: .)
#   DATA_DIR:  where the 1 GiB source and outputs go (default: /tmp/dtree-bench-convert)
set -eu
build=$(cd "${1:-.}" && pwd)
data=${2:-/tmp/dtree-bench-convert}
rounds=${3:-3}
dtree=$build/tools/dtree/dtree
mkdir -p "$data"
cd "$data"
if [ ! -f src.nc ]; then
    # 1024 x 512 x 512 float32 (1 GiB), chunks 4 x 512 x 512 (4 MiB), a
    # smooth field with noise; netCDF-C itself compresses it
    "$build/tests/io/make_big" raw.nc 1024
    nccopy -d1 -s raw.nc src.nc
    rm -f raw.nc
fi
ncdump -hs src.nc | grep -E '_ChunkSizes|_DeflateLevel|_Shuffle'
run() { # NAME CMD...: one timed run, "NAME SECONDS KB"
    name=$1; shift
    sync
    /usr/bin/time -f "$name %e %M" "$@" 2>&1 >/dev/null | tail -1
}
: > times.txt
for r in $(seq "$rounds"); do
    run nccopy nccopy -d1 -s src.nc out-nccopy.nc | tee -a times.txt
    run dtree-recompress "$dtree" convert --quiet --force --recompress --deflate 1 --shuffle \
        src.nc out-recompress.nc | tee -a times.txt
    run dtree "$dtree" convert --quiet --force --deflate 1 --shuffle src.nc out-dtree.nc |
        tee -a times.txt
    rm -f out-nccopy.nc.keep
done
# the three outputs hold the same data
for f in out-nccopy.nc out-recompress.nc out-dtree.nc; do
    "$dtree" manifest "$f" | grep sha256
done | sort -u | awk 'END { if (NR != 1) { print "outputs differ"; exit 1 } }'
awk '
    { n[$1]++; t = $2 + 0; if (!($1 in best) || t < best[$1]) best[$1] = t;
      if ($3 + 0 > rss[$1]) rss[$1] = $3 + 0 }
    END {
        for (k in best)
            printf "%-17s best %6.2f s  peak RSS %6.1f MiB  ratio to nccopy %.2f\n",
                   k, best[k], rss[k] / 1024, best[k] / best["nccopy"]
    }' times.txt
