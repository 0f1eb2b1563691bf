"""The credential-free check: policy settings from the stack config, the analyzer client, the report.

Importing this package is cheap: the policy pack imports `ftstack.check.policy_settings` from it.
"""
