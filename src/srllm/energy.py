"""Energy and carbon accounting of a run, as in the SR_LLM paper.

energy (kWh) = power (W) x time (h), summed over CPU, GPU and RAM;
carbon (kgCO2e) = energy (kWh) x grid carbon intensity (kgCO2e/kWh), 0.4 by default (a world
average of about 0.4-0.5; pass the intensity of the grid the run used).

How each component is measured, best first (the report's `method` says which was used):

- CPU: the RAPL energy counters under ``/sys/class/powercap`` (Intel, and AMD Zen through the
  same ``intel-rapl`` driver), summed over the package zones: energy of the whole CPU package,
  all processes included. The counters are often readable by root only; otherwise an estimate:
  ``cpu_tdp_w / os.cpu_count()`` W per core x this process's CPU seconds (user + system, its
  waited-for children included). With no TDP given, ``DEFAULT_W_PER_CORE`` (10 W per core, a
  typical server TDP of 100-300 W over 16-64 cores) stands in for it.
- GPU: NVML's total energy counter (``nvmlDeviceGetTotalEnergyConsumption``, Volta and newer)
  of the GPUs torch sees, when ``pynvml`` (nvidia-ml-py) is importable; else the power draw that
  ``torch.cuda.power_draw`` reports, sampled and integrated over time; else 0 (no GPU).
- RAM: ``ram_w_per_gib`` x peak resident set size (GiB) x wall time. 0.375 W per GiB is
  codecarbon's convention ("3 W for 8 GB", codecarbon 2.x methodology, after the Green
  Algorithms project), applied here to the memory the process used rather than all installed.

Counters (RAPL, NVML) are machine-wide: other processes' work is counted too. Estimates cover
this process (and its children) only. RAPL counters wrap around at ``max_energy_range_uj``; a
background thread samples them every `sample_interval_s` seconds so that long runs that wrap
more than once are still counted right.

Only the standard library is imported at module level; torch and pynvml only when present.
"""

from __future__ import annotations

import math
import os
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_INTENSITY_KGCO2E_PER_KWH = 0.4
#: W per core when no CPU TDP is known.
DEFAULT_W_PER_CORE = 10.0
#: codecarbon's RAM power convention: 3 W per 8 GB.
DEFAULT_RAM_W_PER_GIB = 0.375
POWERCAP_ROOT = "/sys/class/powercap"
J_PER_KWH = 3.6e6
UJ_PER_KWH = 3.6e12
MJ_PER_KWH = 3.6e9  # millijoules, NVML's unit

#: Top-level RAPL zones, e.g. intel-rapl:0 (not sub-zones intel-rapl:0:0, which the package contains).
_TOP_ZONE = re.compile(r"^[a-z-]*rapl:\d+$")


@dataclass
class EnergyReport:
    """What one metered run used. Energies in kWh, carbon in kg CO2-equivalent."""

    wall_s: float
    cpu_s: float
    cpu_energy_kwh: float
    gpu_energy_kwh: float
    ram_energy_kwh: float
    energy_kwh: float
    carbon_kgco2e: float
    intensity_kgco2e_per_kwh: float
    method: dict[str, str] = field(default_factory=dict)
    peak_rss_gib: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"energy {self.energy_kwh:.6g} kWh (cpu {self.cpu_energy_kwh:.3g}, gpu {self.gpu_energy_kwh:.3g}, "
            f"ram {self.ram_energy_kwh:.3g}) -> {self.carbon_kgco2e:.6g} kgCO2e at "
            f"{self.intensity_kgco2e_per_kwh} kgCO2e/kWh over {self.wall_s:.1f} s"
        )


# --- CPU: RAPL ---------------------------------------------------------------------------------


@dataclass
class _RaplZone:
    path: Path
    name: str
    max_uj: int

    def read(self) -> int:
        return int((self.path / "energy_uj").read_text().strip())


def rapl_zones(root: str | os.PathLike[str] = POWERCAP_ROOT) -> list[_RaplZone]:
    """The readable top-level RAPL package zones under `root` (empty when none can be read).

    Package zones only ("package-N"): a "psys" (platform) zone would count the packages twice.
    When no zone is named "package-*", every top-level zone is used. ``*-mmio`` zones duplicate
    the MSR ones and are skipped.
    """
    base = Path(root)
    if not base.is_dir():
        return []
    zones = []
    for path in sorted(base.iterdir()):
        if not _TOP_ZONE.match(path.name) or "mmio" in path.name:
            continue
        try:
            name = (path / "name").read_text().strip() if (path / "name").exists() else path.name
            max_uj = int((path / "max_energy_range_uj").read_text().strip())
            zone = _RaplZone(path, name, max_uj)
            zone.read()  # permission check: energy_uj is root-only on many kernels
        except (OSError, ValueError):
            continue
        zones.append(zone)
    packages = [z for z in zones if z.name.startswith("package")]
    return packages or zones


