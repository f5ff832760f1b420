"""Tests of the inference layer: compiled arrays, engines, the pgmpy bridge."""
