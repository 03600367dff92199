"""One module per `ztb` command; each exposes a click ``command``."""
