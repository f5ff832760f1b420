"""Doctest collection: modules whose examples need an optional extra are left out when it is missing."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("dask") is None or importlib.util.find_spec("distributed") is None:
    collect_ignore.append("src/toeprob/reasoning/batch_dask.py")  # needs toeprob[dask]
