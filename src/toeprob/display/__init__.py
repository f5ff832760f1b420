"""Display layer: HTML and markdown views, plots and network drawings, all from the results' tables.

Importing this package registers its renderers (:mod:`toeprob.registry`), which is what gives result
objects their rich reprs and ``plot()`` methods; ``import toeprob`` does it.
"""

from toeprob.display import (
    html,
    interview_widget,
    model_html,
    network_plot,
    plotting,
    reasoning_html,
    uncertainty_html,
)

__all__ = [
    "html",
    "interview_widget",
    "model_html",
    "network_plot",
    "plotting",
    "reasoning_html",
    "uncertainty_html",
]
