"""A ray-tracing scene with a base station: outdoor checks and traced paths per position.

:class:`SiteScene` loads a Mitsuba scene in Sionna RT, places the base station (with the
scenario's ``channel.array``) as the *transmitter* and traces to the users as receivers:
the uplink user → base station has the same paths by reciprocity, and one source with
many receivers is one trace. Users carry one vertically polarised isotropic antenna.

Conventions measured against Sionna RT 2.2's ``Paths.cfr``: the path coefficients ``a``
exclude the carrier phase ``e^{-j2π f_c τ}`` (applied here, so a path's gain is its
complex response at the carrier), and a path's Doppler for a receiver moving with
velocity ``v`` is ``v·r̂ / λ`` with ``r̂`` the unit vector of its arrival direction.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chanest.channels.arrays import ArrayConfig
from chanest.schema import ConfigError

__all__ = ["SiteScene", "Traced", "scene_file", "scene_digest", "builtin_scenes"]

_SPEED_OF_LIGHT = 299_792_458.0


def builtin_scenes() -> dict[str, Path]:
    """Sionna RT's built-in scenes, name -> XML file (found without importing Mitsuba)."""
    import importlib.util

    spec = importlib.util.find_spec("sionna.rt")
    if spec is None or not spec.submodule_search_locations:
        return {}
    root = Path(next(iter(spec.submodule_search_locations))) / "scenes"
    return {d.name: d / f"{d.name}.xml" for d in sorted(root.iterdir())
            if (d / f"{d.name}.xml").is_file()}


def scene_file(scene: str) -> Path:
    """The XML file of ``scene`` (a built-in name or a path to a Mitsuba XML file).

    Raises:
        ConfigError: (``channel.scene``) neither a built-in name nor an existing file.
    """
    path = Path(scene).expanduser()
    if path.suffix.lower() == ".xml":
        if not path.is_file():
            raise ConfigError(f"channel.scene: no such scene file {scene!r}")
        return path.resolve()
    known = builtin_scenes()
    if scene not in known:
        raise ConfigError(f"channel.scene: unknown scene {scene!r}; built-in scenes are "
                          f"{', '.join(known) or '(none: sionna-rt is not installed)'}, "
                          "or give a path to a Mitsuba .xml file")
    return known[scene]


def scene_digest(xml: Path) -> str:
    """sha256 over the XML file and every file it names (``filename="…"``, e.g. meshes)."""
    text = xml.read_bytes()
    digest = hashlib.sha256(text)
    for name in sorted(set(re.findall(rb'filename\s*=\s*"([^"]+)"', text))):
        part = xml.parent / name.decode()
        digest.update(name)
        digest.update(part.read_bytes() if part.is_file() else b"(missing)")
    return digest.hexdigest()


@dataclass
class Traced:
    """Traced paths of m receiver positions (K: most paths of any position, zero padded).

    Attributes:
        gain: [m, K, A] complex64 response of each path at each base-station antenna at the
            carrier (chanest's antenna order), unnormalised (includes path loss).
        delay: [m, K] float64 propagation delay [s].
        direction: [m, K, 3] float32 unit vector of each path's arrival at the user.
        valid: [m, K] bool real paths.
        los: [m] bool a line-of-sight path exists.
    """

    gain: np.ndarray
    delay: np.ndarray
    direction: np.ndarray
    valid: np.ndarray
    los: np.ndarray


def _rt_array(rt, array: ArrayConfig, carrier_frequency: float):
    """(Sionna RT ``AntennaArray`` of ``array``, order [A]: chanest's element i is RT's
    antenna ``order[i]``). RT lists antennas pattern-major (every position with the first
    polarisation, then with the second), at the positions given here."""
    import mitsuba as mi

    wavelength = _SPEED_OF_LIGHT / carrier_frequency
    sionna_array = array.sionna(carrier_frequency)
    pos = sionna_array.ant_pos.cpu().double().numpy()  # [A, 3] m
    pols = [sionna_array.ant_ind_pol1.cpu().numpy()]
    if array.polarization == "dual":
        pols.append(sionna_array.ant_ind_pol2.cpu().numpy())
    first = pos[pols[0]] / wavelength  # [N, 3]
    for ind in pols[1:]:
        if not np.allclose(pos[ind], pos[pols[0]]):
            raise ValueError("dual-polarised elements do not share positions")
    pattern = rt.PlanarArray(num_rows=1, num_cols=1, polarization=array.polarization_type,
                             pattern={"omni": "iso", "38.901": "tr38901"}[array.pattern]
                             ).antenna_pattern
    rt_array = rt.AntennaArray(pattern, mi.Point3f(*(first[:, i].astype(np.float32)
                                                     for i in range(3))))
    order = np.empty(array.num_elements, dtype=np.int64)
    for p, ind in enumerate(pols):
        order[ind] = p * len(first) + np.arange(len(first))
    return rt_array, order


