"""Re-derive `actcli.kernels.ERFCX_P` / `ERFCX_Q`: a (7, 7) rational fit of exp(y**2)*erfc(y).

On [0, ERFC_PLAIN_BELOW] the fit minimises the relative error: linearised least squares
(P - f*Q = 0, Q monic, weighted by 1/(f*Q) of the previous step) with Lawson's weights, at
400 Chebyshev nodes, mpmath at 50 digits. It prints each step's worst relative error at the
nodes, the float64 coefficients, and the worst error of those coefficients (evaluated exactly)
at 3001 points, beside the module's. Takes 2-4 minutes. Usage: python benchmarks/erfc_fit.py
"""

from __future__ import annotations

import mpmath as mp

from actcli.kernels import ERFC_PLAIN_BELOW, ERFCX_P, ERFCX_Q

DEGREE = 7
NODES = 400
STEPS = 12


def polynomial(coefficients: list, y: mp.mpf) -> mp.mpf:
    result = mp.mpf(0)
    for c in reversed(coefficients):
        result = result * y + c
    return result


def scaled_erfc(y: mp.mpf) -> mp.mpf:
    return mp.exp(y * y) * mp.erfc(y)


def fit(top: mp.mpf) -> tuple[list, list]:
    nodes = [top / 2 * (1 - mp.cos(mp.pi * (k + mp.mpf(1) / 2) / NODES)) for k in range(NODES)]
    values = [scaled_erfc(y) for y in nodes]
    previous = [mp.mpf(1)] * NODES
    weights = [mp.mpf(1)] * NODES
    for step in range(STEPS):
        rows, right = [], []
        for y, f, q, w in zip(nodes, values, previous, weights, strict=True):
            s = w / (f * q)
            powers = [s * y**i for i in range(DEGREE + 1)]
            rows.append(powers + [-f * power for power in powers[:DEGREE]])
            right.append(s * f * y**DEGREE)
        solution = mp.qr_solve(mp.matrix(rows), mp.matrix(right))[0]
        p = [solution[i] for i in range(DEGREE + 1)]
        q = [solution[DEGREE + 1 + j] for j in range(DEGREE)] + [mp.mpf(1)]
        previous = [polynomial(q, y) for y in nodes]
        errors = [
            polynomial(p, y) / qy / f - 1 for y, qy, f in zip(nodes, previous, values, strict=True)
        ]
        print(f"step {step}: worst relative error {mp.nstr(max(map(abs, errors)), 3)}")
        weights = [w * abs(e) ** mp.mpf(0.5) for w, e in zip(weights, errors, strict=True)]
        total = sum(weights)
        weights = [w / total * NODES for w in weights]
    return p, q


def worst(p: list, q: list, top: mp.mpf) -> mp.mpf:
    p = [mp.mpf(float(c)) for c in p]
    q = [mp.mpf(float(c)) for c in q]
    grid = mp.linspace(0, top, 3001)
    return max(abs(polynomial(p, y) / polynomial(q, y) / scaled_erfc(y) - 1) for y in grid)


def main() -> None:
    mp.mp.dps = 50
    top = mp.mpf(ERFC_PLAIN_BELOW)
    p, q = fit(top)
    print("P =", [float(c) for c in p])
    print("Q =", [float(c) for c in q])
    print("worst relative error, float64 coefficients:", mp.nstr(worst(p, q, top), 3))
    print("worst relative error, actcli's coefficients:", mp.nstr(worst(ERFCX_P, ERFCX_Q, top), 3))


if __name__ == "__main__":
    main()
