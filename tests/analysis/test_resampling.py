"""evalkit.analysis.resampling: both ways of drawing a resample (multinomial counts of
groups of equal units, unit indices) give the bootstrap distribution, chunked draws keep
their shape and totals, and the same seed gives the same resamples."""

from __future__ import annotations

import random

import pytest

from evalkit.analysis import resampling
from evalkit.analysis.resampling import Resampler

np = pytest.importorskip("numpy")
scipy_stats = pytest.importorskip("scipy.stats")


def _values(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.choice((-2, -1, 0, 0, 1, 1, 2, 3)) for _ in range(n)]


def _means(keys: list, values: list[int], resamples: int, seed: int):
    resampler = Resampler(keys, seed)
    column = [values[group[0]] for group in resampler.groups]
    return resampler, resampler.totals([column], resamples)[:, 0] / len(values)


def test_grouped_and_unit_draws_are_the_bootstrap_distribution_of_the_mean() -> None:
    """400 integer values: keyed by value they are drawn as counts of 8 groups, keyed by
    position as 400 indices. Both resampled means centre on the mean with the standard
    error sd / sqrt(n), and a two-sample test cannot tell them apart."""
    values = _values(400, seed=1)
    grouped, by_group = _means(values, values, 20_000, seed=2)
    one_by_one, by_unit = _means(list(range(400)), values, 20_000, seed=3)
    assert grouped.grouped and len(grouped.groups) == 6
    assert not one_by_one.grouped and len(one_by_one.groups) == 400
    mean, error = np.mean(values), np.std(values) / np.sqrt(len(values))
    for means in (by_group, by_unit):
        assert abs(means.mean() - mean) < 5 * error / np.sqrt(len(means))
        assert means.std() == pytest.approx(error, rel=0.03)
    assert scipy_stats.ks_2samp(by_group, by_unit).pvalue > 1e-3


def test_per_unit_counts_are_n_draws_of_the_units_each_once_on_average() -> None:
    keys = ["x"] * 50 + ["y"] * 50  # equal keys still tell units apart here
    counts = Resampler(keys, seed=4).per_unit(4000)
    assert counts.shape == (4000, 100)
    assert (counts.sum(axis=1) == 100).all()
    assert np.abs(counts.mean(axis=0) - 1).max() < 0.1
    assert counts.var() == pytest.approx(1 - 1 / 100, rel=0.05)  # multinomial's variance


@pytest.mark.parametrize("keys", [list(range(300)), [k % 3 for k in range(300)]])
def test_chunked_draws_have_every_resample_and_every_unit(monkeypatch, keys) -> None:
    """With chunks smaller than one resample (grouped) or a few (by unit), every resample
    still draws n units: summing a column of ones gives n in every row."""
    monkeypatch.setattr(resampling, "CHUNK", 1000)
    resampler = Resampler(keys, seed=5)
    ones = [[1] * len(resampler.groups)]
    totals = resampler.totals(ones, 1001)
    assert totals.shape == (1001, 1) and (totals == 300).all()
    assert totals.dtype.kind == "i"  # integer columns stay exact
    per_unit = resampler.per_unit(1001)
    assert per_unit.shape == (1001, 300) and (per_unit.sum(axis=1) == 300).all()


def test_the_same_seed_gives_the_same_resamples_and_another_seed_others() -> None:
    values = _values(500, seed=6)
    for keys in (values, list(range(500))):
        first = _means(keys, values, 2000, seed=7)[1]
        assert np.array_equal(first, _means(keys, values, 2000, seed=7)[1])
        assert not np.array_equal(first, _means(keys, values, 2000, seed=8)[1])
        per_unit = Resampler(keys, seed=7).per_unit(50)
        assert np.array_equal(per_unit, Resampler(keys, seed=7).per_unit(50))


def test_no_resamples_and_the_percentile_interval_are_numpys() -> None:
    assert Resampler([1, 2, 3], seed=0).totals([[1, 2, 3]], 0).shape == (0, 1)
    draw = np.random.default_rng(9)
    for size in (1, 2, 3, 37, 1000, 10_000):
        for confidence in (0.95, 0.9, 0.5, 0.99, 0.8, 0.999, 1.0):
            tail = (1 - confidence) / 2
            for values in (draw.normal(size=size), draw.integers(-4, 5, size=size) / 3):
                wanted = np.quantile(values, [tail, 1 - tail]).tolist()
                assert list(resampling.percentile_interval(values, confidence)) == wanted
    values = random.Random(9).sample(range(1000), 37)  # integers, as numpy takes them
    tail = (1 - 0.95) / 2
    wanted = np.quantile(values, [tail, 1 - tail]).tolist()
    assert list(resampling.percentile_interval(values, 0.95)) == wanted
    with pytest.raises(ValueError):
        resampling.percentile_interval([], 0.95)


def test_the_interval_does_not_import_numpy_ma() -> None:
    import subprocess
    import sys

    probe = "import sys\nfrom evalkit.analysis.resampling import percentile_interval\n"
    probe += "percentile_interval([1.0, 2.0, 3.0], 0.95)\nprint('numpy.ma' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert found.stdout.strip() == "False", found.stderr


def test_importing_the_module_does_not_import_numpy() -> None:
    import subprocess
    import sys

    probe = "import sys, evalkit.analysis.resampling, evalkit.analysis.compare\n"
    probe += "print('numpy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