class SiteScene:
    """A scene with the base station placed (module docstring).

    Args:
        rt: the ``sionna.rt`` module.  xml: scene file.  carrier_frequency: [Hz].
        bs_position: [3] m.  look_at: [3] m the array faces.  array: base-station array.
        max_depth: most interactions per path.  samples_per_src: rays shot.
    """

    def __init__(self, rt, xml: Path, carrier_frequency: float, bs_position, look_at,
                 array: ArrayConfig, max_depth: int, samples_per_src: int):
        self.rt = rt
        self.scene = rt.load_scene(str(xml), merge_shapes=True)
        self.scene.frequency = carrier_frequency
        self.wavelength = _SPEED_OF_LIGHT / carrier_frequency
        self.scene.tx_array, self.order = _rt_array(rt, array, carrier_frequency)
        self.scene.rx_array = rt.PlanarArray(num_rows=1, num_cols=1, pattern="iso",
                                             polarization="V")
        bs = np.asarray(bs_position, dtype=np.float64)
        if self.covered(bs[None])[0]:
            raise ConfigError(f"channel.bs_position: {bs.tolist()} is inside or under a "
                              "building of the scene (a ray straight up hits it); place "
                              "the base station on a roof or in the open")
        tx = rt.Transmitter("bs", position=[float(v) for v in bs])
        self.scene.add(tx)
        tx.look_at([float(v) for v in look_at])
        self.solver = rt.PathSolver()
        self.max_depth, self.samples_per_src = max_depth, samples_per_src

    def covered(self, points: np.ndarray) -> np.ndarray:
        """[m] bool: a ray straight up from each point [m, 3] hits the scene (indoor)."""
        import mitsuba as mi

        p = points.astype(np.float32)
        ray = mi.Ray3f(mi.Point3f(p[:, 0], p[:, 1], p[:, 2]), mi.Vector3f(0.0, 0.0, 1.0))
        return np.array(self.scene.mi_scene.ray_intersect(ray).is_valid(), dtype=bool)

    def trace(self, points: np.ndarray) -> Traced:
        """The paths from the base station to receivers at ``points`` [m, 3] m."""
        names = [f"ue{i}" for i in range(len(points))]
        for name, p in zip(names, points):
            self.scene.add(self.rt.Receiver(name, position=[float(v) for v in p]))
        try:
            paths = self.solver(self.scene, max_depth=self.max_depth,
                                samples_per_src=self.samples_per_src,
                                max_num_paths_per_src=max(10**6, 2000 * len(points)),
                                synthetic_array=True, seed=1)
            a = np.array(paths.a[0]) + 1j * np.array(paths.a[1])  # [m, 1, 1, A, K]
            tau = np.array(paths.tau, dtype=np.float64)[:, 0]  # [m, K]
            valid = np.array(paths.valid, dtype=bool)[:, 0]  # [m, K]
            theta = np.array(paths.theta_r, dtype=np.float64)[:, 0]
            phi = np.array(paths.phi_r, dtype=np.float64)[:, 0]
            kinds = np.array(paths.interactions)[:, :, 0]  # [depth, m, K]
        finally:
            for name in names:
                self.scene.remove(name)
        # paths in a fixed order (the solver's parallel search lists them in any order):
        # valid ones first, by delay, then arrival direction
        by = np.lexsort((phi, theta, np.where(valid, tau, np.inf)), axis=-1)  # [m, K]
        tau, valid, theta, phi = (np.take_along_axis(x, by, -1)
                                  for x in (tau, valid, theta, phi))
        kinds = np.take_along_axis(kinds, by[None], -1)
        a = np.take_along_axis(a[:, 0, 0], by[:, None], -1)[:, self.order]  # [m, A, K]
        gain = a * np.exp(-2j * np.pi * tau / self.wavelength * _SPEED_OF_LIGHT)[:, None]
        gain = np.where(valid[:, None], gain, 0).transpose(0, 2, 1).astype(np.complex64)
        direction = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi),
                              np.cos(theta)], -1).astype(np.float32)  # [m, K, 3]
        los = (valid & (kinds == 0).all(0)).any(-1)
        return Traced(gain, np.where(valid, tau, 0.0), direction, valid, los)
