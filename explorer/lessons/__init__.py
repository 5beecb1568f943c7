"""One lesson module per page: its cached experiments, chart frames and the values its text cites.

``home`` (Home), ``symmetry`` (1), ``vanishing`` (2), ``large_weights`` (3), ``scale`` (4),
``network_types`` (5), ``playground`` (6), ``chaos`` (7), ``reference`` (8). Measurements that
several lessons share live in :mod:`explorer.experiments`.
"""
