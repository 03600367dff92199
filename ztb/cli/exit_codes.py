"""Exit codes are a contract with pipeline authors (`terraform plan -detailed-exitcode`).

Only the command line decides them: the library reports facts (drift found, a change weakens,
a preview cannot be vouched for) and ``ztb.cli`` maps each fact to one of these.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1  # could not tell: a bad input, a failed read, a usage error
EXIT_CHANGES = 2  # drift found / changes pending
EXIT_WEAKENS = 3  # `ztb review --fail-on weakens`
