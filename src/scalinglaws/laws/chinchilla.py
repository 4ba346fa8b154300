"""Scaling-law fits: Chinchilla's three approaches, on arrays, with diagnostics.

- **Approach 3** (parametric): L(N, D) = E + A/N^α + B/D^β, fitted as
  log L̂ = LSE(a − α log N, b − β log D, e) (A = eᵃ, B = eᵇ, E = eᵉ) by the Huber loss
  (δ = 1e-3) of log L̂ − log L **summed** over points — averaging makes L-BFGS-B stop near
  its start, which is believed to have hurt Chinchilla's own published fit (Besiroglu et
  al. 2024, arXiv 2404.10102) — with the analytic gradient, from Chinchilla's grid of
  4,500 starts, keeping the best.
- **Approach 2** (isoFLOP): per compute budget, a parabola in log N fitted to the points
  in a window around that budget's minimum, then power laws N*(C) = k·C^a, D*(C) ∝ C^b.
- **Approach 1** (envelope): the lowest loss at each compute over all runs, the model
  that reaches it, then the same power laws.

Every fit returns a result object with its objective, gradient norm, how many starts
reached the best value and which parameters ended at a bound — not just numbers.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from scalinglaws import ScalingLawsError
from scalinglaws.laws.huber import HUBER_DELTA, huber

PARAMS3 = ("a", "b", "e", "alpha", "beta")  # the search's coordinates: A = eᵃ, B = eᵇ, E = eᵉ
LAW_PARAMS = ("A", "B", "E", "alpha", "beta")  # the law's names for the same coordinates
# Chinchilla's grid of initialisations (Hoffmann et al. 2022, appendix D.2).
CHINCHILLA_GRID = {
    "a": np.arange(0, 30, 5.0),
    "b": np.arange(0, 30, 5.0),
    "e": np.arange(-1, 1.5, 0.5),
    "alpha": np.arange(0, 2.5, 0.5),
    "beta": np.arange(0, 2.5, 0.5),
}
BOUNDS3 = [(-20.0, 60.0), (-20.0, 60.0), (-10.0, 10.0), (0.0, 5.0), (0.0, 5.0)]
# A resample needs this many distinct model sizes: each size gives one constant
# E + A/N^α, so fewer than three cannot separate E, A and α.
MIN_SIZES = 3
# The multi-start runs only have to find the best basin: the best run is then polished to
# full precision (below). ftol is absolute here (the objective is ≪ 1), so 1e-7 stops each
# run ~1e-4 (relative) short; on 30 bootstrap resamples of the demo's layout this reached
# the same polished optimum as ftol 1e-10 in every case (2 slightly lower), 3.4× faster.
LBFGS_OPTIONS = {"ftol": 1e-7, "gtol": 1e-8, "maxiter": 1000}
# Runs within this (relative) of the best run's unpolished objective count as reaching it.
SAME_BASIN_RTOL = 1e-3
# The best run is polished once more on the objective scaled to 1 at its start: L-BFGS-B's
# ftol is relative to max(|f|, 1), and the Huber objective of a few points with percent
# noise is ~1e-5, so the search stops ~1e-6 short (relative) along the flat E–A–α valley.
POLISH_OPTIONS = {"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000}


def chinchilla_starts() -> np.ndarray:
    """The 6 × 6 × 5 × 5 × 5 = 4,500 starting points, as rows of (a, b, e, α, β)."""
    return np.array(list(itertools.product(*(CHINCHILLA_GRID[k] for k in PARAMS3))))


# --- Approach 3 ----------------------------------------------------------------------------


def objective3(x, log_n, log_d, log_l, delta=HUBER_DELTA, weights=None):
    """Summed (optionally weighted) Huber loss of log-residuals and its analytic gradient.

    Written out (no scipy.special calls) because it runs ~10⁵ times per fit."""
    a, b, e, alpha, beta = x
    t0, t1 = a - alpha * log_n, b - beta * log_d
    m = np.maximum(np.maximum(t0, t1), e)  # log-sum-exp, stabilised
    e0, e1, e2 = np.exp(t0 - m), np.exp(t1 - m), np.exp(e - m)
    s = e0 + e1 + e2
    r = m + np.log(s) - log_l
    loss, dloss = huber(r, delta)
    if weights is not None:
        loss, dloss = loss * weights, dloss * weights
    g = dloss / s  # d(log L̂)/d(term k) = e_k / s (softmax weights)
    w0, w1 = e0 * g, e1 * g
    grad = np.array([w0.sum(), w1.sum(), (e2 * g).sum(), -(w0 @ log_n), -(w1 @ log_d)])
    return loss.sum(), grad


def objective3_at(starts, log_n, log_d, log_l, delta=HUBER_DELTA, weights=None) -> np.ndarray:
    """The objective at many parameter vectors at once (rows of ``starts``), vectorised."""
    a, b, e, alpha, beta = (starts[:, i : i + 1] for i in range(5))
    t0, t1 = a - alpha * log_n[None], b - beta * log_d[None]
    m = np.maximum(np.maximum(t0, t1), e)
    r = m + np.log(np.exp(t0 - m) + np.exp(t1 - m) + np.exp(e - m)) - log_l[None]
    loss = huber(r, delta)[0]
    return (loss if weights is None else loss * weights[None]).sum(axis=1)


def fixed_coordinates(fix: dict | None) -> dict[int, float]:
    """``{"E": 1.8, "alpha": 0.34}`` → {coordinate index: value in the search's coordinates}."""
    out = {}
    for name, value in (fix or {}).items():
        if name not in LAW_PARAMS:
            raise ScalingLawsError(f"cannot fix {name!r}: the law's parameters are {', '.join(LAW_PARAMS)}")
        i = LAW_PARAMS.index(name)
        value = float(value)
        if name in ("A", "B", "E"):
            if value <= 0:
                raise ScalingLawsError(f"cannot fix {name} = {value:g}: it must be positive")
            value = float(np.log(value))
        lo, hi = BOUNDS3[i]
        if not lo <= value <= hi:
            raise ScalingLawsError(f"cannot fix {name}: {fix[name]} is outside the search's bounds")
        out[i] = value
    return out


def search_bounds(log_l, fixed: dict[int, float]) -> list[tuple[float, float]]:
    """BOUNDS3 with E kept below the lowest observed loss (every loss is E plus two positive
    terms) and fixed coordinates pinned."""
    bounds = list(BOUNDS3)
    bounds[2] = (bounds[2][0], min(bounds[2][1], float(np.min(log_l))))
    for i, v in fixed.items():
        bounds[i] = (v, v)
    return bounds


def screen_starts(starts, log_n, log_d, log_l, keep: int, delta=HUBER_DELTA, weights=None) -> np.ndarray:
    """The ``keep`` starts with the lowest objective. On noisy 300-point sets, L-BFGS-B from
    the best 100 of Chinchilla's 4,500 reaches the full search's optimum to ~1e-12
    (relative; bench/fitbench.py, tests/test_fit.py) in a twentieth of the time."""
    if keep >= len(starts):
        return starts
    values = objective3_at(starts, log_n, log_d, log_l, delta, weights)
    return starts[np.argsort(values, kind="stable")[:keep]]


@dataclass
class PerTokenFlops:
    """Training FLOPs per token as a function of N, the convention's C(N, D) = c(N)·D.

    Interpolated log-log between the fitted runs' own (N, C/D) and extended beyond them
    with the end segments' slopes, so it is exact at every model that was trained. C = 6ND
    is the one-point case: slope 1 through c(N) = 6N. (Appendix-F compute is not a
    multiple of N: at the demo's sizes it is 1.3–1.7 × 6N.)"""

    log_n: list[float]
    log_c: list[float]

    @classmethod
    def six_n(cls) -> PerTokenFlops:
        return cls([0.0], [float(np.log(6.0))])

    @classmethod
    def of_points(cls, n, flops, tokens) -> PerTokenFlops:
        n, per_token = np.asarray(n, float), np.asarray(flops, float) / np.asarray(tokens, float)
        sizes = np.unique(n)
        return cls([float(np.log(v)) for v in sizes], [float(np.log(np.median(per_token[n == v]))) for v in sizes])

    def __call__(self, n) -> np.ndarray:
        u, x, y = np.log(np.asarray(n, float)), np.array(self.log_n), np.array(self.log_c)
        if len(x) == 1:
            return np.exp(y[0] + u - x[0])
        inner = np.interp(u, x, y)
        below = y[0] + (u - x[0]) * (y[1] - y[0]) / (x[1] - x[0])
        above = y[-1] + (u - x[-1]) * (y[-1] - y[-2]) / (x[-1] - x[-2])
        return np.exp(np.where(u < x[0], below, np.where(u > x[-1], above, inner)))

    @property
    def is_6nd(self) -> bool:
        return bool(np.allclose(np.subtract(self.log_c, self.log_n), np.log(6.0), rtol=0, atol=1e-9))


@dataclass
class ParametricFit:
    """L(N, D) = E + A/N^α + B/D^β and how the fit got there."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    objective: float
    grad_norm: float
    success: bool
    n_starts: int
    n_best: int  # starts whose run reached the best objective (within SAME_BASIN_RTOL)
    at_bound: list[str] = field(default_factory=list)  # law parameters that ended at a bound
    n_points: int = 0
    n_screened: int | None = None  # L-BFGS-B ran from this many of the n_starts (None: all)
    fixed: dict = field(default_factory=dict)  # law parameters held at given values

    @classmethod
    def from_x(cls, x, **kw):
        a, b, e, alpha, beta = map(float, x)
        return cls(E=float(np.exp(e)), A=float(np.exp(a)), B=float(np.exp(b)), alpha=alpha, beta=beta, **kw)

    @classmethod
    def of(cls, params: dict) -> ParametricFit:
        """A law from its five parameters alone (e.g. read back from fits.json)."""
        return cls(
            **{k: params[k] for k in ("E", "A", "B", "alpha", "beta")},
            objective=0.0,
            grad_norm=0.0,
            success=True,
            n_starts=0,
            n_best=0,
        )

    @property
    def x(self) -> np.ndarray:
        return np.array([np.log(self.A), np.log(self.B), np.log(self.E), self.alpha, self.beta])

    def predict(self, n, d):
        return self.E + self.A / np.asarray(n, float) ** self.alpha + self.B / np.asarray(d, float) ** self.beta

    def allocation(self) -> dict:
        """Compute-optimal N_opt(C) = G (C/6)^a, D_opt(C) = G⁻¹ (C/6)^b for C = 6ND
        (Hoffmann et al. 2022, eq. 4). Other conventions: ``allocation_in``."""
        G = (self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))
        return {"G": G, "a": self.beta / (self.alpha + self.beta), "b": self.alpha / (self.alpha + self.beta)}

    def optimal(self, flops, per_token: PerTokenFlops | None = None):
        """N_opt(C), D_opt(C): the N minimising L(N, C / c(N)) for each compute C in the
        convention ``per_token`` (default C = 6ND, in closed form)."""
        c = np.atleast_1d(np.asarray(flops, float))
        if per_token is None or per_token.is_6nd:
            al = self.allocation()
            n_opt = al["G"] * (c / 6) ** al["a"]
            return n_opt, c / (6 * n_opt)
        n_opt = np.array([self._optimal_n(x, per_token) for x in c])
        return n_opt, c / per_token(n_opt)

    def _optimal_n(self, flops: float, per_token: PerTokenFlops) -> float:
        """A grid over log N (±15 nats around the 6ND optimum, which is close), then Brent
        in the best cell. NaN when the optimum is at the grid's edge (α or β near 0)."""
        from scipy.optimize import minimize_scalar

        with np.errstate(all="ignore"):
            centre = np.log(self.optimal(flops)[0][0])
        if not np.isfinite(centre):
            return float("nan")
        u = centre + np.linspace(-15, 15, 601)

        def loss(v):
            n = np.exp(v)
            return self.predict(n, flops / per_token(n))

        i = int(np.argmin(loss(u)))
        if i in (0, len(u) - 1):
            return float("nan")
        r = minimize_scalar(loss, bounds=(u[i - 1], u[i + 1]), method="bounded", options={"xatol": 1e-10})
        return float(np.exp(r.x))

    def allocation_in(self, per_token: PerTokenFlops, flops_range, n_range=None) -> dict:
        """The exponents of N_opt(C) ∝ C^a and D_opt(C) ∝ C^b in the convention ``per_token``:
        the slopes of log N_opt and log D_opt against log C over ``flops_range`` (40
        log-spaced budgets), kept to the budgets whose N_opt lies in ``n_range`` (the sizes
        trained, where c(N) is known and Approaches 1 and 2 can bracket the optimum) when
        at least two do. For C = 6ND they are β/(α+β) and α/(α+β) at every C."""
        if per_token.is_6nd:
            al = self.allocation()
            return {"a": al["a"], "b": al["b"], "G": al["G"]}
        c = np.logspace(*np.log10(flops_range), 40)
        n_opt, d_opt = self.optimal(c, per_token)
        ok = np.isfinite(n_opt)
        if n_range is not None:
            inside = ok & (n_opt >= n_range[0]) & (n_opt <= n_range[1])
            ok = inside if inside.sum() >= 2 else ok
        if ok.sum() < 2:
            return {"a": float("nan"), "b": float("nan")}
        return {
            "a": PowerLaw.fit(c[ok], n_opt[ok]).exponent,
            "b": PowerLaw.fit(c[ok], d_opt[ok]).exponent,
            "flops_range": [float(c[ok].min()), float(c[ok].max())],
        }

    def to_dict(self) -> dict:
        return {**asdict(self), **{f"allocation_{k}": v for k, v in self.allocation().items()}}


def fit_parametric(
    n,
    d,
    loss,
    starts: np.ndarray | None = None,
    delta: float = HUBER_DELTA,
    workers: int = 1,
    screen: int | None = None,
    weights=None,
    fix: dict | None = None,
) -> ParametricFit:
    """Approach 3 from every start (default: Chinchilla's 4,500), keeping the best.

    ``screen`` k: evaluate the objective at every start at once and run L-BFGS-B from the
    best k only. ``workers`` > 1 spreads the runs over that many processes. ``weights``:
    one per point, multiplying its Huber term. ``fix``: law parameters held at given
    values, e.g. ``{"E": 1.8}``. E is always kept below the lowest loss given."""
    log_n, log_d, log_l = (np.log(np.asarray(v, float)) for v in (n, d, loss))
    w = None if weights is None else np.asarray(weights, float)
    if w is not None and (w.shape != log_l.shape or not np.all(np.isfinite(w)) or np.any(w < 0)):
        raise ScalingLawsError("weights must be one finite, non-negative number per point")
    fixed = fixed_coordinates(fix)
    bounds = search_bounds(log_l, fixed)
    all_starts = chinchilla_starts() if starts is None else np.atleast_2d(np.asarray(starts, float))
    all_starts = np.clip(all_starts, [lo for lo, _ in bounds], [hi for _, hi in bounds])
    starts = all_starts if screen is None else screen_starts(all_starts, log_n, log_d, log_l, screen, delta, w)
    chunks = [(c, log_n, log_d, log_l, delta, w, bounds) for c in np.array_split(starts, max(1, workers)) if len(c)]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            runs = [r for chunk in pool.map(_fit_chunk, chunks) for r in chunk]
    else:
        runs = _fit_chunk(chunks[0])
    objectives = np.array([r[0] for r in runs])
    best_fun, best_x, success = runs[int(np.argmin(objectives))]
    n_best = int(np.sum(objectives <= best_fun * (1 + SAME_BASIN_RTOL) + 1e-18))
    polished_fun, polished_x = _polish(best_x, (log_n, log_d, log_l, delta, w), bounds)
    if polished_fun < best_fun:
        best_fun, best_x = polished_fun, polished_x
    _, grad = objective3(best_x, log_n, log_d, log_l, delta, w)
    free = [i for i in range(5) if i not in fixed]
    at_bound = [
        LAW_PARAMS[i] for i in free if np.isclose(best_x[i], bounds[i][0]) or np.isclose(best_x[i], bounds[i][1])
    ]
    return ParametricFit.from_x(
        best_x,
        objective=best_fun,
        grad_norm=float(np.linalg.norm(grad[free])),
        success=success,
        n_starts=len(all_starts),
        n_best=n_best,
        at_bound=at_bound,
        n_points=len(log_l),
        n_screened=None if screen is None else len(starts),
        fixed={k: float(v) for k, v in (fix or {}).items()},
    )


def _polish(x0, args, bounds) -> tuple[float, np.ndarray]:
    scale = 1 / max(objective3(x0, *args)[0], 1e-300)

    def scaled(x):
        f, g = objective3(x, *args)
        return f * scale, g * scale

    with threadpool_limits(limits=1, user_api="blas"):
        r = minimize(scaled, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=POLISH_OPTIONS)
    return float(objective3(r.x, *args)[0]), r.x


def _fit_chunk(args):
    starts, log_n, log_d, log_l, delta, weights, bounds = args
    out = []
    # L-BFGS-B's tiny BLAS calls are ~10× slower when OpenBLAS spreads them over threads.
    with threadpool_limits(limits=1, user_api="blas"):
        for x0 in starts:
            r = minimize(
                objective3,
                x0,
                args=(log_n, log_d, log_l, delta, weights),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options=LBFGS_OPTIONS,
            )
            out.append((float(r.fun), r.x, bool(r.success)))
    return out


# --- power laws, Approach 2 and Approach 1 ----------------------------------------------------


@dataclass
class PowerLaw:
    """y = k · x^exponent, fitted by least squares in log-log space."""

    k: float
    exponent: float
    rmse_log: float  # root-mean-square residual of log y
    n_points: int

    @classmethod
    def fit(cls, x, y) -> PowerLaw:
        lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
        if len(lx) < 2 or np.ptp(lx) == 0:
            return cls(k=float("nan"), exponent=float("nan"), rmse_log=float("nan"), n_points=len(lx))
        slope, intercept = np.polyfit(lx, ly, 1)
        resid = ly - (intercept + slope * lx)
        return cls(
            k=float(np.exp(intercept)),
            exponent=float(slope),
            rmse_log=float(np.sqrt(np.mean(resid**2))),
            n_points=len(lx),
        )

    def __call__(self, x):
        return self.k * np.asarray(x, float) ** self.exponent


@dataclass
class OptimaFit:
    """Compute-optimal N*(C) and D*(C) as power laws (Approaches 1 and 2)."""

    approach: int
    flops: list[float]  # the budgets C with an optimum
    n_opt: list[float]
    d_opt: list[float]
    loss_opt: list[float]
    n_law: PowerLaw
    d_law: PowerLaw
    skipped: list[dict] = field(default_factory=list)  # budgets without a usable optimum, and why
    note: str = ""

    @property
    def a(self) -> float:
        return self.n_law.exponent

    @property
    def b(self) -> float:
        return self.d_law.exponent

    def to_dict(self) -> dict:
        return {**asdict(self), "a": self.a, "b": self.b}


def fit_isoflop(n, d, loss, budget, window: float = 4.0, min_points: int = 3) -> OptimaFit:
    """Approach 2 on points grouped by compute budget (``budget``: the label of each point).

    Per budget, a parabola in log N is fitted to the points within a factor ``window`` of
    the lowest-loss point (skipped where that point is the smallest or largest N: the
    optimum is not bracketed); its vertex is N*, and D* comes from a straight line of log D
    against log N through the same points, evaluated at the vertex (convention-free)."""
    n, d, loss, budget = (np.asarray(v, float) for v in (n, d, loss, budget))
    cs, ns, ds, ls, skipped = [], [], [], [], []
    for c in np.unique(budget):
        sel = budget == c
        ln, ld, y = np.log(n[sel]), np.log(d[sel]), loss[sel]
        if ln[np.argmin(y)] in (ln.min(), ln.max()):
            skipped.append(
                {
                    "flops": float(c),
                    "reason": "the lowest loss is at the smallest or largest model: the optimum is not bracketed",
                }
            )
            continue
        near = np.abs(ln - ln[np.argmin(y)]) <= np.log(window)
        if near.sum() < min_points:
            skipped.append({"flops": float(c), "reason": f"{int(near.sum())} points within {window}× of the minimum"})
            continue
        curv, lin, const = np.polyfit(ln[near], y[near], 2)
        if curv <= 0:
            skipped.append({"flops": float(c), "reason": "the profile is not convex there"})
            continue
        x = -lin / (2 * curv)
        slope, icept = np.polyfit(ln[near], ld[near], 1)
        cs.append(float(c))
        ns.append(float(np.exp(x)))
        ds.append(float(np.exp(icept + slope * x)))
        ls.append(float(const - lin * lin / (4 * curv)))
    return OptimaFit(2, cs, ns, ds, ls, PowerLaw.fit(cs, ns), PowerLaw.fit(cs, ds), skipped)


def isoflop_profiles(group, n, d, flops, loss, budgets) -> dict[str, np.ndarray]:
    """Each run's (N, D, loss) at common compute budgets, by interpolating log loss and
    log D linearly in log FLOPs along that run's own points (runs of our sweeps do not
    sit on isoFLOP lines). A run contributes only to budgets inside its FLOPs range."""
    group, n, d, flops, loss = map(np.asarray, (group, n, d, flops, loss))
    out = {k: [] for k in ("n", "d", "loss", "budget")}
    for g in np.unique(group):
        sel = group == g
        order = np.argsort(flops[sel])
        lf, ll, ld = (np.log(v[sel][order].astype(float)) for v in (flops, loss, d))
        for c in budgets:
            if lf[0] <= np.log(c) <= lf[-1]:
                out["n"].append(float(n[sel][0]))
                out["d"].append(float(np.exp(np.interp(np.log(c), lf, ld))))
                out["loss"].append(float(np.exp(np.interp(np.log(c), lf, ll))))
                out["budget"].append(float(c))
    return {k: np.array(v) for k, v in out.items()}


def common_budgets(flops, count: int = 12) -> np.ndarray:
    f = np.asarray(flops, float)
    return np.logspace(np.log10(f.min()), np.log10(f.max()), count)


def covered_budgets(group, flops, count: int = 12, min_runs: int = 3) -> np.ndarray:
    """``count`` log-spaced compute budgets among those that at least ``min_runs`` runs
    reach (each run spans its own FLOPs range): where an isoFLOP parabola can be fitted.
    Budgets spread over the whole range instead fall mostly where one or two runs are."""
    group, flops = np.asarray(group), np.asarray(flops, float)
    ranges = np.array([(flops[group == g].min(), flops[group == g].max()) for g in np.unique(group)])
    grid = common_budgets(flops, 400)
    reached = ((ranges[:, :1] <= grid[None]) & (grid[None] <= ranges[:, 1:])).sum(axis=0)
    kept = grid[reached >= min_runs]
    if len(kept) <= count:
        return kept
    return kept[np.round(np.linspace(0, len(kept) - 1, count)).astype(int)]


def fit_envelope(group, n, d, flops, loss, count: int = 50) -> OptimaFit:
    """Approach 1: at each of ``count`` log-spaced compute values, the run with the lowest
    (interpolated) loss; N* and D* are that run's, then power laws in C. A compute value
    whose best run is the smallest or largest model reaching it is skipped: the optimum
    is not bracketed there (it may lie beyond the sizes trained), and keeping it would
    flatten the slope."""
    prof = isoflop_profiles(group, n, d, flops, loss, common_budgets(flops, count))
    cs, ns, ds, ls, skipped = [], [], [], [], []
    for c in np.unique(prof["budget"]):
        sel = np.flatnonzero(prof["budget"] == c)
        i = sel[np.argmin(prof["loss"][sel])]
        if prof["n"][i] in (prof["n"][sel].min(), prof["n"][sel].max()):
            skipped.append({"flops": float(c), "reason": "the best run is the smallest or largest model there"})
            continue
        cs.append(float(c))
        ns.append(float(prof["n"][i]))
        ds.append(float(prof["d"][i]))
        ls.append(float(prof["loss"][i]))
    note = f"{len(set(ns))} distinct runs on the envelope"
    return OptimaFit(1, cs, ns, ds, ls, PowerLaw.fit(cs, ns), PowerLaw.fit(cs, ds), skipped, note=note)


# --- uncertainty and prediction ------------------------------------------------------------


def bootstrap(groups, fit_once, n_boot: int = 100, seed: int = 0, levels=(0.8, 0.95), sizes=None) -> dict:
    """Intervals from refitting on resampled **groups** (whole models or trunks: points
    forked from one trunk are not independent, so single points are not resampled).

    ``fit_once(indices)`` fits the points at ``indices`` and returns (dict of quantities,
    converged). Intervals are percentiles over the converged refits; how many did not
    converge is reported, never hidden. Given ``sizes`` (each point's model size), a
    resample with fewer than MIN_SIZES distinct sizes cannot identify the law: it is not
    fitted, and counted as ``under_identified``, outside the intervals."""
    groups = np.asarray(groups)
    labels = np.unique(groups)
    members = {g: np.flatnonzero(groups == g) for g in labels}
    rng = np.random.default_rng(seed)
    samples, failed, under, draws = [], 0, 0, set()
    for _ in range(n_boot):
        draw = rng.choice(labels, size=len(labels), replace=True)
        idx = np.concatenate([members[g] for g in draw])
        if sizes is not None and len(np.unique(np.asarray(sizes)[idx])) < MIN_SIZES:
            under += 1
            continue
        try:
            values, ok = fit_once(idx)
        except (ValueError, np.linalg.LinAlgError):
            values, ok = None, False
        if ok and values is not None and all(np.isfinite(v) for v in values.values()):
            samples.append(values)
            draws.add(tuple(sorted(draw)))
        else:
            failed += 1
    out = {
        "n_boot": n_boot,
        "failed": failed,
        "under_identified": under,
        "used": len(samples),
        "distinct_resamples": len(draws),
        "groups": len(labels),
        "intervals": {},
    }
    notes = []
    if under:
        notes.append(
            f"{under} of {n_boot} resamples held fewer than {MIN_SIZES} distinct model sizes, which "
            "cannot identify the law: left out of the intervals"
        )
    if len(draws) == 1 and len(samples) > 1:
        # e.g. three models: the only resamples with three sizes are the original set
        notes.append(
            "every resample in the intervals is the original set of runs: the intervals have no width "
            "and measure nothing; more model sizes are needed"
        )
    if notes:
        out["note"] = "; ".join(notes)
    for key in samples[0] if samples else []:
        v = np.array([s[key] for s in samples])
        out["intervals"][key] = {
            f"{int(lv * 100)}%": [float(np.percentile(v, 50 * (1 - lv))), float(np.percentile(v, 50 * (1 + lv)))]
            for lv in levels
        }
    return out


def _errors(law, n, d, loss) -> dict:
    """How the refit ``law`` predicts held-out points, and where its search ended."""
    rel = law.predict(n, d) / loss - 1
    return {
        "mean_abs_rel_error": float(np.mean(np.abs(rel))),
        "max_abs_rel_error": float(np.max(np.abs(rel))),
        "mean_rel_error": float(np.mean(rel)),
        "refit_objective": float(law.objective),
        "refit_at_bound": list(law.at_bound),
    }


def holdout_check(n, d, loss, flops, fit_fn, fraction: float = 0.2) -> dict:
    """Fit on all but the largest-compute ``fraction`` of points, predict those: the
    relative error of an extrapolation, which is what a scaling law is for. ``fit_fn(mask)``
    fits the points where ``mask`` is true, with the same search as the main fit."""
    n, d, loss, flops = (np.asarray(v, float) for v in (n, d, loss, flops))
    cut = np.quantile(flops, 1 - fraction)
    test = flops >= cut
    if test.all() or not test.any():
        return {"n_test": 0}
    law = fit_fn(~test)
    return {
        "flops_threshold": float(cut),
        "n_train": int((~test).sum()),
        "n_test": int(test.sum()),
        **_errors(law, n[test], d[test], loss[test]),
    }


def leave_largest_out(n, d, loss, fit_fn) -> dict:
    """Fit without the largest model, predict its points: the extrapolation in N a scaling
    law is used for. Needs MIN_SIZES sizes besides the largest."""
    n, d, loss = (np.asarray(v, float) for v in (n, d, loss))
    test = n == n.max()
    if len(np.unique(n[~test])) < MIN_SIZES:
        return {"n_test": 0, "note": f"fewer than {MIN_SIZES} model sizes besides the largest"}
    law = fit_fn(~test)
    return {
        "params": float(n.max()),
        "n_train": int((~test).sum()),
        "n_test": int(test.sum()),
        **_errors(law, n[test], d[test], loss[test]),
    }
