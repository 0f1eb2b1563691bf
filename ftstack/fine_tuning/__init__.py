"""Fine-tuning jobs on an Azure OpenAI account's data plane: the SDK client (the only `openai` import),
the job lifecycle (upload, adopt, create, wait, read, cancel, delete) and the resource's inputs."""
