"""Small, fast NumPy networks that record every layer: MLP, CNN, RNN and residual MLP.

The networks exist to *show* what an initialization does: every forward pass returns a
:class:`Trace` holding each layer's pre-activation ``z`` and activation ``a``, and every backward
pass returns the per-layer gradients ``dL/dz`` and ``dL/da`` next to the parameter gradients.

Layout (Keras/JAX convention, used everywhere in ``core``): inputs on axis -2, outputs on axis -1.

* dense weight ``w`` of shape ``(fan_in, fan_out)``, used as ``x @ w`` on ``x`` of shape
  ``(N, fan_in)``; bias ``b`` of shape ``(fan_out,)``;
* conv kernel ``w`` of shape ``(kh, kw, c_in, c_out)`` on channels-last images ``(N, H, W, C)``,
  stride 1, zero 'same' padding (odd kernels), computed by vectorised im2col;
* recurrent layer ``w_xh`` of shape ``(d_in, hidden)``, ``w_hh`` of shape ``(hidden, hidden)``,
  ``h_t = f(x_t w_xh + h_{t-1} w_hh + b)`` with ``h_{-1} = 0``.

Every layer is computed by :mod:`core.layers` (CS231n pattern: ``*_forward(...) -> (out,
cache)`` and ``*_backward(dout, cache) -> (dx, dw, ...)``, never mutating the incoming gradient);
the layer pairs (``dense_forward``, ``conv_backward``, ...) are re-exported from here.

All computation is float64. Overflow is never raised or warned about: every numeric section runs
under ``np.errstate(all="ignore")`` so that a mis-initialized deep network yields ``inf``/``nan``
values the caller can see and count (see :mod:`core.probe`).

Speed: a dense layer costs its three GEMMs (forward ``h W``, backward ``h^T dz`` and ``dz W^T``)
plus a few in-place element-wise passes (bias add, activation, ``dL/dz``, bias column sum).
:class:`Network` writes the per-layer arrays of a pass into one block per quantity (GEMMs with
``out=``) taken from its :class:`~core.workspace.Workspace` and reused by later calls, because
first-touch page faults of fresh multi-megabyte arrays cost about a tenth of the matrix
products (mlp, cnn and resmlp; rnn layers allocate their time-major arrays per call). A block
is handed out again only once no returned trace, gradient or view of them refers to it (see
:mod:`core.workspace`), so reuse never changes a result the caller holds, and two threads
sharing one network never write into the same block. The explorer never shares a
network between sessions anyway: its cached functions take configurations and build networks
inside (``st.cache_data`` pickles results; a pickled network carries no buffers).
``benchmarks/bench_core.py`` measures the ratio to the bare-GEMM bounds and to PyTorch eager.

Limits (``MAX_*`` constants below) are enforced with ValueError, so a request for a
10^6-unit layer fails with a clear message instead of exhausting memory.

References
----------
Karpathy, Johnson et al. (2016). CS231n: Convolutional Neural Networks for Visual Recognition,
    assignment code structure (layer forward/backward with caches).
Glorot & Bengio (2010). Understanding the difficulty of training deep feedforward neural networks.
    AISTATS.
He, Zhang, Ren, Sun (2016). Deep Residual Learning for Image Recognition. arXiv:1512.03385.
Bachlechner et al. (2020). ReZero is All You Need. arXiv:2003.04887.
Werbos (1990). Backpropagation through time: what it does and how to do it. Proc. IEEE 78(10).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

from core import layers, registry
from core._checks import check_activation, check_choice, check_int, check_real, check_rng
from core.activations import Activation

# The CS231n layer pairs live in core.layers; they stay importable from here.
from core.layers import conv_backward as conv_backward
from core.layers import conv_forward as conv_forward
from core.layers import dense_backward as dense_backward
from core.layers import dense_forward as dense_forward
from core.layers import residual_backward as residual_backward
from core.layers import residual_forward as residual_forward
from core.layers import rnn_backward as rnn_backward
from core.layers import rnn_forward as rnn_forward
from core.layers import rnn_step_backward as rnn_step_backward
from core.layers import rnn_step_forward as rnn_step_forward
from core.workspace import Workspace

Kind = Literal["mlp", "cnn", "rnn", "resmlp"]
LossName = Literal["mse", "cross_entropy"]

KINDS: tuple[str, ...] = get_args(Kind)
LOSSES: tuple[str, ...] = get_args(LossName)

#: Largest number of hidden layers (stacked recurrent layers for ``rnn``, blocks for ``resmlp``).
MAX_DEPTH: int = 500
#: Largest layer width (units, channels or hidden size) and largest ``n_outputs``.
MAX_WIDTH: int = 4096
#: Largest number of parameters of one network (2**25 float64 values = 256 MiB).
MAX_PARAMETERS: int = 2**25
#: Largest number of values per input sample (``prod(input_shape)``).
MAX_INPUT_ELEMENTS: int = 2**20
#: Largest number of time steps of an ``rnn`` input sequence.
MAX_TIME_STEPS: int = 1000
#: Largest number of values a recorded forward pass may hold (all ``z`` and ``a`` arrays together;
#: 2**26 float64 values = 512 MiB; a backward pass adds as much again for ``dL/dz`` and
#: ``dL/da``). Larger batches raise ValueError instead of exhausting memory.
MAX_TRACE_ELEMENTS: int = 2**26
#: Kernel size of the ``cnn`` layers built by :func:`build`.
CONV_KERNEL: tuple[int, int] = (3, 3)


def supported_inits(kind: Kind) -> tuple[str, ...]:
    """Initializers :func:`build` accepts for a network kind, in registry order.

    Every scheme whose shape rank fits all of the kind's weights qualifies. ``identity`` needs
    2-D weights, so it is not available for ``cnn``; ``delta_orthogonal`` is a conv-kernel
    scheme, so it is available for ``cnn`` only (its dense output layer then uses
    ``orthogonal`` with the same parameters, the dense analogue).

    Parameters
    ----------
    kind : {"mlp", "cnn", "rnn", "resmlp"}

    Returns
    -------
    tuple of str
    """
    kind = _check_kind(kind)  # type: ignore[assignment]
    hidden_rank = 4 if kind == "cnn" else 2
    out = []
    for name, spec in registry.REGISTRY.items():
        low, high = spec.min_rank, spec.max_rank
        if low <= hidden_rank and (high is None or hidden_rank <= high):
            out.append(name)
    return tuple(out)


def draw_weight(
    init: str,
    shape: tuple[int, ...],
    *,
    kind: str,
    rng: np.random.Generator,
    init_params: Mapping[str, object],
) -> np.ndarray:
    """Draw one weight with ``init`` (float64, C-contiguous).

    A 2-D weight of a cnn under ``delta_orthogonal`` (the dense output layer) uses
    ``orthogonal`` with the same parameters.
    """
    if init == "delta_orthogonal" and len(shape) == 2 and kind == "cnn":
        init = "orthogonal"
    w = registry.initialize(init, shape, rng=rng, **init_params)
    return np.ascontiguousarray(w, dtype=np.float64)


def validate_init(kind: str, init: object, init_params: Mapping[str, object]) -> None:
    """Raise ValueError unless ``init`` exists, fits ``kind`` and accepts ``init_params``."""
    if init not in registry.REGISTRY:
        raise ValueError(
            f"unknown init {init!r}; valid initializers: {', '.join(registry.REGISTRY)}"
        )
    ok = supported_inits(kind)  # type: ignore[arg-type]
    if init not in ok:
        hint = "use delta_orthogonal" if kind == "cnn" else "use orthogonal"
        raise ValueError(
            f"init {init!r} does not apply to the weights of a {kind} ({hint}); "
            f"valid for {kind}: {', '.join(ok)}"
        )
    registry.validate_params(str(init), init_params)


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------


def _check_targets(output: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; valid losses: {', '.join(LOSSES)}")
    n, k = output.shape
    y = np.asarray(y)
    if loss == "mse":
        if y.shape != (n, k):
            raise ValueError(
                f"mse targets y must have shape {(n, k)} (N, n_outputs), got {y.shape}"
            )
        if not (np.issubdtype(y.dtype, np.floating) or np.issubdtype(y.dtype, np.integer)):
            raise ValueError(f"mse targets y must be numeric, got dtype {y.dtype}")
        return y.astype(np.float64, copy=False)
    if y.shape != (n,):
        raise ValueError(f"cross_entropy labels y must have shape {(n,)} (N,), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_:
        raise ValueError(f"cross_entropy labels y must be integers, got dtype {y.dtype}")
    if n and (y.min() < 0 or y.max() >= k):
        raise ValueError(
            f"cross_entropy labels y must lie in [0, {k - 1}] (n_outputs={k}), "
            f"got range [{y.min()}, {y.max()}]"
        )
    return y


def loss_and_output_grad(
    output: np.ndarray, y: np.ndarray, loss: LossName
) -> tuple[float, np.ndarray]:
    """Batch-mean loss and its gradient w.r.t. the network output.

    * ``mse``: ``L = 1/(N K) sum_{n,k} (o_nk - y_nk)^2`` (mean over batch *and* outputs);
      ``dL/do = 2 (o - y) / (N K)``.
    * ``cross_entropy``: ``L = 1/N sum_n [logsumexp(o_n) - o_{n, y_n}]`` with the max-shifted
      (stable) log-sum-exp; ``dL/do = (softmax(o) - onehot(y)) / N``.

    Non-finite outputs give a non-finite loss without warnings.

    Parameters
    ----------
    output : ndarray, shape (N, K)
        Network outputs (logits for cross-entropy).
    y : ndarray
        ``mse``: float targets of shape (N, K). ``cross_entropy``: integer labels of shape (N,)
        in ``[0, K)``.
    loss : {"mse", "cross_entropy"}

    Returns
    -------
    loss : float
    dout : ndarray, shape (N, K)

    Raises
    ------
    ValueError
        Unknown loss, wrong target shape or dtype, labels out of range.
    """
    y = _check_targets(output, y, loss)
    n, k = output.shape
    with np.errstate(all="ignore"):
        if loss == "mse":
            diff = output - y
            value = float(np.vdot(diff, diff) / (n * k))
            diff *= 2.0 / (n * k)
            return value, diff
        shift = output.max(axis=1, keepdims=True)
        p = output - shift
        np.exp(p, out=p)
        s = p.sum(axis=1, keepdims=True)
        lse = shift[:, 0] + np.log(s[:, 0])
        rows = np.arange(n)
        value = float(np.mean(lse - output[rows, y]))
        p /= s
        p[rows, y] -= 1.0
        p /= n
    return value, p


def loss_value(output: np.ndarray, y: np.ndarray, loss: LossName) -> float:
    """Batch-mean loss only; see :func:`loss_and_output_grad` for the definitions.

    Parameters
    ----------
    output : ndarray, shape (N, K)
    y : ndarray, (N, K) float for ``mse`` or (N,) int for ``cross_entropy``
    loss : {"mse", "cross_entropy"}

    Returns
    -------
    float
    """
    return loss_and_output_grad(output, y, loss)[0]


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    """Everything a forward pass computed, layer by layer (input -> output).

    Attributes
    ----------
    x : ndarray, shape (N, *input_shape)
        The input (float64).
    z : list of ndarray
        Pre-activation per parameterised layer, output layer last. Shapes: mlp ``(N, width)``;
        cnn ``(N, H, W, width)``; rnn ``(N, T, width)``; resmlp: entry 0 is the linear input
        projection ``(N, width)``, entries 1..depth the branch pre-activations ``(N, width)``;
        last entry ``(N, n_outputs)``.
    a : list of ndarray
        Activation per layer, same shapes as ``z``. mlp/cnn: ``f(z)``; rnn: hidden states
        ``h_t``; resmlp: the residual stream after each block (entry 0 = the projection itself);
        the output layer is linear, so ``a[-1] is z[-1]``.
    features : ndarray, shape (N, width)
        Input of the output layer: last hidden activation (mlp, resmlp), global average pool
        (cnn), last hidden state of the top layer (rnn).
    output : ndarray, shape (N, n_outputs)
        Same array as ``z[-1]``.

    Notes
    -----
    For mlp, cnn and resmlp the hidden ``z`` and ``a`` arrays are views into one block each;
    rnn arrays are transposed views of time-major (T, N, width) storage. ``x`` is the caller's
    array when it already was C-contiguous float64 (it is never modified).
    """

    x: np.ndarray
    z: list[np.ndarray]
    a: list[np.ndarray]
    features: np.ndarray
    output: np.ndarray


@dataclass(frozen=True)
class BackwardTrace:
    """Per-layer gradients from a backward pass (same indexing and shapes as :class:`Trace`).

    Attributes
    ----------
    dz : list of ndarray
        ``dL/dz`` per layer (output layer last; there it equals ``dout``). For resmlp blocks this
        is the gradient w.r.t. the branch pre-activation (it includes the factor ``alpha``).
    da : list of ndarray
        ``dL/da`` per layer: the total gradient reaching the layer's activation (for rnn the total
        ``dL/dh_t`` including the path through later time steps; for resmlp w.r.t. the stream).
        ``da[-1]`` is a copy of ``dout``.
    dx : ndarray of shape (N, *input_shape), or None
        Gradient w.r.t. the input when it was requested.
    """

    dz: list[np.ndarray]
    da: list[np.ndarray]
    dx: np.ndarray | None = field(default=None)


# --------------------------------------------------------------------------------------------
# Validation helpers and sizes
# --------------------------------------------------------------------------------------------


def _check_kind(kind: object) -> str:
    return check_choice(kind, KINDS, "network kind", "kinds")


def _check_input_shape(kind: str, input_shape: object) -> tuple[int, ...]:
    expected = {"mlp": "(d,)", "resmlp": "(d,)", "cnn": "(H, W, C)", "rnn": "(T, D)"}[kind]
    n_dims = {"mlp": 1, "resmlp": 1, "cnn": 3, "rnn": 2}[kind]
    try:
        shape = tuple(input_shape)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(
            f"input_shape for {kind} must be a tuple {expected}, got {input_shape!r}"
        ) from None
    if len(shape) != n_dims or any(
        isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1 for s in shape
    ):
        raise ValueError(
            f"input_shape for {kind} must be {expected} with positive integers, got {input_shape!r}"
        )
    shape = tuple(int(s) for s in shape)
    if math.prod(shape) > MAX_INPUT_ELEMENTS:
        raise ValueError(
            f"input_shape {shape} has {math.prod(shape)} values per sample; "
            f"the limit is MAX_INPUT_ELEMENTS = {MAX_INPUT_ELEMENTS}"
        )
    if kind == "rnn" and shape[0] > MAX_TIME_STEPS:
        raise ValueError(
            f"rnn sequences are limited to MAX_TIME_STEPS = {MAX_TIME_STEPS} steps, got {shape[0]}"
        )
    return shape


def layer_shapes(
    kind: Kind,
    *,
    input_shape: Sequence[int],
    n_outputs: int,
    depth: int,
    width: int,
    bias: bool = True,
) -> list[dict[str, tuple[int, ...]]]:
    """Parameter shapes of the network :func:`build` would create (no allocation).

    Parameters
    ----------
    kind : {"mlp", "cnn", "rnn", "resmlp"}
    input_shape, n_outputs, depth, width, bias
        As for :func:`build`.

    Returns
    -------
    list of dict
        One dict per layer (input -> output) mapping parameter name to shape.
    """
    d_in = input_shape[-1]
    kh, kw = CONV_KERNEL
    out: list[dict[str, tuple[int, ...]]] = []

    def layer(**shapes: tuple[int, ...]) -> None:
        if bias:
            shapes["b"] = (shapes[next(iter(shapes))][-1],)
        out.append(shapes)

    if kind == "mlp":
        for i in range(depth):
            layer(w=(d_in if i == 0 else width, width))
    elif kind == "cnn":
        for i in range(depth):
            layer(w=(kh, kw, d_in if i == 0 else width, width))
    elif kind == "rnn":
        for i in range(depth):
            layer(w_xh=(d_in if i == 0 else width, width), w_hh=(width, width))
    else:
        layer(w=(d_in, width))
        for _ in range(depth):
            layer(w=(width, width))
    layer(w=(width, n_outputs))
    return out


def n_parameters(
    kind: Kind,
    *,
    input_shape: Sequence[int],
    n_outputs: int,
    depth: int,
    width: int,
    bias: bool = True,
) -> int:
    """Number of scalar parameters of the network :func:`build` would create.

    Parameters
    ----------
    kind, input_shape, n_outputs, depth, width, bias
        As for :func:`build`.

    Returns
    -------
    int
    """
    shapes = layer_shapes(
        kind, input_shape=input_shape, n_outputs=n_outputs, depth=depth, width=width, bias=bias
    )
    return sum(math.prod(s) for layer in shapes for s in layer.values())


def hidden_weights_of(params: Sequence[Mapping[str, np.ndarray]]) -> list[np.ndarray]:
    """Weight matrix of every hidden layer, with neurons as the last axis.

    Dense layers give ``w`` (fan_in, fan_out); conv layers their kernel (kh, kw, c_in, c_out);
    a recurrent layer gives ``concatenate([w_xh, w_hh], axis=0)`` of shape (d_in + H, H), because
    a recurrent neuron is defined by its input *and* recurrent weights. The output layer (last
    entry of ``params``) is excluded; for resmlp the input projection is included (entry 0).

    Parameters
    ----------
    params : sequence of dict
        A network's parameters, input -> output.

    Returns
    -------
    list of ndarray
    """
    weights = []
    for p in list(params)[:-1]:
        if "w_xh" in p:
            weights.append(np.concatenate([p["w_xh"], p["w_hh"]], axis=0))
        else:
            weights.append(p["w"])
    return weights


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------


class Network:
    """A built network: parameters plus the recipe (kind, activation, alpha) to run them.

    Create with :func:`build`. ``params`` is a list of dicts of float64 arrays ordered input ->
    output (last = the dense output layer); weight keys start with ``w`` (``w``, or ``w_xh`` and
    ``w_hh``), the bias key is ``b`` (absent when ``bias=False``). Training updates these arrays
    in place or replaces them; the network reads them on every call.

    Attributes
    ----------
    kind : str
    activation : Activation
    params : list of dict of ndarray
    depth, width, n_outputs : int
    input_shape : tuple of int
    alpha : float
        Residual branch scale (resmlp only).
    bias : bool
    init : str
    init_params : dict
    workspace : Workspace
        Buffers reused across calls (see :mod:`core.workspace`): a block is handed out again
        only when no returned :class:`Trace`, gradient or view of them still refers to it, so
        results a caller holds are never overwritten and two threads sharing the network never
        write into the same block. Pickling or copying a network does not carry the buffers.
    """

    def __init__(
        self,
        *,
        kind: str,
        activation: Activation,
        params: list[dict[str, np.ndarray]],
        depth: int,
        width: int,
        input_shape: tuple[int, ...],
        n_outputs: int,
        alpha: float = 1.0,
        bias: bool = True,
        init: str = "",
        init_params: dict | None = None,
        workspace: Workspace | None = None,
    ) -> None:
        self.kind = kind
        self.activation = activation
        self.params = params
        self.depth = depth
        self.width = width
        self.input_shape = tuple(input_shape)
        self.n_outputs = n_outputs
        self.alpha = float(alpha)
        self.bias = bias
        self.init = init
        self.init_params = dict(init_params or {})
        self.workspace = workspace if workspace is not None else Workspace()

    def __repr__(self) -> str:
        return (
            f"Network(kind={self.kind!r}, depth={self.depth}, width={self.width}, "
            f"input_shape={self.input_shape}, n_outputs={self.n_outputs}, "
            f"activation={self.activation.name!r}, init={self.init!r})"
        )

    # ---- helpers --------------------------------------------------------------------------

    def _check_x(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 1 + len(self.input_shape) or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"input x must have shape (N, {', '.join(map(str, self.input_shape))}) for this "
                f"{self.kind}, got {x.shape}"
            )
        if x.shape[0] < 1:
            raise ValueError("input x must hold at least one sample (N >= 1)")
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
            raise ValueError(f"input x must be numeric, got dtype {x.dtype}")
        return np.ascontiguousarray(x, dtype=np.float64)

    def _per_sample_layer_elements(self) -> int:
        if self.kind == "cnn":
            h, w, _ = self.input_shape
            return h * w * self.width
        if self.kind == "rnn":
            return self.input_shape[0] * self.width
        return self.width

    def trace_elements(self, batch: int) -> int:
        """Number of float64 values a recorded forward pass on ``batch`` samples holds.

        Parameters
        ----------
        batch : int

        Returns
        -------
        int
        """
        n_hidden = len(self.params) - 1
        return 2 * batch * (n_hidden * self._per_sample_layer_elements() + self.n_outputs)

    def _check_batch(self, n: int) -> None:
        need = self.trace_elements(n)
        if need > MAX_TRACE_ELEMENTS:
            raise ValueError(
                f"a batch of {n} would record {need} values through this {self.kind} "
                f"(limit MAX_TRACE_ELEMENTS = {MAX_TRACE_ELEMENTS}); use a smaller batch"
            )

    # ---- forward --------------------------------------------------------------------------

    def forward(self, x: np.ndarray) -> Trace:
        """Run the network and record every layer.

        Parameters
        ----------
        x : ndarray, shape (N, *input_shape)

        Returns
        -------
        Trace

        Raises
        ------
        ValueError
            Wrong input shape or dtype, or a batch whose trace would exceed
            ``MAX_TRACE_ELEMENTS``.
        """
        x = self._check_x(x)
        self._check_batch(x.shape[0])
        return self._run(x, record=True)  # type: ignore[return-value]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Network outputs without recording the layers (logits for classification).

        Parameters
        ----------
        x : ndarray, shape (N, *input_shape)

        Returns
        -------
        ndarray, shape (N, n_outputs)
        """
        x = self._check_x(x)
        per_layer = 2 * x.shape[0] * self._per_sample_layer_elements()
        if per_layer > MAX_TRACE_ELEMENTS:
            raise ValueError(
                f"a batch of {x.shape[0]} is too large for predict "
                f"(limit MAX_TRACE_ELEMENTS = {MAX_TRACE_ELEMENTS}); split it"
            )
        return self._run(x, record=False)  # type: ignore[return-value]

    def _run(self, x: np.ndarray, *, record: bool) -> Trace | np.ndarray:
        # Recorded passes write every hidden z and a into two blocks of shape (n_hidden, N, ...)
        # taken from the workspace: reused across calls when the previous trace is gone,
        # because first-touch page faults of fresh multi-megabyte arrays can cost a tenth of
        # the GEMMs. Unrecorded passes (predict) cycle through per-layer scratch buffers.
        act = self.activation
        ws = self.workspace
        hidden = self.params[:-1]
        n = x.shape[0]
        zs: list[np.ndarray] = []
        as_: list[np.ndarray] = []
        if self.kind == "rnn":
            h_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
            for p in hidden:
                z_tm, h_tm = layers.rnn_forward_tm(h_tm, p["w_xh"], p["w_hh"], p.get("b"), act)
                if record:
                    zs.append(z_tm.transpose(1, 0, 2))
                    as_.append(h_tm.transpose(1, 0, 2))
            features = h_tm[-1]
        else:
            h = x
            per_layer: tuple[int, ...] = (n, self.width)
            if self.kind == "cnn":
                per_layer = (n, *self.input_shape[:2], self.width)
            if self.kind == "resmlp":  # linear input projection
                p0 = hidden[0]
                h, _ = layers.dense_forward(
                    x, p0["w"], p0.get("b"), out=ws.array("proj" if record else "p0", per_layer)
                )
                hidden = hidden[1:]
                if record:
                    zs.append(h)
                    as_.append(h)
            if record:
                z_blk = ws.array("z", (len(hidden), *per_layer))
                a_blk = ws.array("a", (len(hidden), *per_layer))
            else:
                # z scratch, and two activation buffers used alternately: a residual block
                # reads its input while writing its output, so they must differ.
                z_tmp = ws.array("pz", per_layer)
                a_tmp = (ws.array("pa", per_layer), ws.array("pb", per_layer))
            for i, p in enumerate(hidden):
                if record:
                    z_out, a_out = z_blk[i], a_blk[i]
                else:
                    z_out, a_out = z_tmp, a_tmp[i % 2]
                if self.kind == "resmlp":
                    h, cache = layers.residual_forward(
                        h, p["w"], p.get("b"), act, self.alpha, z_out=z_out, out=a_out
                    )
                    z = cache.act_cache.z
                else:
                    forward = layers.dense_forward if self.kind == "mlp" else layers.conv_forward
                    z, _ = forward(h, p["w"], p.get("b"), out=z_out)
                    h, _ = layers.activation_forward(z, act, out=a_out)
                if record:
                    zs.append(z)
                    as_.append(h)
            features = layers.global_avg_pool_forward(h)[0] if self.kind == "cnn" else h
        out_p = self.params[-1]
        output, _ = layers.dense_forward(features, out_p["w"], out_p.get("b"))
        if not record:
            return output
        zs.append(output)
        as_.append(output)
        return Trace(x=x, z=zs, a=as_, features=features, output=output)

    # ---- backward -------------------------------------------------------------------------

    def backward(
        self, trace: Trace, dout: np.ndarray, *, need_input_grad: bool = True
    ) -> tuple[list[dict[str, np.ndarray]], BackwardTrace]:
        """Backpropagate ``dout = dL/d output`` through the recorded forward pass.

        Cost: the two GEMMs per layer of the textbook backward pass (``dW = a^T dz`` and
        ``da = dz W^T``), one element-wise ``f'`` evaluation and a bias column sum; all
        per-layer results are written into blocks of the network's :attr:`workspace`, reused
        by later calls once the returned gradients and :class:`BackwardTrace` are released.

        Parameters
        ----------
        trace : Trace
            From :meth:`forward` with the current parameters.
        dout : ndarray, shape (N, n_outputs)
            Gradient of the loss w.r.t. the output; never modified.
        need_input_grad : bool
            Also compute ``dL/dx`` (one more GEMM in the first layer).

        Returns
        -------
        grads : list of dict of ndarray
            Same structure, keys and shapes as ``params``.
        per_layer : BackwardTrace

        Raises
        ------
        ValueError
            If ``dout`` has the wrong shape.
        """
        dout = np.asarray(dout, dtype=np.float64)
        n = trace.x.shape[0]
        if dout.shape != (n, self.n_outputs):
            raise ValueError(f"dout must have shape {(n, self.n_outputs)}, got {dout.shape}")
        act = self.activation
        ws = self.workspace
        n_layers = len(self.params)
        hidden = self.params[:-1]
        grads: list[dict[str, np.ndarray]] = [{} for _ in range(n_layers)]
        dzs: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
        das: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
        dx: np.ndarray | None = None

        def store(i: int, dw: np.ndarray, db: np.ndarray | None) -> None:
            grads[i]["w"] = dw
            if db is not None:
                grads[i]["b"] = db

        out_p = self.params[-1]
        dzs[-1] = dout
        das[-1] = dout.copy()
        out_cache = layers.DenseCache(trace.features, out_p["w"], "b" in out_p)
        if self.kind == "rnn":
            d_feat, dw, db = layers.dense_backward(dout, out_cache)
            store(n_layers - 1, dw, db)
            dh_tm: np.ndarray | None = None
            dh_last: np.ndarray | None = d_feat
            for i in range(len(hidden) - 1, -1, -1):
                p = hidden[i]
                # Time-major views (contiguous) of the recorded arrays; the raw input is
                # the only one that needs a transposed copy.
                x_tm = np.ascontiguousarray(
                    (trace.a[i - 1] if i > 0 else trace.x).transpose(1, 0, 2)
                )
                z_tm = trace.z[i].transpose(1, 0, 2)
                h_tm = trace.a[i].transpose(1, 0, 2)
                need = i > 0 or need_input_grad
                dx_tm, dw_xh, dw_hh, db, dz_tm, dht_tm = layers.rnn_backward_tm(
                    dh_tm, x_tm, z_tm, h_tm, p["w_xh"], p["w_hh"], act, "b" in p, need,
                    dh_last=dh_last,
                )  # fmt: skip
                grads[i]["w_xh"] = dw_xh
                grads[i]["w_hh"] = dw_hh
                if db is not None:
                    grads[i]["b"] = db
                dzs[i] = dz_tm.transpose(1, 0, 2)
                das[i] = dht_tm.transpose(1, 0, 2)
                dh_tm, dh_last = dx_tm, None
            dx = dh_tm.transpose(1, 0, 2) if need_input_grad else None
        elif self.kind in ("mlp", "cnn"):
            dz_blk = ws.array("dz", (len(hidden), *trace.z[0].shape))
            da_blk = ws.array("da", dz_blk.shape)
            if self.kind == "mlp":
                _, dw, db = layers.dense_backward(dout, out_cache, dx_out=da_blk[-1])
            else:
                d_feat, dw, db = layers.dense_backward(dout, out_cache)
                layers.global_avg_pool_backward(
                    d_feat, layers.PoolCache(da_blk[-1].shape), out=da_blk[-1]
                )
            store(n_layers - 1, dw, db)
            # mlp: dW of layers 1.. (all (width, width)) share one block.
            dw_blk = None
            if self.kind == "mlp" and len(hidden) > 1:
                dw_blk = ws.array("dw", (len(hidden) - 1, self.width, self.width))
            for i in range(len(hidden) - 1, -1, -1):
                p = hidden[i]
                das[i] = da_blk[i]
                act_cache = layers.ActivationCache(trace.z[i], trace.a[i], act)
                h_in = trace.a[i - 1] if i > 0 else trace.x
                need = i > 0 or need_input_grad
                dst = da_blk[i - 1] if i > 0 else None
                if i == 0 and need:
                    dst = ws.array("dx", trace.x.shape)
                if self.kind == "mlp":
                    d_prev, dw, db, dz = layers.dense_activation_backward(
                        da_blk[i],
                        act_cache,
                        layers.DenseCache(h_in, p["w"], "b" in p),
                        need_dx=need,
                        dz_out=dz_blk[i],
                        dx_out=dst,
                        dw_out=dw_blk[i - 1] if i > 0 else ws.array("dw0", p["w"].shape),
                    )
                else:
                    dz = layers.activation_backward(da_blk[i], act_cache, out=dz_blk[i])
                    d_prev, dw, db = layers.conv_backward(
                        dz, layers.ConvCache(h_in, p["w"], "b" in p), need_dx=need, dx_out=dst
                    )
                dzs[i] = dz
                if i == 0:
                    dx = d_prev
                store(i, dw, db)
        else:  # resmlp
            n_blocks = len(hidden) - 1
            dz_blk = ws.array("dz", (n_blocks, n, self.width))
            da_blk = ws.array("da", (n_blocks + 1, n, self.width))
            dw_blk = ws.array("dw", (n_blocks, self.width, self.width))
            _, dw, db = layers.dense_backward(dout, out_cache, dx_out=da_blk[-1])
            store(n_layers - 1, dw, db)
            for i in range(n_blocks, 0, -1):
                p = hidden[i]
                das[i] = da_blk[i]
                cache = layers.ResidualCache(
                    trace.a[i - 1],
                    p["w"],
                    layers.ActivationCache(trace.z[i], None, act),
                    self.alpha,
                    "b" in p,
                )
                _, dw, db, dzs[i] = layers.residual_backward(
                    da_blk[i],
                    cache,
                    dz_out=dz_blk[i - 1],
                    dx_out=da_blk[i - 1],
                    dw_out=dw_blk[i - 1],
                )
                store(i, dw, db)
            p0 = hidden[0]
            das[0] = dzs[0] = da_blk[0]
            dx, dw, db = layers.dense_backward(
                da_blk[0], layers.DenseCache(trace.x, p0["w"], "b" in p0), need_dx=need_input_grad
            )
            store(0, dw, db)
        # Keep the documented key order of params (w..., b).
        grads = [{k: g[k] for k in p} for g, p in zip(grads, self.params, strict=True)]
        return grads, BackwardTrace(dz=dzs, da=das, dx=dx)

    def loss_and_grads(
        self, x: np.ndarray, y: np.ndarray, loss: LossName
    ) -> tuple[float, list[dict[str, np.ndarray]]]:
        """Batch-mean loss and parameter gradients (see :func:`loss_and_output_grad`).

        Parameters
        ----------
        x : ndarray, shape (N, *input_shape)
        y : ndarray
            ``mse``: float (N, n_outputs); ``cross_entropy``: int labels (N,).
        loss : {"mse", "cross_entropy"}

        Returns
        -------
        loss : float
            Non-finite when the network overflowed (no warning is emitted).
        grads : list of dict of ndarray
            Shaped like ``params``.
        """
        trace = self.forward(x)
        value, dout = loss_and_output_grad(trace.output, y, loss)
        grads, _ = self.backward(trace, dout, need_input_grad=False)
        return value, grads

    def copy(self) -> Network:
        """Deep copy (parameters copied; the activation record is immutable and shared).

        Returns
        -------
        Network
        """
        return Network(
            kind=self.kind,
            activation=self.activation,
            params=[{k: v.copy() for k, v in p.items()} for p in self.params],
            depth=self.depth,
            width=self.width,
            input_shape=self.input_shape,
            n_outputs=self.n_outputs,
            alpha=self.alpha,
            bias=self.bias,
            init=self.init,
            init_params=self.init_params,
        )

    def hidden_weights(self) -> list[np.ndarray]:
        """Weights of the hidden layers, neurons on the last axis (see :func:`hidden_weights_of`).

        mlp: ``depth`` matrices (fan_in, width); cnn: ``depth`` kernels (3, 3, c_in, width);
        rnn: ``depth`` matrices ``[w_xh; w_hh]`` of shape (d_in + width, width); resmlp:
        ``depth + 1`` matrices (input projection first).

        Returns
        -------
        list of ndarray
        """
        return hidden_weights_of(self.params)

    @property
    def n_parameters(self) -> int:
        """Number of scalar parameters."""
        return sum(v.size for p in self.params for v in p.values())


