"""The package version, in one place (imported by the package and the pipeline without a cycle)."""

__version__ = "0.1.0"
