"""scikit-learn itself, the reference for the built-in scikit-learn runtime.

    /usr/bin/python3 bench/sklearn_reference.py train DIR         # DIR/<case>.joblib, DIR/<case>.rows.f64
    /usr/bin/python3 bench/sklearn_reference.py predict DIR CASE  # prints rows/s, writes DIR/<case>.expected.f64

Models are trained on random data at bench time (nothing here is committed
output). The caller runs this with OMP_NUM_THREADS=1 and the BLAS thread
variables set to 1, so scikit-learn predicts on one thread, as the
TypeScript runtime does.
"""

import json
import sys
import time

import joblib
import numpy as np
from sklearn import ensemble, linear_model, naive_bayes, neighbors, pipeline, preprocessing, svm, tree

FEATURES = 20
TRAIN = 5_000


def cases():
    """Case name -> (estimator, rows to predict, method)."""
    return {
        "linear_regression": (linear_model.LinearRegression(), 100_000, "predict"),
        "logistic_regression": (linear_model.LogisticRegression(max_iter=500), 100_000, "predict_proba"),
        "pipeline_scaler_logreg": (pipeline.make_pipeline(
            preprocessing.StandardScaler(), linear_model.LogisticRegression(max_iter=500)),
            100_000, "predict_proba"),
        "decision_tree": (tree.DecisionTreeClassifier(max_depth=10, random_state=0), 100_000,
                          "predict_proba"),
        "random_forest": (ensemble.RandomForestClassifier(n_estimators=50, max_depth=8,
                                                          random_state=0, n_jobs=1),
                          20_000, "predict_proba"),
        "gradient_boosting": (ensemble.GradientBoostingClassifier(n_estimators=100, max_depth=3,
                                                                  random_state=0),
                              20_000, "predict_proba"),
        "hist_gradient_boosting": (ensemble.HistGradientBoostingClassifier(max_iter=100,
                                                                           random_state=0),
                                   20_000, "predict_proba"),
        "svc_rbf": (svm.SVC(), 2_000, "predict"),
        "knn": (neighbors.KNeighborsClassifier(), 2_000, "predict_proba"),
        "gaussian_nb": (naive_bayes.GaussianNB(), 100_000, "predict_proba"),
    }


def train(folder: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(TRAIN, FEATURES))
    score = x[:, :5].sum(axis=1) + np.sin(x[:, 5]) * 2
    labels = np.digitize(score, [-1.0, 1.0])  # three classes
    for name, (model, rows, _) in cases().items():
        y = score if name == "linear_regression" else labels
        model.fit(x, y)
        joblib.dump(model, f"{folder}/{name}.joblib")
        rng.normal(size=(rows, FEATURES)).tofile(f"{folder}/{name}.rows.f64")


def predict(folder: str, name: str) -> None:
    _, _, method = cases()[name]
    model = joblib.load(f"{folder}/{name}.joblib")
    x = np.fromfile(f"{folder}/{name}.rows.f64").reshape(-1, FEATURES)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        y = getattr(model, method)(x)
        times.append(time.perf_counter() - start)
    np.asarray(y, dtype=np.float64).tofile(f"{folder}/{name}.expected.f64")
    print(json.dumps({"rows_per_second": len(x) / sorted(times)[1], "method": method}))


if sys.argv[1] == "train":
    train(sys.argv[2])
else:
    predict(sys.argv[2], sys.argv[3])
