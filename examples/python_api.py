"""actcli as a library: load an activation, evaluate it and its derivative, read its spec.

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
