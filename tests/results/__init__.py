"""Tests of the results layer: frozen result types and their tables, texts and dicts."""
