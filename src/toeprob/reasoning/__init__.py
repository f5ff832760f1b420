"""Reasoning layer: the :class:`~toeprob.reasoning.reasoner.Reasoner`, the urgency rule, explanations,
questions, the interview, evaluation and batch scoring.

Imports only the results, inference and knowledge layers and the foundation.
"""
