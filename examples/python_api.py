"""actcli as a library: every command is a function of the `actcli` package, taking a name or a
bound `Activation` and returning the result the command prints (`to_json()` for its JSON).

Run: python examples/python_api.py
"""

import numpy as np

import actcli

selu = actcli.load_activation("selu")
print("SELU parameters:", selu.params)

x = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
print("f(x):  ", actcli.evaluate(selu, x).y)
print("f'(x): ", actcli.evaluate(selu, x, order=1, at_kink="right").y)

# The exact definition as a SymPy expression, and an inline activation with a parameter.
print("definition:", selu.expression)
swish = actcli.load_activation(expression="x*sigmoid(beta*x)", params={"beta": "1.5"})
print("swish_1.5(2) =", actcli.evaluate(swish, np.array([2.0])).y[0])

# Exact derivatives by cases: a name keeps its parameters symbolic, an Activation its values.
for case in actcli.derive("elu").derivative.cases:
    print(f"elu' = {case.expression} for {case.condition()}")
elu2 = actcli.load_activation("elu", params={"alpha": "2"})
print("elu(alpha=2) is", actcli.smoothness(elu2).smoothness_class)

# A claim checked, and a row of the property table.
verdict = actcli.check("softsign", claims=["monotonic=increasing"]).results[0]
print("softsign monotonic increasing:", verdict.status)
row, smoothness_class = actcli.properties("tanh").rows[0]
print("tanh:", row.monotonic, smoothness_class)

# A lookup table with its certified error, encoded as CSV; a figure as PNG bytes.
table = actcli.table("sigmoid", lo=-8, hi=8, max_error=1e-3)
print(f"sigmoid table: {table.points} entries, certified error {table.certified_error:.2e}")
print("as CSV:", actcli.table_bytes(table, "csv").decode().splitlines()[:2])
png, drawn = actcli.plot(["relu", elu2], orders=(0, 1), lo=-3, hi=3)
print("figure:", len(png), "bytes of PNG,", len(drawn.panels), "panels")

# Gradients through 30 layers, by mean-field theory.
for run in actcli.simulate_depth(["relu", "sigmoid"], mode="meanfield", depth=30).runs:
    print(f"{run.activation} ({run.init} init): {run.verdict}")
