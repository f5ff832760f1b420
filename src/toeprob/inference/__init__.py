"""Inference layer: compiled arrays, the exact engines and the pgmpy bridge.

Imports only the knowledge layer and the foundation modules.
"""
