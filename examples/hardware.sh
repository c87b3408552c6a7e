#!/usr/bin/env bash
# actcli for hardware and CI: certified lookup tables for C and Verilog, and a depth gate.
# Run from anywhere: bash examples/hardware.sh (needs a C compiler, cc or gcc).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. A sigmoid table for a microcontroller: int16 (Q0.15), folded with f(-x) = 1 - f(x), the
#    smallest size whose certified error (interpolation + rounding) is at most 1e-4.
actcli table sigmoid --range -8 8 --max-error 1e-4 --fold --dtype int16 -o "$work/sigmoid_lut.h"
"${CC:-cc}" -std=c99 -O2 -Wall -I "$work" "$here/lut_main.c" -o "$work/lut_main" -lm
"$work/lut_main"

# 2. The same idea for an FPGA: tanh in Q1.14, one hex word per line for $readmemh.
actcli table tanh --range -4 4 --points 256 --fixed-point Q1.14 --format hex -o "$work/tanh.mem"
echo "tanh.mem: $(wc -l < "$work/tanh.mem") words, first $(head -n 1 "$work/tanh.mem")"

# 3. A CI gate: exit 1 if a 50-layer ReLU stack at He init vanishes or explodes.
actcli simulate-depth relu --depth 50 --mode montecarlo --fail-on vanishing,exploding \
    --format csv | cut -d, -f2,6,12
