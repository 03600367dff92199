"""Pulumi components of the privileged-access baseline: one ComponentResource per concern."""
