"""The linear-systems view of an RNN: ``h_t = A h_{t-1} + B x_t``, ``y_t = C h_t``.

* :mod:`~rnnsym.linear.system` -- :class:`LinearRNN`, :func:`as_system` (the
  one ``(A, B, C)`` validator), :func:`numeric_system` and :func:`linearize`;
* :mod:`~rnnsym.linear.modes` -- eigenmodes and the nonlinear coupling;
* :mod:`~rnnsym.linear.normality` -- normality and transient growth;
* :mod:`~rnnsym.linear.filtering` -- frequency response, noise and the SNR;
* :mod:`~rnnsym.linear.rank` -- exact ranks (with the parameter values where
  they drop), numeric ranks, Krylov matrices;
* :mod:`~rnnsym.linear.controllability` -- Hautus/PBH decisions, Gramians,
  subspaces, steering and reconstruction.

The SNR's symbols (``X``, ``SIGMA``, ``OMEGA``, ...) stay in
:mod:`rnnsym.linear.filtering`.
"""

from rnnsym.linear.system import LinearRNN as LinearRNN
from rnnsym.linear.system import linearize as linearize
from rnnsym.linear.system import as_system as as_system
from rnnsym.linear.system import numeric_system as numeric_system
from rnnsym.linear.system import krylov_terms as krylov_terms
from rnnsym.linear.system import MAX_KRYLOV_TERMS as MAX_KRYLOV_TERMS
from rnnsym.linear.modes import Mode as Mode
from rnnsym.linear.modes import ModeDecomposition as ModeDecomposition
from rnnsym.linear.modes import coupling_matrix as coupling_matrix
from rnnsym.linear.modes import coupling_strength as coupling_strength
from rnnsym.linear.modes import coupling_versus_amplitude as coupling_versus_amplitude
from rnnsym.linear.modes import MAX_SYMBOLIC_MODES as MAX_SYMBOLIC_MODES
from rnnsym.linear.modes import MAX_ROOT_DEGREE as MAX_ROOT_DEGREE
from rnnsym.linear.modes import MAX_SYMBOLIC_COUPLING as MAX_SYMBOLIC_COUPLING
from rnnsym.linear.normality import normality_defect as normality_defect
from rnnsym.linear.normality import is_normal as is_normal
from rnnsym.linear.normality import MAX_SIMPLIFY_OPS as MAX_SIMPLIFY_OPS
from rnnsym.linear.normality import MAX_NORMALITY_SYMBOLS as MAX_NORMALITY_SYMBOLS
from rnnsym.linear.normality import TransientGrowth as TransientGrowth
from rnnsym.linear.normality import transient_growth as transient_growth
from rnnsym.linear.normality import jordan_matrix as jordan_matrix
from rnnsym.linear.normality import jordan_power as jordan_power
from rnnsym.linear.normality import jordan_power_norm as jordan_power_norm
from rnnsym.linear.normality import jordan_peak_lag as jordan_peak_lag
from rnnsym.linear.normality import jordan_transient_peak as jordan_transient_peak
from rnnsym.linear.rank import RankDrop as RankDrop
from rnnsym.linear.rank import ExactRank as ExactRank
from rnnsym.linear.rank import NumericRank as NumericRank
from rnnsym.linear.rank import exact_rank as exact_rank
from rnnsym.linear.rank import symbolic_rank_limit as symbolic_rank_limit
from rnnsym.linear.rank import numeric_rank as numeric_rank
from rnnsym.linear.rank import controllability_rank as controllability_rank
from rnnsym.linear.rank import observability_rank as observability_rank
from rnnsym.linear.rank import krylov_matrix as krylov_matrix
from rnnsym.linear.controllability import Decision as Decision
from rnnsym.linear.controllability import is_controllable as is_controllable
from rnnsym.linear.controllability import is_observable as is_observable
from rnnsym.linear.controllability import pbh_test as pbh_test
from rnnsym.linear.controllability import controllability_gramian as controllability_gramian
from rnnsym.linear.controllability import observability_gramian as observability_gramian
from rnnsym.linear.controllability import reachable_subspace as reachable_subspace
from rnnsym.linear.controllability import unobservable_subspace as unobservable_subspace
from rnnsym.linear.controllability import minimum_energy_input as minimum_energy_input
from rnnsym.linear.controllability import reconstruct_initial_state as reconstruct_initial_state
from rnnsym.linear.filtering import linear_system as linear_system
from rnnsym.linear.filtering import transfer_function as transfer_function
from rnnsym.linear.filtering import frequency_response as frequency_response
from rnnsym.linear.filtering import power_gain as power_gain
from rnnsym.linear.filtering import cos_polynomial as cos_polynomial
from rnnsym.linear.filtering import TimeAverage as TimeAverage
from rnnsym.linear.filtering import time_average_power as time_average_power
from rnnsym.linear.filtering import geometric_noise_variance as geometric_noise_variance
from rnnsym.linear.filtering import parseval_noise_variance as parseval_noise_variance
from rnnsym.linear.filtering import lyapunov_noise_variance as lyapunov_noise_variance
from rnnsym.linear.filtering import snr_expression as snr_expression
from rnnsym.linear.filtering import band_pass_filter as band_pass_filter
from rnnsym.linear.filtering import critical_cosines as critical_cosines
from rnnsym.linear.filtering import stable_form as stable_form
from rnnsym.linear.filtering import snr_numeric as snr_numeric
from rnnsym.linear.filtering import noise_variance_numeric as noise_variance_numeric
from rnnsym.linear.filtering import MAX_TRANSFER_SYMBOLS as MAX_TRANSFER_SYMBOLS
from rnnsym.linear.filtering import MAX_LYAPUNOV_SIZE as MAX_LYAPUNOV_SIZE
from rnnsym.linear.filtering import MAX_PARSEVAL_DEGREE as MAX_PARSEVAL_DEGREE
from rnnsym.linear.rank import distance_to_uncontrollability as distance_to_uncontrollability

__all__ = [
    "distance_to_uncontrollability",
    "LinearRNN", "linearize", "as_system", "numeric_system", "krylov_terms", "MAX_KRYLOV_TERMS", "Mode", "ModeDecomposition",
    "coupling_matrix", "coupling_strength", "coupling_versus_amplitude", "MAX_SYMBOLIC_MODES",
    "MAX_ROOT_DEGREE", "MAX_SYMBOLIC_COUPLING", "normality_defect", "is_normal", "MAX_SIMPLIFY_OPS", "MAX_NORMALITY_SYMBOLS",
    "TransientGrowth", "transient_growth", "jordan_matrix", "jordan_power", "jordan_power_norm", "jordan_peak_lag",
    "jordan_transient_peak", "RankDrop", "ExactRank", "NumericRank", "Decision", "exact_rank",
    "symbolic_rank_limit", "numeric_rank", "controllability_rank", "observability_rank", "krylov_matrix", "is_controllable",
    "is_observable", "pbh_test", "controllability_gramian", "observability_gramian", "reachable_subspace", "unobservable_subspace",
    "minimum_energy_input", "reconstruct_initial_state", "linear_system", "transfer_function", "frequency_response", "power_gain",
    "cos_polynomial", "TimeAverage", "time_average_power", "geometric_noise_variance", "parseval_noise_variance", "lyapunov_noise_variance",
    "snr_expression", "band_pass_filter", "critical_cosines", "stable_form", "snr_numeric", "noise_variance_numeric",
    "MAX_TRANSFER_SYMBOLS", "MAX_LYAPUNOV_SIZE", "MAX_PARSEVAL_DEGREE",
]
