"""Fits the house-prices example with scikit-learn and exports it as JSON.

Run with Debian's interpreter, which sees python3-sklearn:
    /usr/bin/python3 examples/models/house-prices/train.py

The data are synthetic (seeded), the model real: a LinearRegression on
rooms, area, building age and a one-hot city. Writes
examples/models/house-prices/model.json and
tests/fixtures/house_prices_expected.json (rows with scikit-learn's own
predictions, which the tests compare against).
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import LinearRegression

ROOT = pathlib.Path(__file__).resolve().parents[3]
CITIES = ["Lima", "Oslo", "Pune"]
REFERENCE_YEAR = 2026

rng = np.random.default_rng(7)
n = 400
rooms = rng.integers(1, 7, n)
area = rng.uniform(25, 220, n)
built = rng.integers(1950, 2025, n)
city = rng.integers(0, len(CITIES), n)
price = (
    20_000 + 9_000 * rooms + 2_100 * area - 350 * (REFERENCE_YEAR - built)
    + np.array([0, 140_000, -30_000])[city] + rng.normal(0, 15_000, n)
)


def features(rooms, area, built, city):
    one_hot = np.eye(len(CITIES))[city]
    return np.column_stack([rooms, area, REFERENCE_YEAR - built, one_hot])


model = LinearRegression().fit(features(rooms, area, built, city), price)

exported = {
    "format": "linear-regression",
    "producer": f"scikit-learn {sklearn.__version__} LinearRegression",
    "reference_year": REFERENCE_YEAR,
    "features": ["rooms", "area", "age"] + [f"city={c}" for c in CITIES],
    "cities": CITIES,
    "coef": model.coef_.tolist(),
    "intercept": float(model.intercept_),
}
(ROOT / "examples/models/house-prices/model.json").write_text(json.dumps(exported, indent=2) + "\n")

test_rooms = np.array([2, 4, 1, 6])
test_area = np.array([55.0, 120.5, 30.0, 210.0])
test_built = np.array([1990, 2015, 1960, 2024])
test_city = np.array([0, 1, 2, 1])
expected = {
    "rooms": test_rooms.tolist(),
    "area": test_area.tolist(),
    "built": [f"{y}-06-01" for y in test_built],
    "city": [CITIES[c] for c in test_city],
    "price": model.predict(features(test_rooms, test_area, test_built, test_city)).tolist(),
}
(ROOT / "tests/fixtures/house_prices_expected.json").write_text(json.dumps(expected, indent=2) + "\n")
print("wrote model.json and house_prices_expected.json")
