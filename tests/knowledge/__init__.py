"""Tests of the knowledge layer: model files, evidence, case files, urgency levels."""
