"""Tests of the reasoning layer: the reasoner, urgency rule, explanations, questions, scoring, batches."""
