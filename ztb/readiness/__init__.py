"""`ztb readiness`: evidence, per person, before a phase of the baseline is enforced.

The pipeline: :mod:`~ztb.readiness.read` reads the tenant (read-only, requests growing with
pages), :mod:`~ztb.readiness.scope` decides who each phase enforces on and why,
:mod:`~ztb.readiness.checks` runs the onboarding checklist per person and for the break-glass
accounts, :mod:`~ztb.readiness.verdicts` holds the results (a person is ready, blocked by a control
because of a reason with its fix, or cannot be told), and :mod:`~ztb.readiness.render` /
:mod:`~ztb.readiness.html` print them. :mod:`~ztb.readiness.assess` joins them. Only ``read``
imports Graph code, and only when it runs.
"""
