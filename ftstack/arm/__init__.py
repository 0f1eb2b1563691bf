"""Reads from Azure Resource Manager; the only place that imports azure-mgmt-cognitiveservices."""
