"""ftstack: Azure OpenAI fine-tuning as code, on Pulumi."""

__version__ = "0.1.0"