def rapl_delta_uj(start: int, end: int, max_uj: int) -> int:
    """Energy between two readings of one counter, allowing for one wrap-around at `max_uj`."""
    delta = end - start
    if delta < 0:
        delta += max_uj
    return delta


# --- GPU -----------------------------------------------------------------------------------------


def _cuda_devices() -> list[int]:
    if "torch" not in sys.modules and not _module_exists("torch"):
        return []
    try:
        import torch

        if not torch.cuda.is_available():
            return []
        return list(range(torch.cuda.device_count()))
    except Exception:  # noqa: BLE001 - a broken CUDA setup means: no GPU to meter
        return []


def _module_exists(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _nvml_handles(devices: list[int]) -> list[Any] | None:
    """NVML handles of torch's CUDA devices (matched by UUID), or None when NVML is unusable."""
    try:
        import pynvml
        import torch

        pynvml.nvmlInit()
        handles = []
        for index in devices:
            uuid = getattr(torch.cuda.get_device_properties(index), "uuid", None)
            if uuid is not None:
                text = str(uuid)
                handle = pynvml.nvmlDeviceGetHandleByUUID(text if text.startswith(("GPU-", "MIG-")) else f"GPU-{text}")
            else:
                handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)  # unsupported before Volta: raises
            handles.append(handle)
        return handles
    except Exception:  # noqa: BLE001 - no pynvml, no driver, or a GPU without the counter
        return None


def _nvml_energy_mj(handles: list[Any]) -> int:
    import pynvml

    return sum(int(pynvml.nvmlDeviceGetTotalEnergyConsumption(h)) for h in handles)


def _torch_power_w(devices: list[int]) -> float:
    import torch

    return sum(float(torch.cuda.power_draw(d)) for d in devices) / 1000.0  # mW -> W


# --- memory --------------------------------------------------------------------------------------


def peak_rss_bytes() -> int:
    """Peak resident set size of this process plus the largest of its waited-for children."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        try:
            import psutil

            return int(psutil.Process().memory_info().rss)
        except Exception:  # noqa: BLE001
            return 0
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return int((own + children) * unit)


def process_cpu_seconds() -> float:
    """User + system CPU seconds of this process and its waited-for children."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: os.times has no children there, 10 ms ticks elsewhere
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# --- the meter -----------------------------------------------------------------------------------


