"""The box-constrained minimiser behind the calibration: exact answers where they are known, the same
optimum as SciPy's L-BFGS-B on the calibration's own loss, and no ``scipy.optimize`` in a run."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from warehouse.index.boxfit import minimize_in_box


def _quadratic(centre: np.ndarray, curvature: np.ndarray):
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        d = x - centre
        return float(0.5 * d @ curvature @ d), curvature @ d
    return fun


def test_a_separable_bowl_ends_at_its_centre_clipped_to_the_box() -> None:
    centre = np.array([-5.0, 0.3, 4.0, -0.9])
    result = minimize_in_box(_quadratic(centre, np.diag([1.0, 10.0, 0.1, 3.0])), np.zeros(4), -1.0, 1.0)
    assert result.converged, result.message
    np.testing.assert_allclose(result.x, np.clip(centre, -1, 1), atol=1e-6)


def test_a_coupled_bowl_meets_the_box_optimality_conditions() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 6))
    curvature = a @ a.T + 0.5 * np.eye(6)
    fun = _quadratic(rng.normal(0, 1.0, 6), curvature)
    result = minimize_in_box(fun, np.zeros(6), -1.0, 1.0, max_iter=200)
    _, g = fun(result.x)
    inside = np.abs(result.x) < 1 - 1e-9
    assert result.converged and inside.any() and (~inside).any(), "the case must mix free and bound variables"
    np.testing.assert_allclose(g[inside], 0.0, atol=1e-4)
    # At a bound the slope points out of the box (or is zero): moving inwards cannot help.
    assert (g[~inside] * np.sign(result.x[~inside]) <= 1e-6).all()


def test_rosenbrock_with_its_valley_floor_outside_the_box() -> None:
    def rosen(x: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = x
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2, np.array([-2 * (1 - a) - 400 * a * (b - a * a),
                                                                  200 * (b - a * a)])
    result = minimize_in_box(rosen, np.array([-1.2, 1.0]), np.array([-2.0, -2.0]), np.array([0.5, 2.0]),
                             max_iter=200)
    np.testing.assert_allclose(result.x, [0.5, 0.25], atol=1e-4)


def test_too_few_iterations_are_reported_not_hidden() -> None:
    result = minimize_in_box(_quadratic(np.full(5, 0.5), np.diag(np.logspace(0, 4, 5))), np.zeros(5), -1, 1,
                             max_iter=2)
    assert not result.converged and "2 iterations" in result.message


def test_an_overflowing_region_shortens_the_step_and_a_bad_start_is_an_error() -> None:
    def walled(x: np.ndarray) -> tuple[float, np.ndarray]:
        return (float((x[0] - 2) ** 2) if x[0] <= 1 else float("inf")), np.array([2 * (x[0] - 2)])
    result = minimize_in_box(walled, np.array([0.0]), 0.0, 3.0)
    assert np.isfinite(result.fun) and 0.5 < result.x[0] <= 1.0
    with pytest.raises(FloatingPointError, match="not finite"):
        minimize_in_box(walled, np.array([2.5]), 0.0, 3.0)
    with pytest.raises(ValueError, match="lower bound"):
        minimize_in_box(walled, np.array([0.0]), 1.0, 0.0)


@pytest.mark.parametrize(("bound", "seed"), [(3.0, 0), (3.0, 1), (0.7, 2), (0.2, 3)])
def test_the_calibration_loss_reaches_the_same_optimum_as_l_bfgs_b(bound: float, seed: int) -> None:
    """SciPy is installed with Great Expectations, so the reference stays available to tests."""
    from scipy.optimize import minimize

    from tests.test_index_calibration import MODEL, PRACTICES, _labels, _signals
    from warehouse.index.calibration import Adjustment, penalised_loss

    k = len(PRACTICES)
    truth = Adjustment.from_vector(PRACTICES, np.random.default_rng(100 + seed).normal(0, 2.5, 2 * k))
    values = _signals(120 + 80 * seed, seed=seed)
    labels = _labels(truth.apply(MODEL), values, seed=seed + 50)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return penalised_loss(theta, MODEL, PRACTICES, values, labels, 2.0)

    reference = minimize(loss, np.zeros(2 * k), jac=True, method="L-BFGS-B", bounds=[(-bound, bound)] * (2 * k),
                         options={"maxiter": 60})
    ours = minimize_in_box(loss, np.zeros(2 * k), -bound, bound, max_iter=60)
    assert ours.converged, ours.message
    assert ours.fun <= reference.fun + 1e-6
    np.testing.assert_allclose(ours.x, reference.x, atol=0.01)


def test_a_run_never_imports_scipy_optimize() -> None:
    """Importing it costs every run about 50 MB and half a second; the calibration's fit does without."""
    code = ("import sys, numpy as np\n"
            "import pipelines.definitions\n"
            "from tests.test_index_calibration import MODEL, _signals, _labels\n"
            "from warehouse.index.calibration import fit\n"
            "v = _signals(80, seed=1); fit(MODEL, v, _labels(MODEL, v, seed=2))\n"
            "print(sorted(m for m in sys.modules if m.startswith(('scipy.optimize', 'scipy.linalg'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
