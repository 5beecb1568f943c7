"""Pure-NumPy core of the Weight Initialization Explorer: initializers, activations, networks, theory.

This package never imports Streamlit, Altair or pandas, so it can be used from a notebook.
"""
