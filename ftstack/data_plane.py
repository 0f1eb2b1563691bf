"""What every Azure OpenAI data-plane client in ftstack shares: the API version and the token variable."""

DEFAULT_API_VERSION = "2025-04-01-preview"
TOKEN_ENV = "FTSTACK_TOKEN"  # a static bearer token for evaluation and reports (else Entra ID)