class EnergyMeter:
    """Meter a block of work: ``with EnergyMeter() as meter: ...`` then ``meter.report``;
    or ``meter.start()`` ... ``report = meter.stop()``.

    `cpu_tdp_w` is the whole CPU's thermal design power (W), spread over ``os.cpu_count()``
    cores for the estimate; `w_per_core` overrides the per-core figure directly. `powercap_root`
    is where to look for RAPL counters (None: do not use RAPL); `gpu` False skips the GPU.
    """

    def __init__(
        self,
        intensity_kgco2e_per_kwh: float = DEFAULT_INTENSITY_KGCO2E_PER_KWH,
        cpu_tdp_w: float | None = None,
        ram_w_per_gib: float = DEFAULT_RAM_W_PER_GIB,
        *,
        w_per_core: float | None = None,
        powercap_root: str | os.PathLike[str] | None = POWERCAP_ROOT,
        gpu: bool = True,
        sample_interval_s: float = 30.0,
    ):
        _check_number("intensity_kgco2e_per_kwh", intensity_kgco2e_per_kwh, allow_zero=True)
        if cpu_tdp_w is not None:
            _check_number("cpu_tdp_w", cpu_tdp_w, allow_zero=False)
        if w_per_core is not None:
            _check_number("w_per_core", w_per_core, allow_zero=True)
        _check_number("ram_w_per_gib", ram_w_per_gib, allow_zero=True)
        _check_number("sample_interval_s", sample_interval_s, allow_zero=False)
        self.intensity = float(intensity_kgco2e_per_kwh)
        self.cpu_tdp_w = cpu_tdp_w
        self.ram_w_per_gib = float(ram_w_per_gib)
        self.cores = os.cpu_count() or 1
        if w_per_core is not None:
            self.w_per_core, self._w_source = float(w_per_core), "given"
        elif cpu_tdp_w is not None:
            self.w_per_core = float(cpu_tdp_w) / self.cores
            self._w_source = f"cpu_tdp_w {cpu_tdp_w:g} W / {self.cores} cores"
        else:
            self.w_per_core, self._w_source = DEFAULT_W_PER_CORE, "default: CPU TDP unknown"
        self.powercap_root = powercap_root
        self.gpu = gpu
        self.sample_interval_s = float(sample_interval_s)
        self.report: EnergyReport | None = None
        self._running = False
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    # context manager
    def __enter__(self) -> EnergyMeter:  # noqa: PYI034 - Self needs Python 3.11
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._running:
            self.stop()

    def start(self) -> EnergyMeter:
        if self._running:
            raise RuntimeError("EnergyMeter already started")
        self.report = None
        self._zones = rapl_zones(self.powercap_root) if self.powercap_root is not None else []
        self._rapl_last = [z.read() for z in self._zones]
        self._rapl_uj = 0
        self._devices = _cuda_devices() if self.gpu else []
        self._nvml = _nvml_handles(self._devices) if self._devices else None
        self._nvml_start = _nvml_energy_mj(self._nvml) if self._nvml else 0
        self._gpu_power_j = 0.0
        self._gpu_power_ok = bool(self._devices) and self._nvml is None and self._try_power() is not None
        self._cpu0 = process_cpu_seconds()
        self._t0 = self._last_sample = time.perf_counter()
        self._running = True
        if self._zones or self._gpu_power_ok:
            self._stop_event.clear()
            self._thread = threading.Thread(target=self._sampler, name="srllm-energy", daemon=True)
            self._thread.start()
        return self

    def _try_power(self) -> float | None:
        try:
            return _torch_power_w(self._devices)
        except Exception:  # noqa: BLE001 - torch without power_draw, or no NVML behind it
            return None

    def _sampler(self) -> None:
        while not self._stop_event.wait(self.sample_interval_s):
            self._sample()

    def _sample(self) -> None:
        with self._lock:
            for i, zone in enumerate(self._zones):
                try:
                    now = zone.read()
                except (OSError, ValueError):
                    continue
                self._rapl_uj += rapl_delta_uj(self._rapl_last[i], now, zone.max_uj)
                self._rapl_last[i] = now
            now_t = time.perf_counter()
            if self._gpu_power_ok:
                watts = self._try_power()
                if watts is not None:  # rectangle rule: the power now, over the time since the last sample
                    self._gpu_power_j += watts * (now_t - self._last_sample)
            self._last_sample = now_t

    def stop(self) -> EnergyReport:
        if not self._running:
            raise RuntimeError("EnergyMeter.stop() before start()")
        if self._thread is not None:
            self._stop_event.set()
            self._thread.join()
            self._thread = None
        self._sample()
        wall = time.perf_counter() - self._t0
        cpu_s = max(0.0, process_cpu_seconds() - self._cpu0)
        self._running = False
        method: dict[str, str] = {}

        if self._zones:
            cpu_kwh = self._rapl_uj / UJ_PER_KWH
            method["cpu"] = "rapl: " + ", ".join(f"{z.path.name} ({z.name})" for z in self._zones) + " (whole package)"
        else:
            cpu_kwh = self.w_per_core * cpu_s / J_PER_KWH
            method["cpu"] = f"estimate: {self.w_per_core:g} W per core ({self._w_source}) x {cpu_s:.3f} CPU s"

        if self._nvml:
            gpu_kwh = max(0, _nvml_energy_mj(self._nvml) - self._nvml_start) / MJ_PER_KWH
            method["gpu"] = f"nvml: total energy counter of {len(self._nvml)} GPU(s)"
        elif self._gpu_power_ok:
            gpu_kwh = self._gpu_power_j / J_PER_KWH
            method["gpu"] = (
                f"estimate: torch.cuda.power_draw of {len(self._devices)} GPU(s) sampled every "
                f"{self.sample_interval_s:g} s x time"
            )
        elif self._devices:
            gpu_kwh = 0.0
            method["gpu"] = "none: GPU present but neither NVML energy nor power readings are available"
        else:
            gpu_kwh = 0.0
            method["gpu"] = "none: no GPU" if self.gpu else "none: GPU metering off"

        rss_gib = peak_rss_bytes() / 2**30
        ram_kwh = self.ram_w_per_gib * rss_gib * wall / J_PER_KWH
        method["ram"] = (
            f"estimate: {self.ram_w_per_gib:g} W/GiB (codecarbon's 3 W per 8 GB) x {rss_gib:.3f} GiB peak RSS "
            f"x {wall:.3f} s"
        )

        energy = cpu_kwh + gpu_kwh + ram_kwh
        self.report = EnergyReport(
            wall_s=wall,
            cpu_s=cpu_s,
            cpu_energy_kwh=cpu_kwh,
            gpu_energy_kwh=gpu_kwh,
            ram_energy_kwh=ram_kwh,
            energy_kwh=energy,
            carbon_kgco2e=energy * self.intensity,
            intensity_kgco2e_per_kwh=self.intensity,
            method=method,
            peak_rss_gib=rss_gib,
        )
        return self.report


def _check_number(name: str, value: float, allow_zero: bool) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if number < 0 or (number == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
