"""Knowledge layer: the model file and its loader, urgency levels, evidence and case files.

Imports only the foundation modules (:mod:`toeprob.errors`, :mod:`toeprob.validation`, ...).
"""
