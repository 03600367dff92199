"""Zero Trust baseline for Microsoft Entra privileged access, as code."""

__version__ = "0.1.0"
