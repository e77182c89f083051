"""How the live sync benchmark reads saturation: achieved rates compared, a series that never
failed is only a lower bound, and the target says so rather than guess."""

from __future__ import annotations

from bench.sync_bench import QUICK, Saturation, SaturationStep, _saturation_tables, _targets


def step(offered: float, achieved: float, p99: float, lost: int = 0) -> SaturationStep:
    return SaturationStep(offered, achieved, p99, (p99, p99), lost, lost == 0 and p99 <= 100)


def verdict(duet: Saturation, hocus: Saturation) -> str:
    (row,) = [
        line for line in _targets(QUICK, {}, {"duet": duet, "hocus": hocus}, {}, {}) if "saturation" in line
    ]
    return row.rsplit("|", 2)[1].strip()


def test_the_figure_is_the_achieved_rate_of_the_last_step_passed_in_a_row() -> None:
    series = Saturation(
        [step(1000, 1000, 5), step(2000, 1990, 50), step(3000, 2900, 150), step(4000, 3700, 60)]
    )
    assert series.best == 1990  # achieved, not offered; the step after a failure does not count
    assert series.failed
    assert not Saturation([step(1000, 1000, 5)]).failed


def test_the_target_compares_achieved_rates_and_does_not_guess() -> None:
    reached = Saturation([step(1000, 1000, 5), step(2000, 1999, 150)])
    above = Saturation([step(1000, 1000, 5), step(2000, 1950, 40)])  # never failed: a lower bound
    failed_early = Saturation([step(1000, 995, 120)])
    assert verdict(above, reached) == "met"
    assert verdict(failed_early, reached) == "**missed**"
    assert verdict(reached, above) == "**missed**"  # Duet failed a step the other passed
    higher = Saturation([step(1000, 1000, 5), step(2000, 1990, 40)])
    assert verdict(above, higher).startswith("not decided")  # both only lower bounds
    assert verdict(higher, above).startswith("not decided")
    assert verdict(failed_early, failed_early) == "not decided: neither passed a step"


def test_a_series_that_never_failed_says_where_its_limit_is_not() -> None:
    tables = "\n".join(
        _saturation_tables(
            QUICK,
            ["duet", "yws", "hocus"],
            {
                "duet": Saturation([step(4000, 3700, 70)]),
                "yws": Saturation([step(4000, 3800, 60)]),
                "hocus": Saturation([step(4000, 3900, 120)]),
            },
        )
    )
    assert (
        "the server's limit lies above the top step tried (4000 offered, of which the load generator"
        in tables
    )
    assert "| Hocuspocus 4.7.0 | none passed | — | 4000 offered failed (p99 120.0 ms) |" in tables
