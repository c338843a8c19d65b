#!/bin/sh
# tests/cli/check.sh: `dtree check`: a YAML tree for every finding, the
# clean example, JSON output, exit statuses 0 / 1 / 2.
. "${top_srcdir:-.}/tests/cli/lib.sh"
ex=$top_srcdir/examples/ocean.yaml

# tree NAME: a YAML tree document from the groups on standard input.
tree() {
    {
        printf 'format: dtree-manifest/1\nfiles:\n  - file: %s.yaml\n    groups:\n' "$1"
        sed 's/^/      /'
    } > "$tmp/$1.yaml"
}

# finding NAME CHECK SEVERITY WORDS: check reports it, and exits 1.
finding() {
    "$DTREE" check "$tmp/$1.yaml" > "$tmp/out" 2> "$tmp/err"; got=$?
    if [ "$got" -ne 1 ]; then fail "$1: exit $got, expected 1"; cat "$tmp/err"; return; fi
    if grep -F -- "[$2]" "$tmp/out" | grep -F -- ": $3: " | grep -qF -- "$4"; then pass; else
        fail "$1: no $3 [$2] with '$4'"; sed 's/^/  | /' "$tmp/out"
    fi
}

# the example is clean
expect_exit 0 "$DTREE" check "$ex"
[ -s "$tmp/out" ] && fail "a clean tree printed findings" || pass
expect_exit 0 "$DTREE" check --json "$ex"
expect_grep '"findings": [], "errors": 0, "warnings": 0}' "$tmp/out"

tree align-dims <<'EOF'
/:
  dims: {x: 2}
  vars:
    x: {dtype: float64, shape: [2], dims: [x], attrs: {units: {type: char, value: m}}, values: [1.0, 2.0]}
/b:
  dims: {x: 3}
  vars:
    v: {dtype: int32, shape: [3], dims: [x], values: [1, 2, 3]}
EOF
finding align-dims align-dims error "group '/b' is not aligned with its parents: cannot reindex or align along dimension 'x' because of conflicting dimension sizes: {2, 3}"
expect_grep "$tmp/align-dims.yaml:/b: error:" "$tmp/out"

tree align-index <<'EOF'
/:
  vars:
    x: {dtype: float64, shape: [2], dims: [x], attrs: {units: {type: char, value: m}}, values: [1.0, 2.0]}
/b:
  vars:
    x: {dtype: float64, shape: [2], dims: [x], attrs: {units: {type: char, value: m}}, values: [1.0, 3.0]}
EOF
finding align-index align-index error "cannot align objects with join='exact'"

tree coord-ndim <<'EOF'
/:
  vars:
    x: {dtype: int32, shape: [2, 3], dims: [x, y], values: [1, 2, 3, 4, 5, 6]}
EOF
finding coord-ndim coord-ndim warning "variable 'x' is named like dimension 'x' but has dims (x, y)"

tree coord-monotonic <<'EOF'
/:
  vars:
    x: {dtype: float64, shape: [3], dims: [x], attrs: {units: {type: char, value: m}}, values: [1.0, 3.0, 2.0]}
    y: {dtype: float64, shape: [3], dims: [y], attrs: {units: {type: char, value: m}}, values: [1.0, .nan, 2.0]}
    z: {dtype: int32, shape: [3], dims: [z], values: [5, 5, 6]}
EOF
finding coord-monotonic coord-monotonic warning "not strictly monotonic: [1] = 3, then [2] = 2"
finding coord-monotonic coord-monotonic warning "index coordinate has NaN at [1]"
finding coord-monotonic coord-monotonic warning "[0] = 5, then [1] = 5"

tree fill-range <<'EOF'
/:
  vars:
    a: {dtype: uint8, shape: [2], dims: [n], attrs: {_FillValue: {type: int16, value: 300}}, values: [1, 2]}
    b: {dtype: int16, shape: [2], dims: [n], attrs: {missing_value: {type: float64, value: [-1.0, 2.5]}}, values: [1, 2]}
EOF
finding fill-range fill-range error "_FillValue 300 (int16) does not fit the variable's type uint8"
finding fill-range fill-range error "missing_value 2.5 (float64) does not fit the variable's type int16"

tree fill-type <<'EOF'
/:
  vars:
    a: {dtype: float32, shape: [2], dims: [n], attrs: {_FillValue: {type: float64, value: -999.0}}, values: [1.0, 2.0]}
    b: {dtype: string, shape: [1], dims: [m], attrs: {_FillValue: {type: int32, value: 0}}, values: ["x"]}
    c: {dtype: int32, shape: [2], dims: [n], attrs: {_FillValue: {type: int32, value: [1, 2]}}, values: [1, 2]}
EOF
finding fill-type fill-type warning "_FillValue is float64, the variable is float32"
finding fill-type fill-type error "_FillValue is int32, the variable is string: it cannot mark missing values"
finding fill-type fill-type warning "_FillValue has 2 values, one is expected"

tree fill-mismatch <<'EOF'
/:
  vars:
    a: {dtype: int16, shape: [2], dims: [n], fill_value: -1, attrs: {_FillValue: {type: int16, value: -999}}, values: [1, 2]}
EOF
finding fill-mismatch fill-mismatch warning "the _FillValue attribute -999 and the storage fill value -1 differ"

tree reserved-attr <<'EOF'
/:
  attrs: {_NCProperties: {type: char, value: "version=2"}}
  vars:
    a: {dtype: int16, shape: [2], dims: [n], attrs: {_Netcdf4Dimid: {type: int32, value: 0}}, values: [1, 2]}
