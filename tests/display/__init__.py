"""Tests of the display layer: HTML, Markdown, plots, network drawing."""
