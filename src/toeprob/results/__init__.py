"""Results layer: frozen result types with ``to_frame()``, text and JSON forms.

Rich displays and plots come from renderers that the display layer registers
(:mod:`toeprob.registry`); computation that a result offers (``Diagnosis.explain``) is asked of the
reasoner the result carries. Imports only the inference and knowledge layers and the foundation.
"""
