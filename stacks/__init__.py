"""Protection levels and rollout phases as data (installed as ``ztb.stacks``)."""