def build(
    kind: Kind,
    *,
    input_shape: Sequence[int],
    n_outputs: int,
    depth: int,
    width: int,
    activation: str | Activation,
    init: str,
    rng: np.random.Generator,
    init_params: Mapping[str, object] | None = None,
    bias: bool = True,
    alpha: float = 1.0,
    negative_slope: float = 0.01,
) -> Network:
    """Build and initialize a network.

    Architectures (``f`` = the activation, output layer always dense and linear):

    * ``mlp``: input (d,); ``depth`` dense layers ``h = f(h W + b)`` of ``width`` units.
    * ``cnn``: channels-last images (H, W, C); ``depth`` 3x3 'same' conv layers with ``width``
      channels (fans include the 3x3 receptive field), then global average pooling.
    * ``rnn``: sequences (T, D); ``depth`` stacked vanilla recurrent layers
      ``h_t = f(x_t W_xh + h_{t-1} W_hh + b)``, ``h_{-1} = 0``; layer l > 0 reads the hidden
      sequence of layer l - 1; the output reads the top layer's last hidden state.
    * ``resmlp``: input (d,); a linear dense input projection to ``width`` (no activation), then
      ``depth`` residual blocks ``h = h + alpha * f(h W + b)``. ``alpha = 0`` starts every
      block as the identity (ReZero / Fixup).

    Initialization: *every* weight -- hidden layers, the resmlp input projection, both ``W_xh``
    and the square ``W_hh``, and the output layer -- is drawn with the chosen initializer
    ``init`` (same ``init_params``), in the order input -> output (for rnn layers: ``W_xh``
    then ``W_hh``). Biases start at zero. Exception: ``delta_orthogonal`` is a conv-kernel
    scheme, so the dense output layer of a cnn gets ``orthogonal`` (its dense analogue, same
    parameters); see :func:`supported_inits` for which schemes each kind accepts. Using
    the same scheme for the output layer is what makes the symmetry lessons exact: with
    ``zeros`` every hidden weight gradient is exactly 0 (the output weights pass no signal
    back), and with ``constant`` all neurons of a layer get identical gradients forever.

    Parameters
    ----------
    kind : {"mlp", "cnn", "rnn", "resmlp"}
    input_shape : tuple of int
        Per-sample input shape: (d,) for mlp/resmlp, (H, W, C) for cnn, (T, D) for rnn.
    n_outputs : int
        Output units (classes for cross-entropy).
    depth : int
        Hidden layers / recurrent layers / residual blocks, 1..MAX_DEPTH.
    width : int
        Units / channels / hidden size, 1..MAX_WIDTH.
    activation : str or Activation
        Name from :data:`core.activations.NAMES` (or a ready record).
    init : str
        Initializer name from :data:`core.initializers.REGISTRY`.
    rng : numpy.random.Generator
        Source of all randomness.
    init_params : mapping, optional
        Extra keyword arguments of the initializer (e.g. ``{"std": 0.01}``).
    bias : bool
        Include biases (initialized to zero).
    alpha : float
        Residual branch scale (resmlp only).
    negative_slope : float
        Leaky ReLU slope.

    Returns
    -------
    Network

    Raises
    ------
    ValueError
        Unknown kind, activation or initializer; depth/width/n_outputs outside their limits;
        wrong ``input_shape``; more than ``MAX_PARAMETERS`` parameters; bad ``alpha``; invalid
        initializer parameters; an initializer that does not fit the kind (``identity`` for cnn,
        ``delta_orthogonal`` for dense kinds) or a shape it rejects (``delta_orthogonal`` with
        more input channels than ``width``).
    TypeError
        If ``rng`` is not a ``numpy.random.Generator``.
    """
    kind = _check_kind(kind)  # type: ignore[assignment]
    depth = check_int("depth", depth, 1, MAX_DEPTH)
    width = check_int("width", width, 1, MAX_WIDTH)
    n_outputs = check_int("n_outputs", n_outputs, 1, MAX_WIDTH)
    shape = _check_input_shape(kind, input_shape)
    alpha = check_real("alpha", alpha)
    check_rng(rng)
    act = check_activation(activation, negative_slope)
    kwargs = dict(init_params or {})
    validate_init(kind, init, kwargs)
    count = n_parameters(
        kind, input_shape=shape, n_outputs=n_outputs, depth=depth, width=width, bias=bias
    )
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"this {kind} (depth={depth}, width={width}) would have {count} parameters; "
            f"the limit is MAX_PARAMETERS = {MAX_PARAMETERS}"
        )
    params: list[dict[str, np.ndarray]] = []
    for layer in layer_shapes(
        kind, input_shape=shape, n_outputs=n_outputs, depth=depth, width=width, bias=bias
    ):
        p: dict[str, np.ndarray] = {}
        for name, s in layer.items():
            if name == "b":
                p[name] = np.zeros(s)
            else:
                p[name] = draw_weight(init, s, kind=kind, rng=rng, init_params=kwargs)
        params.append(p)
    return Network(
        kind=kind,
        activation=act,
        params=params,
        depth=depth,
        width=width,
        input_shape=shape,
        n_outputs=n_outputs,
        alpha=float(alpha),
        bias=bias,
        init=init,
        init_params=kwargs,
    )
