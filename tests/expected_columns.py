"""Column names several test folders expect, written once (the specification, not the code's)."""

#: Keys of ``explorer.experiments.summary_row``: one depth sweep summarized.
SUMMARY_ROW = (
    "depth",
    "act_first",
    "act_last",
    "act_ratio",
    "act_factor",
    "grad_first",
    "grad_last",
    "grad_ratio",
    "grad_factor",
    "first_nonfinite",
)

#: The playground's per-step history export starts with these columns (grad_norm ones follow).
PLAYGROUND_HISTORY = ("initializer", "init_key", "step", "loss", "accuracy")
