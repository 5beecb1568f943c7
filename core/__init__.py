"""Pure-NumPy core of the Weight Initialization Explorer.

Initializers, activations, networks with hand-written backpropagation, the layer-by-layer
probe, symmetry metrics, training, LSUV and mean-field theory. This package never imports
Streamlit, Altair or pandas, so it can be used from a notebook.
"""
