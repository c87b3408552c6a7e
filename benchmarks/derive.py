"""`actcli derive`: whole commands (start-up included) against `sympy.diff` of the definition
(target: `derive mish --order 3` under 1 s).

The sympy.diff column is the floor a readable derivative is measured against: the same Python
start-up, SymPy import and raw differentiation, with no tidying and no breakpoints.

Usage: python benchmarks/derive.py [--repeats N]
"""

from __future__ import annotations

import argparse
import shutil
import sys

from _timing import best_times

# (activation, order, its definition as SymPy code for the floor)
CASES = [
    ("mish", 3, "x*tanh(log(1 + exp(x)))"),
    ("mish", 1, "x*tanh(log(1 + exp(x)))"),
    ("silu", 3, "x/(1 + exp(-x))"),
    ("sigmoid", 3, "1/(1 + exp(-x))"),
    ("gelu_tanh", 2, "x/2*(1 + tanh(sqrt(2/pi)*(x + Rational('0.044715')*x**3)))"),
    ("elu", 2, "Piecewise((x, x > 0), (exp(x) - 1, True))"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    actcli = shutil.which("actcli") or f"{sys.exec_prefix}/bin/actcli"
    print(f"best of {args.repeats}, wall s (CPU s)")
    print(f"{'command':28} {'actcli':>14} {'sympy.diff':>14}")
    for name, order, definition in CASES:
        ours = best_times([actcli, "derive", name, "--order", str(order)], args.repeats)
        script = "from sympy import *; x = Symbol('x', real=True); "
        script += f"print(diff({definition}, x, {order}))"
        floor = best_times([sys.executable, "-c", script], args.repeats)
        label = f"derive {name} --order {order}"
        print(f"{label:28} {ours[0]:6.2f} ({ours[1]:5.2f}) {floor[0]:6.2f} ({floor[1]:5.2f})")


if __name__ == "__main__":
    main()
