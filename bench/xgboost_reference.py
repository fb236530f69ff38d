"""XGBoost's own predictor, the reference for the built-in XGBoost runtime.

    /usr/bin/python3 bench/xgboost_reference.py train DIR   # DIR/model.json, DIR/rows.f32
    /usr/bin/python3 bench/xgboost_reference.py predict DIR # prints rows/s, writes DIR/expected.f32

The model (100 trees of depth 6 on 20 features, 5% missing values) is
trained on random data at bench time; nothing here is committed output.
XGBoost predicts on one thread, as the TypeScript runtime does.
"""

import json
import sys
import time

import numpy as np
import xgboost as xgb

ROWS, FEATURES = 100_000, 20


def train(folder: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(ROWS, FEATURES)).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan
    y = np.nansum(x[:, :5], axis=1) + np.sin(np.nan_to_num(x[:, 5]))
    model = xgb.XGBRegressor(n_estimators=100, max_depth=6, n_jobs=1, random_state=0)
    model.fit(x, y)
    model.save_model(f"{folder}/model.json")
    x.tofile(f"{folder}/rows.f32")


def predict(folder: str) -> None:
    x = np.fromfile(f"{folder}/rows.f32", dtype=np.float32).reshape(-1, FEATURES)
    model = xgb.XGBRegressor(n_jobs=1)
    model.load_model(f"{folder}/model.json")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        y = model.predict(x)
        times.append(time.perf_counter() - start)
    y.astype(np.float32).tofile(f"{folder}/expected.f32")
    print(json.dumps({"rows_per_second": len(x) / sorted(times)[1]}))


{"train": train, "predict": predict}[sys.argv[1]](sys.argv[2])
