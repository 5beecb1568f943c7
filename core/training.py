"""Train a :class:`core.networks.Network` and record how every layer learns (or fails to).

:func:`train` runs plain SGD, SGD with momentum or Adam, with optional clipping of the global
gradient norm, and returns a :class:`History`: per recorded step the loss, the accuracy, the
gradient norm and the update:weight ratio of every layer, and (at a lower cadence) the number of
distinct neurons of every hidden layer. A run whose loss, gradient or parameters turn non-finite
stops there and says at which step (``History.diverged_at``); nothing raises and nothing warns.

References
----------
Rumelhart, D. E., Hinton, G. E. & Williams, R. J. (1986). Learning representations by
back-propagating errors. Nature 323.
Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration methods.
USSR Computational Mathematics and Mathematical Physics 4(5) (heavy-ball momentum).
Kingma, D. P. & Ba, J. (2014). Adam: A Method for Stochastic Optimization. arXiv:1412.6980.
Pascanu, R., Mikolov, T. & Bengio, Y. (2013). On the difficulty of training recurrent neural
networks. arXiv:1211.5063 (gradient-norm clipping).
Karpathy, A. (2016). CS231n notes, "Babysitting the learning process" (the update:weight ratio,
about 1e-3 being healthy).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Literal, get_args

import numpy as np

from core import networks, symmetry
from core._checks import check_int, check_positive
from core.networks import Network

Optimizer = Literal["sgd", "momentum", "adam"]
LossName = Literal["mse", "cross_entropy"]

OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)
"""Names accepted by ``train(optimizer=...)``."""

MAX_STEPS: int = 20000
"""Largest number of optimisation steps of one :func:`train` call."""

PROGRESS_CALLS: int = 100
"""``callback`` is called at most this many times during a run, plus once at its end."""

DEFAULT_SYMMETRY_POINTS: int = 60
"""With ``symmetry_every=None`` distinct neurons are counted about this many times per run."""

SYMMETRY_ATOL: float = 1e-6
"""Default tolerance of :func:`core.symmetry.distinct_neurons` used by :func:`train`."""


@dataclass(frozen=True, eq=False)
class History:
    """What :func:`train` recorded. Arrays are read-only; one row per recorded step.

    Step ``t`` (0-based) evaluates the loss and gradients of the parameters *before* update
    ``t``, on that step's batch (the whole data set when ``batch_size`` is None), then applies
    update ``t``. Rows are recorded at the steps ``t`` with ``t % record_every == 0``, at the
    last step run, and at the step that diverged.

    Attributes
    ----------
    step : ndarray of int64, shape (R,)
        Step index of each row.
    loss : ndarray of float64, shape (R,)
        Batch-mean loss before the update (non-finite only in the row of ``diverged_at``).
    accuracy : ndarray of float64, shape (R,)
        Fraction of the batch classified correctly (argmax of the logits) for
        ``loss="cross_entropy"``; all NaN for regression (``loss="mse"``).
    grad_norm : ndarray of float64, shape (R, L)
        Frobenius norm of the gradient of each layer's weights (``w``, or ``w_xh`` and ``w_hh``
        together; biases excluded), before clipping. ``L = len(net.params)``, output layer last.
    update_ratio : ndarray of float64, shape (R, L)
        ``||Delta W|| / ||W||`` per layer: the norm of the update applied to the layer's weights
        (learning rate, momentum / Adam and clipping included) over the norm of the weights
        before it. NaN where ``||W|| = 0`` (e.g. zero init) and in a row whose update was not
        applied (the diverged row, when the loss or gradient was already non-finite).
    symmetry_step : ndarray of int64, shape (S,)
        Steps at which distinct neurons were counted: every ``symmetry_every`` steps (on the
        parameters before that step's update) plus, last, ``steps_run`` (the parameters the run
        ended with).
    distinct_neurons : ndarray of int64, shape (S, H)
        :func:`core.symmetry.distinct_neurons` of every hidden layer's weight
        (``net.hidden_weights()``, ``H`` of them), tolerance ``symmetry_atol``.
    diverged_at : int or None
        First step whose loss or gradient was non-finite, or whose update would have made a
        parameter non-finite; the run stopped there. None when the run completed.
    steps_run : int
        Number of updates applied (``total_steps`` unless the run diverged).
    total_steps : int
        The ``steps`` requested.
    n_clipped : int
        Number of updates whose gradient was rescaled by ``clip``.
    final_loss : float
        Loss of the final parameters on the whole ``(x, y)`` (NaN in progress snapshots).
    final_accuracy : float
        Accuracy of the final parameters on the whole ``(x, y)``; NaN for regression and in
        progress snapshots.
    layer_names : tuple of str
        Column labels of ``grad_norm`` / ``update_ratio`` (length ``L``).
    hidden_names : tuple of str
        Column labels of ``distinct_neurons`` (length ``H``).
    """

    step: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    grad_norm: np.ndarray
    update_ratio: np.ndarray
    symmetry_step: np.ndarray
    distinct_neurons: np.ndarray
    diverged_at: int | None
    steps_run: int
    total_steps: int
    n_clipped: int
    final_loss: float
    final_accuracy: float
    layer_names: tuple[str, ...]
    hidden_names: tuple[str, ...]

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    def __eq__(self, other: object) -> bool:
        """Field-by-field equality; arrays compared exactly, NaN equal to NaN."""
        if not isinstance(other, History):
            return NotImplemented
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray):
                if not isinstance(b, np.ndarray) or a.shape != b.shape:
                    return False
                if not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                    return False
            elif isinstance(a, float) and isinstance(b, float):
                if not (a == b or (math.isnan(a) and math.isnan(b))):
                    return False
            elif a != b:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    @property
    def diverged(self) -> bool:
        """True when the run stopped at a non-finite loss, gradient or parameter."""
        return self.diverged_at is not None

    @property
    def collapsed_at(self) -> int | None:
        """First recorded step from which no hidden layer gets any gradient, or None.

        A run *collapses* when, after its hidden layers did learn, every hidden weight
        gradient is exactly 0 in every recorded row to the end (at least two rows): typically
        a ReLU net whose huge update killed every unit (each outputs 0 on every input), after
        which the loss sits at the class-prior value (ln 2 for two balanced classes) although
        nothing overflowed, so :attr:`diverged_at` is None. A net whose hidden gradients were
        zero from the start (zero init: symmetry, not collapse) never counts as collapsed.
        """
        hidden = self.grad_norm[:, :-1]
        if hidden.shape[1] == 0 or len(hidden) < 2:
            return None
        learning = np.any(hidden != 0, axis=1)
        if not learning.any() or learning[-1] or learning[-2]:
            return None
        start = int(np.flatnonzero(learning)[-1]) + 1
        return int(self.step[start])

    @property
    def peak_loss(self) -> float:
        """Largest finite recorded loss (NaN when none is finite): the spike before a collapse."""
        finite = self.loss[np.isfinite(self.loss)]
        return float(finite.max()) if finite.size else math.nan


Callback = Callable[[int, int, History], None]


def layer_names(net: Network) -> tuple[str, ...]:
    """Labels of the layers of ``net`` (input -> output), as used for History columns.

    Parameters
    ----------
    net : Network

    Returns
    -------
    tuple of str
        mlp / cnn / rnn: ``"layer 1" ... "layer D", "output"``; resmlp: ``"input",
        "block 1" ... "block D", "output"``.
    """
    n_hidden = len(net.params) - 1
    if net.kind == "resmlp":
        hidden = ["input"] + [f"block {i}" for i in range(1, n_hidden)]
    else:
        hidden = [f"layer {i}" for i in range(1, n_hidden + 1)]
    return (*hidden, "output")


def _norm(a: np.ndarray) -> float:
    """Frobenius norm that neither overflows for huge finite entries nor warns."""
    flat = a.reshape(-1)
    s = float(np.dot(flat, flat))
    if math.isfinite(s):
        return math.sqrt(s)
    if not np.all(np.isfinite(flat)):
        return math.inf if not np.any(np.isnan(flat)) else math.nan
    m = float(np.max(np.abs(flat)))
    scaled = flat / m
    return m * math.sqrt(float(np.dot(scaled, scaled)))


def _weight_keys(p: dict[str, np.ndarray]) -> list[str]:
    return [k for k in p if k.startswith("w")]


def train(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    loss: LossName,
    optimizer: Optimizer = "sgd",
    lr: float,
    steps: int,
    batch_size: int | None = None,
    clip: float | None = None,
    seed: int = 0,
    callback: Callback | None = None,
    record_every: int = 1,
    symmetry_every: int | None = None,
    symmetry_atol: float = SYMMETRY_ATOL,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> History:
    """Train ``net`` on ``(x, y)`` in place and record every layer's learning.

    Updates, with ``g`` the (clipped) gradient of the batch-mean loss and ``t`` counted from 1:

    - ``sgd``: ``W <- W - lr g``;
    - ``momentum`` (heavy ball, PyTorch's form): ``v <- momentum v + g``, ``W <- W - lr v``;
    - ``adam``: ``m <- b1 m + (1 - b1) g``, ``s <- b2 s + (1 - b2) g^2``,
      ``W <- W - lr (m / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)``.

    Clipping (Pascanu et al. 2013): when the global norm ``||g||`` over all parameters exceeds
    ``clip``, every gradient is multiplied by ``clip / ||g||``.

    Mini-batches: a ``numpy.random.Generator`` seeded with ``seed`` shuffles the data each epoch
    and the batches are consecutive slices of that permutation (sampling without replacement);
    ``batch_size=None`` (or ``>= len(x)``) uses the whole data set every step and draws nothing.
    The same arguments and the same initial ``net`` give an identical :class:`History`.

    ``net.params`` is **mutated in place** (pass ``net.copy()`` to keep the original). A run
    stops at the first non-finite loss or gradient, or at an update that would make a parameter
    non-finite; that update is not applied, so ``net.params`` always holds the last finite
    parameters. All arithmetic runs under ``np.errstate(all="ignore")``: divergence is reported in
    ``History.diverged_at``, never raised or warned.

    Cost: one forward and one backward pass per step plus O(parameters) bookkeeping. Counting
    distinct neurons is O(width^2) per hidden layer, so by default it runs only about
    ``DEFAULT_SYMMETRY_POINTS`` times per run, at steps fixed by ``steps`` alone (deterministic).

    Parameters
    ----------
    net : Network
        The network to train (modified in place).
    x : ndarray, shape (N, *net.input_shape)
        Inputs.
    y : ndarray
        ``(N,)`` integer labels for ``cross_entropy``; ``(N, net.n_outputs)`` float targets for
        ``mse``.
    loss : {"mse", "cross_entropy"}
        Batch-mean loss (see :func:`core.networks.loss_and_output_grad`).
    optimizer : {"sgd", "momentum", "adam"}
        Update rule.
    lr : float
        Learning rate, > 0.
    steps : int
        Number of updates, ``1 <= steps <= MAX_STEPS``.
    batch_size : int, optional
        Mini-batch size; None for full batch.
    clip : float, optional
        Maximum global gradient norm; None for no clipping.
    seed : int
        Seed of the mini-batch generator.
    callback : callable, optional
        ``callback(step, total, history)`` after every
        ``max(1, ceil(steps / PROGRESS_CALLS))``-th update and once when the run ends (then
        with the returned History). ``step`` is the number of updates applied so far,
        ``total = steps`` and ``history`` a :class:`History` snapshot of the rows so far (with
        NaN ``final_*``). An exception raised by the callback propagates (use it to cancel).
    record_every : int
        Record one row every this many steps (the last step and a diverged step always).
    symmetry_every : int, optional
        Count distinct neurons every this many steps; None means
        ``max(1, ceil(steps / DEFAULT_SYMMETRY_POINTS))``.
    symmetry_atol : float
        Tolerance of :func:`core.symmetry.distinct_neurons`.
    momentum : float
        Momentum coefficient in ``[0, 1)`` (``optimizer="momentum"``).
    betas : tuple of float
        Adam's ``(b1, b2)``, each in ``[0, 1)``.
    eps : float
        Adam's denominator offset, > 0.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        Unknown loss or optimizer, non-positive ``lr``/``clip``/``eps``, ``steps`` outside
        ``[1, MAX_STEPS]``, bad ``batch_size``/``record_every``/``symmetry_every``, momentum or
        betas outside ``[0, 1)``, ``x`` and ``y`` of different lengths, or shapes that do not fit
        ``net`` (raised by :mod:`core.networks`).

    References
    ----------
    Kingma & Ba (2014). Adam: A Method for Stochastic Optimization. arXiv:1412.6980.
    Pascanu, Mikolov & Bengio (2013). On the difficulty of training recurrent neural networks.
    arXiv:1211.5063.
    """
    opts = _options(
        loss=loss,
        optimizer=optimizer,
        lr=lr,
        steps=steps,
        batch_size=batch_size,
        clip=clip,
        seed=seed,
        record_every=record_every,
        symmetry_every=symmetry_every,
        symmetry_atol=symmetry_atol,
        momentum=momentum,
        betas=betas,
        eps=eps,
    )
    history, _ = _run(net, x, y, opts, None, opts.steps, callback)
    return history


@dataclass(frozen=True)
class _Options:
    """Validated arguments of one run (shared by :func:`train` and :func:`train_chunk`)."""

    loss: str
    optimizer: str
    lr: float
    steps: int
    batch_size: int | None
    clip: float | None
    seed: int
    record_every: int
    symmetry_every: int
    symmetry_atol: float
    momentum: float
    b1: float
    b2: float
    eps: float


def _options(
    *,
    loss: str,
    optimizer: str,
    lr: float,
    steps: int,
    batch_size: int | None,
    clip: float | None,
    seed: int,
    record_every: int,
    symmetry_every: int | None,
    symmetry_atol: float,
    momentum: float,
    betas: tuple[float, float],
    eps: float,
) -> _Options:
    if loss not in networks.LOSSES:
        raise ValueError(f"unknown loss {loss!r}; valid losses: {', '.join(networks.LOSSES)}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {optimizer!r}; valid optimizers: {', '.join(OPTIMIZERS)}"
        )
    lr = check_positive("lr", lr)
    steps = check_int("steps", steps, 1, MAX_STEPS)
    record_every = check_int("record_every", record_every, 1, MAX_STEPS)
    if symmetry_every is None:
        symmetry_every = max(1, math.ceil(steps / DEFAULT_SYMMETRY_POINTS))
    symmetry_every = check_int("symmetry_every", symmetry_every, 1, MAX_STEPS)
    symmetry_atol = check_positive("symmetry_atol", symmetry_atol, allow_zero=True)
    clip_value = None if clip is None else check_positive("clip", clip)
    eps = check_positive("eps", eps)
    mu = check_positive("momentum", momentum, allow_zero=True)
    b1, b2 = (check_positive("betas", b, allow_zero=True) for b in betas)
    if mu >= 1 or b1 >= 1 or b2 >= 1:
        raise ValueError(f"momentum and betas must lie in [0, 1), got {momentum}, {betas}")
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, 10**9)
    return _Options(
        loss,
        optimizer,
        lr,
        steps,
        batch_size,
        clip_value,
        seed,
        record_every,
        symmetry_every,
        symmetry_atol,
        mu,
        b1,
        b2,
        eps,
    )


@dataclass(frozen=True, eq=False)
class TrainState:
    """Where a paused run stands: everything :func:`train_chunk` needs to continue it exactly.

    Small and plain (NumPy arrays, ints, a dict), so it pickles cheaply.

    Attributes
    ----------
    step : int
        The next step to run (``total_steps`` once the run is over).
    params : tuple of dict of ndarray
        The network's parameters after ``step`` updates (the last finite ones after a
        divergence).
    velocity : tuple of dict of ndarray
        Momentum buffer (``momentum``) or Adam's first moment; zeros for SGD.
    second : tuple of dict of ndarray or None
        Adam's second moment; None for the other optimizers.
    rng_state : dict or None
        ``bit_generator.state`` of the mini-batch Generator; None for full batch.
    perm : ndarray of int64
        The current epoch's permutation of the samples.
    cursor : int
        Position of the next mini-batch in ``perm``.
    n_clipped, steps_run : int
        Counters so far (as in :class:`History`).
    diverged_at : int or None
    done : bool
        True when the run completed or diverged (nothing left to train).
    """

    step: int
    params: tuple[dict[str, np.ndarray], ...]
    velocity: tuple[dict[str, np.ndarray], ...]
    second: tuple[dict[str, np.ndarray], ...] | None
    rng_state: dict | None
    perm: np.ndarray
    cursor: int
    n_clipped: int
    steps_run: int
    diverged_at: int | None
    done: bool


def train_chunk(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    loss: LossName,
    optimizer: Optimizer = "sgd",
    lr: float,
    steps: int,
    until: int,
    state: TrainState | None = None,
    batch_size: int | None = None,
    clip: float | None = None,
    seed: int = 0,
    record_every: int = 1,
    symmetry_every: int | None = None,
    symmetry_atol: float = SYMMETRY_ATOL,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> tuple[History, TrainState]:
    """Run steps ``state.step`` (0 without a state) up to ``until`` of a :func:`train` run.

    A run of ``steps`` steps cut into chunks (``until`` = 25, 50, ..., ``steps``, each call
    given the previous call's state) records exactly what one :func:`train` call with the
    same arguments records: :func:`join_histories` of the parts equals its History, bit for
    bit, and the network ends with the same parameters.

    Parameters
    ----------
    net : Network
        The network; with ``state`` its parameters are first replaced by copies of
        ``state.params``. Modified in place.
    x, y, loss, optimizer, lr, batch_size, clip, seed, record_every, symmetry_every
        As in :func:`train`, the same for every chunk of a run (so are ``symmetry_atol``,
        ``momentum``, ``betas`` and ``eps``).
    steps : int
        Length of the whole run (it decides which steps are recorded).
    until : int
        Run the steps before this one (clipped to ``steps``).
    state : TrainState, optional
        The previous chunk's state; None starts the run.

    Returns
    -------
    part : History
        The rows recorded in this chunk (``step``, ``loss``, ...) and the distinct-neuron
        counts taken in it; counters (``steps_run``, ``n_clipped``, ``diverged_at``) are
        those of the whole run so far. ``final_loss`` / ``final_accuracy`` are set only in
        the part that ends the run (NaN otherwise).
    state : TrainState
        Where the run stands now (``done`` when it completed or diverged).

    Raises
    ------
    ValueError
        As :func:`train`, or ``until`` not above ``state.step``.
    """
    opts = _options(
        loss=loss,
        optimizer=optimizer,
        lr=lr,
        steps=steps,
        batch_size=batch_size,
        clip=clip,
        seed=seed,
        record_every=record_every,
        symmetry_every=symmetry_every,
        symmetry_atol=symmetry_atol,
        momentum=momentum,
        betas=betas,
        eps=eps,
    )
    first = 0 if state is None else state.step
    until = min(int(until), opts.steps)
    if state is not None and state.done:
        raise ValueError("the run is already over (state.done)")
    if until <= first:
        raise ValueError(f"until must be above the state's step {first}, got {until}")
    return _run(net, x, y, opts, state, until, None)


def join_histories(parts: list[History] | tuple[History, ...]) -> History:
    """One History from the consecutive parts returned by :func:`train_chunk`.

    Arrays are concatenated; counters and ``final_*`` come from the last part.

    Raises
    ------
    ValueError
        When ``parts`` is empty.
    """
    if not parts:
        raise ValueError("join_histories needs at least one part")
    last = parts[-1]
    n_hidden = len(last.hidden_names)
    return History(
        step=np.concatenate([p.step for p in parts]),
        loss=np.concatenate([p.loss for p in parts]),
        accuracy=np.concatenate([p.accuracy for p in parts]),
        grad_norm=np.concatenate([p.grad_norm for p in parts]).reshape(-1, len(last.layer_names)),
        update_ratio=np.concatenate([p.update_ratio for p in parts]).reshape(
            -1, len(last.layer_names)
        ),
        symmetry_step=np.concatenate([p.symmetry_step for p in parts]).astype(np.int64),
        distinct_neurons=np.concatenate([p.distinct_neurons for p in parts])
        .astype(np.int64)
        .reshape(-1, n_hidden),
        diverged_at=last.diverged_at,
        steps_run=last.steps_run,
        total_steps=last.total_steps,
        n_clipped=last.n_clipped,
        final_loss=last.final_loss,
        final_accuracy=last.final_accuracy,
        layer_names=last.layer_names,
        hidden_names=last.hidden_names,
    )


def _copy_params(params: list[dict[str, np.ndarray]] | tuple) -> tuple[dict[str, np.ndarray], ...]:
    return tuple({k: v.copy() for k, v in p.items()} for p in params)


def _run(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    opts: _Options,
    state: TrainState | None,
    until: int,
    callback: Callback | None,
) -> tuple[History, TrainState]:
    """The training loop of :func:`train` and :func:`train_chunk`: steps ``state.step..until``."""
    steps = opts.steps
    loss = opts.loss
    optimizer = opts.optimizer
    lr = opts.lr
    clip_value = opts.clip
    record_every = opts.record_every
    symmetry_every = opts.symmetry_every
    symmetry_atol = opts.symmetry_atol
    mu, b1, b2, eps = opts.momentum, opts.b1, opts.b2, opts.eps
    batch_size = opts.batch_size
    x = np.asarray(x)
    y = np.asarray(y)
    n = x.shape[0] if x.ndim else 0
    if x.ndim == 0 or y.ndim == 0 or y.shape[0] != n or n < 1:
        raise ValueError(
            f"x and y must hold the same positive number of samples, got {x.shape} and {y.shape}"
        )
    x = np.ascontiguousarray(x, dtype=np.float64)
    full_batch = batch_size is None or batch_size >= n
    rng = None if full_batch else np.random.default_rng(opts.seed)
    classification = loss == "cross_entropy"

    # ---- storage --------------------------------------------------------------------------
    if state is not None:
        for p, saved in zip(net.params, state.params, strict=True):
            p.clear()
            p.update({k: v.copy() for k, v in saved.items()})
    params = net.params
    n_layers = len(params)
    wkeys = [_weight_keys(p) for p in params]
    names = layer_names(net)
    hidden_names = names[:-1]
    first = 0 if state is None else state.step
    max_rows = (until - 1) // record_every - (first - 1) // record_every + 2
    rec_step = np.zeros(max_rows, dtype=np.int64)
    rec_loss = np.zeros(max_rows)
    rec_acc = np.full(max_rows, np.nan)
    rec_gnorm = np.zeros((max_rows, n_layers))
    rec_ratio = np.full((max_rows, n_layers), np.nan)
    sym_step: list[int] = []
    sym_counts: list[list[int]] = []
    rows = 0
    n_clipped = 0 if state is None else state.n_clipped
    steps_run = 0 if state is None else state.steps_run
    diverged_at: int | None = None
    progress_every = max(1, math.ceil(steps / PROGRESS_CALLS))

    if state is None:
        state_v = [{k: np.zeros_like(v) for k, v in p.items()} for p in params]
        state_s = (
            [{k: np.zeros_like(v) for k, v in p.items()} for p in params]
            if optimizer == "adam"
            else None
        )
        perm = np.arange(n)
        cursor = n  # forces a fresh permutation at the first mini-batch step
    else:
        state_v = list(_copy_params(state.velocity))
        state_s = None if state.second is None else list(_copy_params(state.second))
        if rng is not None and state.rng_state is not None:
            rng.bit_generator.state = state.rng_state
        perm = state.perm.copy()
        cursor = state.cursor

    def snapshot(final_loss: float = math.nan, final_acc: float = math.nan) -> History:
        return History(
            step=rec_step[:rows].copy(),
            loss=rec_loss[:rows].copy(),
            accuracy=rec_acc[:rows].copy(),
            grad_norm=rec_gnorm[:rows].copy(),
            update_ratio=rec_ratio[:rows].copy(),
            symmetry_step=np.array(sym_step, dtype=np.int64),
            distinct_neurons=np.array(sym_counts, dtype=np.int64).reshape(
                len(sym_step), len(hidden_names)
            ),
            diverged_at=diverged_at,
            steps_run=steps_run,
            total_steps=steps,
            n_clipped=n_clipped,
            final_loss=final_loss,
            final_accuracy=final_acc,
            layer_names=names,
            hidden_names=hidden_names,
        )

    with np.errstate(all="ignore"):
        for t in range(first, until):
            # ---- batch ------------------------------------------------------------------
            if full_batch:
                xb, yb = x, y
            else:
                assert rng is not None
                assert batch_size is not None
                if cursor + batch_size > n:
                    perm = rng.permutation(n)
                    cursor = 0
                idx = perm[cursor : cursor + batch_size]
                cursor += batch_size
                xb, yb = x[idx], y[idx]

            if t % symmetry_every == 0:
                sym_step.append(t)
                sym_counts.append(symmetry.summarize(net, symmetry_atol).tolist())

            # ---- loss and gradients -----------------------------------------------------
            trace = net.forward(xb)
            value, dout = networks.loss_and_output_grad(trace.output, yb, loss)
            grads, _ = net.backward(trace, dout, need_input_grad=False)
            # Norms are combined with math.hypot, which neither overflows nor raises for huge
            # finite values (a Python float ** 2 would raise OverflowError).
            gnorm = np.empty(n_layers)
            other: list[float] = []
            for i, (g, keys) in enumerate(zip(grads, wkeys, strict=True)):
                gnorm[i] = math.hypot(*(_norm(g[k]) for k in keys))
                other.extend(_norm(a) for k, a in g.items() if k not in keys)
            total = math.hypot(*gnorm.tolist(), *other)
            record = t % record_every == 0 or t == steps - 1
            ratio = np.full(n_layers, np.nan)

            if not (math.isfinite(value) and math.isfinite(total)):
                diverged_at = t
                record = True
            else:
                scale = 1.0
                if clip_value is not None and total > clip_value:
                    scale = clip_value / total
                    n_clipped += 1
                # ---- optimizer step (computed aside, committed only if finite) ----------
                new_params: list[dict[str, np.ndarray]] = []
                finite = True
                for i, (p, g) in enumerate(zip(params, grads, strict=True)):
                    new_p: dict[str, np.ndarray] = {}
                    upd_norms: list[float] = []
                    w_norms: list[float] = []
                    for k, w in p.items():
                        gk = g[k] * scale if scale != 1.0 else g[k]
                        if optimizer == "sgd":
                            update = lr * gk
                        elif optimizer == "momentum":
                            v = state_v[i][k]
                            v *= mu
                            v += gk
                            update = lr * v
                        else:
                            assert state_s is not None
                            m, s = state_v[i][k], state_s[i][k]
                            m *= b1
                            m += (1.0 - b1) * gk
                            s *= b2
                            s += (1.0 - b2) * (gk * gk)
                            m_hat = m / (1.0 - b1 ** (t + 1))
                            s_hat = s / (1.0 - b2 ** (t + 1))
                            update = lr * m_hat / (np.sqrt(s_hat) + eps)
                        new_w = w - update
                        if not np.all(np.isfinite(new_w)):
                            finite = False
                        if k in wkeys[i]:
                            upd_norms.append(_norm(update))
                            w_norms.append(_norm(w))
                        new_p[k] = new_w
                    new_params.append(new_p)
                    w_norm = math.hypot(*w_norms)
                    if w_norm > 0:
                        ratio[i] = math.hypot(*upd_norms) / w_norm
                if finite:
                    for p, new_p in zip(params, new_params, strict=True):
                        p.update(new_p)
                    steps_run = t + 1
                else:
                    diverged_at = t
                    record = True

            if record:
                rec_step[rows] = t
                rec_loss[rows] = value
                if classification:
                    rec_acc[rows] = float(np.mean(np.argmax(trace.output, axis=1) == yb))
                rec_gnorm[rows] = gnorm
                rec_ratio[rows] = ratio
                rows += 1

            if diverged_at is not None:
                break
            if callback is not None and (t + 1) % progress_every == 0 and t + 1 < steps:
                callback(t + 1, steps, snapshot())

        # ---- the end state ----------------------------------------------------------------
        done = diverged_at is not None or until >= steps
        if done:
            if not sym_step or sym_step[-1] != steps_run:  # a diverged step was already counted
                sym_step.append(steps_run)
                sym_counts.append(symmetry.summarize(net, symmetry_atol).tolist())
            out = _predict(net, x)
            final_loss = float(networks.loss_value(out, y, loss))
            final_acc = float(np.mean(np.argmax(out, axis=1) == y)) if classification else math.nan
        else:
            final_loss = final_acc = math.nan
    history = snapshot(final_loss, final_acc)
    end = TrainState(
        step=steps if done else until,
        params=_copy_params(params),
        velocity=_copy_params(state_v),
        second=None if state_s is None else _copy_params(state_s),
        rng_state=None if rng is None else rng.bit_generator.state,
        perm=perm.copy(),
        cursor=cursor,
        n_clipped=n_clipped,
        steps_run=steps_run,
        diverged_at=diverged_at,
        done=done,
    )
    if callback is not None and done:
        callback(steps_run, steps, history)
    return history, end


def _predict(net: Network, x: np.ndarray) -> np.ndarray:
    """``net.predict`` in chunks small enough for the network's trace limit."""
    chunk = max(1, networks.MAX_TRACE_ELEMENTS // max(1, net.trace_elements(1)))
    if x.shape[0] <= chunk:
        return net.predict(x)
    return np.concatenate([net.predict(x[i : i + chunk]) for i in range(0, x.shape[0], chunk)])
