"""actcli's version, in a module of its own so that every layer can name it without importing
the package's public API (which sits at the top of the layers)."""

__version__ = "0.1.0"
