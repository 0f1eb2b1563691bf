"""The `ftstack` command line: a thin shell over functions the tests call directly."""
