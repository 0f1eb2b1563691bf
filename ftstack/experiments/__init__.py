"""Experiments as code: a job expanded into points over nested data subsets and hyperparameter sweeps."""
