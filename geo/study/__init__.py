"""A study: its typed file (schema), inputs read and checked, the stages before routing,
the computed study (``run_study``), resource measures and ``geo init``."""
