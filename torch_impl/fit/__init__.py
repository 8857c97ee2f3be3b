"""Train an SSL loss to a certified optimum: a free embedding Z (N, K) or a linear map Z = X W.

A claim's numeric test compares a trained optimum with a closed form, so "trained" must mean
more than "ran for a while". Here it is a stated criterion, checked at the very point that is
returned:

* **certificate**: ``||g|| / max(1, |loss|) <= grad_tol``, where ``g`` is the gradient
  (criterion ``"grad-norm"``) or, for a :class:`HingeObjective`, the minimum-norm subgradient
  (criterion ``"min-norm-subgradient"``, see :func:`optimality_certificate`). Dividing by
  ``max(1, |loss|)`` makes the test relative for large losses and absolute for small ones
  (a loss near 0 at the optimum, as VICReg's on a clean views graph, still gets a meaningful
  tolerance);
* **plateau**: ``|f_i - f_{i-1}| / max(1, |f_i|) <= loss_rtol`` for each of the last
  ``loss_window`` iterations.

``max_iter`` is only a budget: exhausting it (or stalling: the iterate stops moving) without
both criteria holding gives ``converged=False``. A non-finite loss, gradient or iterate, or an
iterate whose largest entry exceeds ``diverge_threshold`` (how a loss unbounded below shows
itself) gives ``diverged=True``; a diverged fit is never reported as converged.

Non-smooth objectives. VICReg's variance hinge ``relu(1 - std_k)`` puts optima on the kink
(columns of std exactly 1), where the gradient does not vanish and plain L-BFGS stalls. An
objective declared as ``smooth(Z) + w * sum_k relu(h_k(Z))`` (:class:`HingeObjective`) is fitted
by an augmented-Lagrangian (method of multipliers) scheme on the splitting ``u = h(Z)``: the
inner problems are C^1 (each relu becomes a Huber-like piece whose slope is
``clip(lam_k + rho h_k, 0, w)``) and are solved by the chosen optimiser; the multipliers
``lam_k`` converge to ``w c_k`` with ``c_k`` in [0, 1] the kink's subgradient coefficient, so
the iterate converges to the exact kink point rather than to a smoothed neighbour.

Reaching the certificate. A line search on f cannot push ||g|| below about sqrt(eps) (the
decrease it must detect is ~||g||^2, under float64 resolution), and SSL losses have curved
manifolds of minimisers (shifts, rotations) on which L-BFGS crawls. When the loss goes flat
(or the iterate stops moving) before the certificate holds, damped saddle-free Newton steps on
the dense Hessian (problems up to 2048 parameters) take over, accepted on a decrease of the
loss while it is resolved, then of the certificate. Larger problems rely on the minimiser alone
and may report ``converged=False`` at a tight ``grad_tol``: that is the honest outcome, not a
failure of the claim.

Margin. A certificate that only just meets ``grad_tol`` makes "converged" depend on the last
digits of the arithmetic (which differ between CPU instruction sets). A restart therefore
passes through stages: the minimiser must end converged or stalled; the margin stage then
requires ``certificate <= grad_tol / margin`` (``FitOptions.margin``, 100 by default),
polishing by Newton steps when the minimiser ended short of it (for a hinge objective: on the
kinks, where the problem is smooth, with the Hessian of the Lagrangian on their tangent space);
a restart still short is continued by a fresh minimiser from where it stopped
(``continue_on_stall``), then polished again. A restart still short may be held up by float64
itself: its certificate's rounding floor (the spread of the certificate vector over the point's
float64 neighbours, :func:`~torch_impl.fit.certificates.rounding_floor`) is measured, and the
point is accepted AT that floor (``certificate <= 4 floor`` and ``<= grad_tol``) where
``floor * margin <= grad_tol`` (``FitResult.rounding_floor``; the status gives the numbers).
Otherwise it is not converged, and :class:`NotConverged` states the certificate, the tolerance
and the margin (and the floor).

Second order. A first-order certificate accepts saddle points too (VICReg's all-hinge point,
issue 12). The kept point therefore carries a curvature certificate
(:class:`Curvature`, ``FitResult.curvature``, ``FitResult.min_tangent_eig``): the smallest
eigenvalue of the Hessian (for a hinge objective: of the Lagrangian on the tangent space of the
kinks) modulo the loss's declared continuous symmetries (``FitOptions.symmetries`` or the
objective's ``symmetries``; generators in :mod:`torch_impl.fit.symmetries`), from
Hessian-vector products: a dense eigh on the projected space, Lanczos with full
reorthogonalisation beyond 2048 dimensions. Relative to the largest |eigenvalue| it must not
fall below minus the tolerance (``curvature_tol``, raised to the resolution of the point:
its certificate, and the eigenvalues its gradient lends to zero modes); a saddle is escaped
along its eigenvector and refitted (``max_escapes`` times), or the fit is not converged and
:class:`NotConverged` gives the numbers.

Starts. Restarts begin at candidate starts (``inits=[Z0, Z1, ...]``, e.g. closed-form
candidate optima, optionally perturbed by seeded noise ``init_noise``), then at seeded random
draws; the lowest final loss among the restarts that did not diverge is kept.

Modules (one job each): ``options`` (:class:`FitOptions`), ``result`` (:class:`FitResult`,
:class:`NotConverged`), ``objectives`` (:class:`HingeObjective`, :func:`vicreg_objective`,
:func:`vicreg_convention_objective`),
``certificates`` (:func:`min_norm_subgradient`, :func:`optimality_certificate`), ``run`` (the
state of one restart), ``minimise`` (the optimiser driver), ``hinge`` (the augmented
Lagrangian), ``newton`` (the Newton polisher and the local smooth model), ``curvature`` (the
second-order certificate), ``symmetries`` (tangent generators of the losses' symmetries),
``stages`` (one restart's stages, the curvature stage), ``restarts``
(:func:`restart_inits`, the best restart), ``api`` (:func:`fit_free`, :func:`fit_linear`),
``cache`` (:func:`cached_fit`). Every public function declares its arguments' constraints
with :func:`torch_impl.validation.validate_params` (``fn.constraints``, ``fn.unchecked``);
the optimiser loops call only unchecked code.
"""

from torch_impl.fit.api import fit_free, fit_linear
from torch_impl.fit.cache import cached_fit
from torch_impl.fit.certificates import min_norm_subgradient, optimality_certificate
from torch_impl.fit.curvature import Curvature
from torch_impl.fit.objectives import (
    HingeObjective,
    vicreg_convention_objective,
    vicreg_objective,
)
from torch_impl.fit.options import FitOptions
from torch_impl.fit.restarts import restart_inits
from torch_impl.fit.result import FitResult, NotConverged

__all__ = [
    "Curvature",
    "FitOptions",
    "FitResult",
    "NotConverged",
    "HingeObjective",
    "fit_free",
    "fit_linear",
    "restart_inits",
    "min_norm_subgradient",
    "optimality_certificate",
    "vicreg_objective",
    "vicreg_convention_objective",
    "cached_fit",
]
