#!/usr/bin/env bash
# actcli in shell pipelines: numbers in on stdin, numbers or CSV/JSON out, meaningful exit codes.
# Run from the repository root: bash examples/pipeline.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# 1. A column of inputs through GELU and its derivative, joined side by side.
seq -4 2 4 > /tmp/actcli_inputs.txt
actcli eval gelu - < /tmp/actcli_inputs.txt > /tmp/actcli_f.txt
actcli eval gelu --order 1 - < /tmp/actcli_inputs.txt > /tmp/actcli_df.txt
paste /tmp/actcli_inputs.txt /tmp/actcli_f.txt /tmp/actcli_df.txt

# 2. CSV for a spreadsheet: x,f with a header (x,df with --order 1, as `table` names them).
printf '%s\n' -1000 -1 0 1 1000 | actcli eval softplus --format csv
# ... and CSV back in: eval reads the column x (or --column N|NAME) under a header row.
actcli table tanh --range -1 1 --points 5 --format csv | actcli eval tanh --order 1

# 3. Only the first value of a long stream: actcli stops quietly when head closes the pipe, with
#    exit status 141 as for a process killed by SIGPIPE; under `set -o pipefail` allow exactly that.
seq 1 100000 | actcli eval sigmoid - | head -n 1 || test $? -eq 141

# 4. A user spec, validated first (exit 2 would stop the script), then evaluated by path.
actcli validate "$here/penalized_tanh.yaml"
actcli eval "$here/penalized_tanh.yaml" -- -2 0 2

# 5. The same spec by name, through ACTCLI_SPEC_PATH.
ACTCLI_SPEC_PATH="$here" actcli eval ptanh --param a=0.5 -- -2

# 6. Exit codes mean something: an unknown activation is exit 2, with one line on stderr.
if actcli eval no_such_activation 1 2> /tmp/actcli_err.txt; then
    echo "unexpected success" >&2; exit 1
else
    echo "exit $? : $(cat /tmp/actcli_err.txt)"
fi
