"""Trains the iris-xgboost example with XGBoost and saves it as model.json.

Run with Debian's interpreter, which sees python3-xgboost:
    /usr/bin/python3 examples/models/iris-xgboost/train.py

The built-in runtime `mlserver_xgboost.XGBoostModel` serves the file as is;
tests/fixtures/xgboost/ holds more models with XGBoost's own predictions.
"""

import pathlib

import xgboost as xgb
from sklearn.datasets import load_iris

HERE = pathlib.Path(__file__).resolve().parent

iris = load_iris()
model = xgb.XGBClassifier(n_estimators=10, max_depth=3, random_state=0)
model.fit(iris.data, iris.target)
model.save_model(HERE / "model.json")
print("wrote model.json; predictions for rows 0, 50, 100:", model.predict(iris.data[[0, 50, 100]]))
