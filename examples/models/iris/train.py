"""Trains the iris example model with scikit-learn and exports it as JSON.

Run with Debian's interpreter, which sees python3-sklearn:
    /usr/bin/python3 examples/models/iris/train.py

Writes examples/models/iris/model.json (the weights the TypeScript runtime
reads) and tests/fixtures/iris_expected.json (inputs with scikit-learn's own
predictions, which the tests compare against).
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

ROOT = pathlib.Path(__file__).resolve().parents[3]

iris = load_iris()
model = LogisticRegression(max_iter=1000, random_state=0)
model.fit(iris.data, iris.target)

exported = {
    "format": "softmax-regression",
    "producer": f"scikit-learn {sklearn.__version__} LogisticRegression",
    "features": list(iris.feature_names),
    "classes": [str(c) for c in iris.target_names],
    "coef": model.coef_.tolist(),
    "intercept": model.intercept_.tolist(),
}
(ROOT / "examples/models/iris/model.json").write_text(json.dumps(exported, indent=2) + "\n")

rows = iris.data[[0, 1, 50, 51, 100, 101, 70, 133]]
expected = {
    "inputs": rows.astype(np.float32).tolist(),
    "predict": model.predict(rows).tolist(),
    "predict_proba": model.predict_proba(rows).tolist(),
}
(ROOT / "tests/fixtures/iris_expected.json").write_text(json.dumps(expected, indent=2) + "\n")
print("wrote model.json and iris_expected.json")
