"""Lookup errors raised by the catalog: each names the bad value and what would be right."""

from __future__ import annotations


class CatalogError(ValueError):
    """A model, version or region that the catalog does not know, or a data file that is invalid."""


class UnknownRegionError(CatalogError):
    """A region name that is neither an ARM name nor a display name in the region table."""


class UnknownModelError(CatalogError):
    """A model name that has no row in the capability matrix."""


class UnknownVersionError(CatalogError):
    """A version that the matrix does not list for a known model."""


class AmbiguousVersionError(CatalogError):
    """No version was given and more than one version could be meant."""