EOF
finding reserved-attr reserved-attr warning "attribute '_Netcdf4Dimid' is reserved by a storage format"
expect_grep "reserved-attr.yaml:/: warning: attribute '_NCProperties'" "$tmp/out"

tree array-dims <<'EOF'
/:
  vars:
    a: {dtype: int16, shape: [2, 1], dims: [x, y], attrs: {_ARRAY_DIMENSIONS: {type: string, value: [y, x]}}, values: [1, 2]}
EOF
finding array-dims array-dims error "_ARRAY_DIMENSIONS lists (y, x), the variable's dimensions are (x, y)"

tree phony-dims <<'EOF'
/:
  vars:
    a: {dtype: int16, shape: [2], dims: [phony_dim_0], values: [1, 2]}
EOF
finding phony-dims phony-dims warning "dimension 'phony_dim_0' has no name in the file"

tree name-netcdf <<'EOF'
/:
  vars:
    -a: {dtype: int16, shape: [2], dims: [.n], values: [1, 2]}
/+g: {}
EOF
finding name-netcdf name-netcdf warning "variable name \"-a\" starts with '-'"
expect_grep "dimension name \".n\" starts with '.'" "$tmp/out"
expect_grep "name-netcdf.yaml:/+g: warning: group name \"+g\"" "$tmp/out"

tree cf-units <<'EOF'
/:
  vars:
    lat: {dtype: float32, shape: [2], dims: [lat], values: [1.0, 2.0]}
    station: {dtype: int32, shape: [2], dims: [station], values: [1, 2]}
EOF
finding cf-units cf-units warning "coordinate 'lat' holds floating-point values but has no units attribute"
if grep -q "'station'" "$tmp/out"; then fail "cf-units: an integer index needs no units"; else pass; fi

tree cf-coordinates <<'EOF'
/:
  vars:
    lat: {dtype: float32, shape: [2], dims: [n], values: [1.0, 2.0]}
/g:
  attrs: {coordinates: {type: char, value: "nowhere"}}
  vars:
    v: {dtype: int16, shape: [2], dims: [n], attrs: {coordinates: {type: char, value: "lat lon ../lat /g/v"}}, values: [1, 2]}
EOF
finding cf-coordinates cf-coordinates error "coordinates names 'lon', which is not a variable of this group or of its ancestors"
if grep -q "names 'lat'" "$tmp/out"; then fail "cf-coordinates: lat is in an ancestor"; else pass; fi
if grep -q "names '../lat'\|names '/g/v'" "$tmp/out"; then fail "cf-coordinates: paths resolve"; else pass; fi
expect_grep "cf-coordinates.yaml:/g: error: coordinates names 'nowhere'" "$tmp/out"

tree cf-bounds <<'EOF'
/:
  vars:
    x: {dtype: float64, shape: [2], dims: [x], attrs: {units: {type: char, value: m}, bounds: {type: char, value: x_bnds}}, values: [1.0, 2.0]}
EOF
finding cf-bounds cf-bounds error "bounds names 'x_bnds'"

tree cf-calendar <<'EOF'
/:
  vars:
    t: {dtype: float64, shape: [2], dims: [n], attrs: {units: {type: char, value: "days since 2000-01-01"}, calendar: {type: char, value: mars}}, values: [1.0, 2.0]}
EOF
finding cf-calendar cf-calendar warning "calendar \"mars\" is not a CF calendar"

# JSON: severity, check, path, message; counts
expect_exit 1 "$DTREE" check --json "$tmp/fill-type.yaml"
expect_grep '"findings": [' "$tmp/out"
expect_grep '  {"severity": "warning", "check": "fill-type", "path": "/a", "message": "_FillValue is float64, the variable is float32: netCDF requires the variable'"'"'s type"},' "$tmp/out"
expect_grep '"errors": 1, "warnings": 2}' "$tmp/out"
# a summary on standard error for people
expect_exit 1 "$DTREE" check "$tmp/fill-type.yaml"
expect_grep "fill-type.yaml: 1 error, 2 warnings" "$tmp/err"
# a group inside the file: only its subtree is checked
tree sub <<'EOF2'
/:
  vars:
    a: {dtype: int16, shape: [2], dims: [phony_dim_0], values: [1, 2]}
/clean:
  vars:
    b: {dtype: int16, shape: [2], dims: [n], values: [1, 2]}
EOF2
expect_exit 1 "$DTREE" check "$tmp/sub.yaml"
expect_exit 0 "$DTREE" check "$tmp/sub.yaml:/clean"
# a cut group stays cut when the check starts there
expect_exit 1 "$DTREE" check "$tmp/align-dims.yaml:/b"
expect_grep "[align-dims]" "$tmp/out"

# 2: cannot read, usage
expect_exit 2 "$DTREE" check "$tmp/missing.yaml"
expect_grep "missing.yaml" "$tmp/err"
printf 'format: dtree-manifest/1\nfiles: [oops\n' > "$tmp/broken.yaml"
expect_exit 2 "$DTREE" check "$tmp/broken.yaml"
expect_exit 2 "$DTREE" check
expect_exit 2 "$DTREE" check --frob "$ex"
expect_exit 2 "$DTREE" check "$ex" "$ex"
expect_exit 0 "$DTREE" check --help
expect_grep "usage: dtree check" "$tmp/out"

finish
