"""The package version, in one place (read by ``rnnsym.__version__``, the CLI and the report)."""

__version__ = "0.1.0"
