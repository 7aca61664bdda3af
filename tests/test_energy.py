"""Energy and carbon accounting: the CPU estimate, RAPL counters (a fake powercap tree), carbon."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from srllm import energy
from srllm.energy import EnergyMeter, EnergyReport


def _busy(seconds: float) -> int:
    end = time.process_time() + seconds
    n = 0
    while time.process_time() < end:
        n += 1
    return n


def _zone(root: Path, name: str, label: str, energy_uj: int, max_uj: int) -> Path:
    zone = root / name
    zone.mkdir(parents=True)
    (zone / "name").write_text(label + "\n")
    (zone / "energy_uj").write_text(f"{energy_uj}\n")
    (zone / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return zone


def test_cpu_estimate_from_a_busy_loop(tmp_path: Path):
    meter = EnergyMeter(cpu_tdp_w=80.0, powercap_root=tmp_path / "no-powercap", gpu=False)
    with meter:
        _busy(0.5)
    report = meter.report
    assert isinstance(report, EnergyReport)
    assert report.cpu_s >= 0.4 and report.wall_s >= report.cpu_s * 0.5
    w_per_core = 80.0 / meter.cores
    assert math.isclose(report.cpu_energy_kwh, w_per_core * report.cpu_s / 3.6e6, rel_tol=1e-12)
    assert report.cpu_energy_kwh > 0
    assert report.method["cpu"].startswith("estimate:") and "cpu_tdp_w 80 W" in report.method["cpu"]
    assert report.gpu_energy_kwh == 0 and report.method["gpu"].startswith("none:")
    expected_ram = 0.375 * report.peak_rss_gib * report.wall_s / 3.6e6
    assert report.peak_rss_gib > 0 and math.isclose(report.ram_energy_kwh, expected_ram, rel_tol=1e-12)
    assert report.energy_kwh == report.cpu_energy_kwh + report.gpu_energy_kwh + report.ram_energy_kwh
    assert report.carbon_kgco2e == report.energy_kwh * 0.4
    assert report.intensity_kgco2e_per_kwh == 0.4
    assert set(report.to_dict()) >= {"wall_s", "cpu_s", "energy_kwh", "carbon_kgco2e", "method"}


def test_default_power_per_core_and_custom_intensity(tmp_path: Path):
    meter = EnergyMeter(intensity_kgco2e_per_kwh=0.233, powercap_root=None, gpu=False).start()
    _busy(0.1)
    report = meter.stop()
    assert meter.w_per_core == energy.DEFAULT_W_PER_CORE
    assert math.isclose(report.cpu_energy_kwh, 10.0 * report.cpu_s / 3.6e6, rel_tol=1e-12)
    assert report.carbon_kgco2e == report.energy_kwh * 0.233
    zero = EnergyMeter(intensity_kgco2e_per_kwh=0, powercap_root=None, gpu=False).start().stop()
    assert zero.carbon_kgco2e == 0.0


def test_rapl_counters_with_wrap_around(tmp_path: Path):
    root = tmp_path / "powercap"
    pkg0 = _zone(root, "intel-rapl:0", "package-0", energy_uj=999_000_000, max_uj=1_000_000_000)
    pkg1 = _zone(root, "intel-rapl:1", "package-1", energy_uj=5_000_000, max_uj=1_000_000_000)
    dram = _zone(root, "intel-rapl:0:2", "dram", energy_uj=0, max_uj=1_000_000_000)  # a sub-zone: not summed
    _zone(root, "intel-rapl-mmio:0", "package-0", energy_uj=0, max_uj=1_000_000_000)  # a duplicate: skipped
    assert [z.name for z in energy.rapl_zones(root)] == ["package-0", "package-1"]

    meter = EnergyMeter(powercap_root=root, gpu=False).start()
    (pkg0 / "energy_uj").write_text("2000000\n")  # wrapped: 1 J to the top, then 2 J
    (pkg1 / "energy_uj").write_text("8600000\n")  # 3.6 J
    (dram / "energy_uj").write_text("7000000000\n")
    report = meter.stop()
    assert report.method["cpu"].startswith("rapl:")
    assert report.cpu_energy_kwh == pytest.approx((3_000_000 + 3_600_000) / 3.6e12, rel=1e-12)
    assert report.carbon_kgco2e == report.energy_kwh * 0.4


def test_rapl_sampling_counts_several_wraps(tmp_path: Path):
    root = tmp_path / "powercap"
    pkg = _zone(root, "intel-rapl:0", "package-0", energy_uj=0, max_uj=100)
    meter = EnergyMeter(powercap_root=root, gpu=False).start()
    for value in (60, 10, 70, 20):  # +60, +50 (wrap), +60, +50 (wrap)
        (pkg / "energy_uj").write_text(f"{value}\n")
        meter._sample()
    report = meter.stop()
    assert report.cpu_energy_kwh == pytest.approx(220 / 3.6e12, rel=1e-12)


def test_rapl_delta_and_unreadable_zones(tmp_path: Path):
    assert energy.rapl_delta_uj(10, 30, 100) == 20
    assert energy.rapl_delta_uj(90, 5, 100) == 15
    root = tmp_path / "powercap"
    zone = _zone(root, "intel-rapl:0", "package-0", energy_uj=1, max_uj=100)
    (zone / "energy_uj").write_text("not a number\n")  # stands in for a root-only counter
    assert energy.rapl_zones(root) == []
    assert EnergyMeter(powercap_root=root, gpu=False).start().stop().method["cpu"].startswith("estimate:")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"intensity_kgco2e_per_kwh": -0.1}, "intensity_kgco2e_per_kwh"),
        ({"intensity_kgco2e_per_kwh": float("nan")}, "intensity_kgco2e_per_kwh"),
        ({"intensity_kgco2e_per_kwh": "high"}, "intensity_kgco2e_per_kwh"),
        ({"cpu_tdp_w": 0}, "cpu_tdp_w"),
        ({"ram_w_per_gib": -1}, "ram_w_per_gib"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        EnergyMeter(**kwargs)


def test_stop_before_start_and_double_start():
    meter = EnergyMeter(powercap_root=None, gpu=False)
    with pytest.raises(RuntimeError):
        meter.stop()
    meter.start()
    with pytest.raises(RuntimeError):
        meter.start()
    meter.stop()
