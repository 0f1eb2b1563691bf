"""Pulumi components of the ftstack platform, and the FineTuningJob dynamic resource."""
